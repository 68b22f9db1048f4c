-- The demonstration's self-check (scripts/demo.sh), for miltertest(8): one
-- message played through signet-milter as an MTA plays it, following the
-- milter's negotiation (tests/integration/miltertest_lib.lua), then written
-- out with the fields the milter inserted, as the MTA would queue it, for
-- `signet verify` to check.
--
-- Globals (miltertest -D): those of miltertest_lib.lua (socket, client_host,
-- client_ip, headerfile, bodyfile, mail_from, rcpt_to), and
--   lib         path of miltertest_lib.lua
--   out         where to write the signed message (CRLF line ends)
--   signatures  how many DKIM-Signature fields the milter must insert
-- Prints "DONE selfcheck" when the message was signed as expected, and
-- "ERROR selfcheck: <why>" (exit status 1) when not.
local lib = dofile(lib)
lib.case = "selfcheck"

lib.main(function()
  local conn, leadspc = lib.play()
  local r = mt.getreply(conn)
  if r ~= SMFIR_CONTINUE and r ~= SMFIR_ACCEPT then
    error("signet-milter answered the end of the message with " .. lib.reply_word(r) .. ", not accept", 0)
  end
  local sigs = lib.added(conn, "DKIM-Signature")
  local want = tonumber(signatures)
  if #sigs ~= want then
    error("signet-milter inserted " .. #sigs .. " DKIM-Signature field(s), not " .. want, 0)
  end
  local f = assert(io.open(out, "wb"))
  -- Top first; the MTA puts the colon's space in front of the value itself
  -- when SMFIP_HDR_LEADSPC was not agreed.
  for _, v in ipairs(sigs) do
    local value = v:gsub("\r\n", "\n"):gsub("\n", "\r\n")
    local sep = (leadspc or value:match("^[ \t]")) and ":" or ": "
    f:write("DKIM-Signature" .. sep .. value .. "\r\n")
  end
  for _, field in ipairs(lib.fields(headerfile)) do f:write(field[1] .. ":" .. field[2] .. "\r\n") end
  f:write("\r\n" .. lib.read_all(bodyfile))
  f:close()
  mt.disconnect(conn)
end)
