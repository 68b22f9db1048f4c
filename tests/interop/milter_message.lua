-- Plays one message through a milter as an MTA would, for miltertest(8).
--
-- Globals, set with miltertest -D:
--   socket      milter socket, e.g. inet:PORT@127.0.0.1
--   client_host client_ip   the SMTP client (internal → OpenDKIM signs, external → verifies)
--   queue_id    the {i} macro
--   headerfile  the header fields: name NUL value NUL ..., each value as an MTA without
--               SMFIP_HDR_LEADSPC passes it (one leading space removed; see peers.py)
--   bodyfile    the body as SMTP carries it (CRLF line ends, ending in CRLF), sent as body
--               chunks; never empty (miltertest would fill a skipped body step with its own text)
--   want        name of the header field the filter is expected to add
-- Output, one line each, parsed by peers.py:
--   REPLY <eom reply code>
--   ADDED <index> <hex of the value>        every instance of `want` the filter added
--   DONE

local function check(what, err)
  if err ~= nil then error(what .. " failed: " .. tostring(err)) end
end

local function read_all(path)
  local f = assert(io.open(path, "rb"))
  local data = f:read("a")
  f:close()
  return data
end

local function tohex(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

local function main()
  mt.set_timeout(20)
  local conn = mt.connect(socket, 50, 0.1)
  if conn == nil then error("cannot connect to " .. socket) end

  check("conninfo", mt.conninfo(conn, client_host, client_ip))
  -- (no HELO: OpenDKIM negotiates SMFIP_NOHELO)
  mt.macro(conn, SMFIC_MAIL, "i", queue_id)
  check("mailfrom", mt.mailfrom(conn, "<alice@example.com>"))
  -- (no RCPT when the filter negotiated SMFIP_NORCPT, as signet-milter does)
  if not mt.test_option(conn, SMFIP_NORCPT) then check("rcptto", mt.rcptto(conn, "<bob@example.net>")) end

  local headers = read_all(headerfile)
  local pos = 1
  while pos <= #headers do
    local name_end = assert(headers:find("\0", pos, true), "bad header file")
    local value_end = assert(headers:find("\0", name_end + 1, true), "bad header file")
    local name = headers:sub(pos, name_end - 1)
    local value = headers:sub(name_end + 1, value_end - 1)
    check("header " .. name, mt.header(conn, name, value))
    pos = value_end + 1
  end
  check("eoh", mt.eoh(conn))

  local body = read_all(bodyfile)
  local chunk = 65535
  if #body == 0 then error("empty body file") end
  for i = 1, #body, chunk do
    check("body", mt.bodystring(conn, body:sub(i, i + chunk - 1)))
  end
  check("eom", mt.eom(conn))
  print("REPLY " .. tostring(mt.getreply(conn)))

  local n = 0
  while true do
    local value = mt.getheader(conn, want, n)
    if value == nil then break end
    print("ADDED " .. n .. " " .. tohex(value))
    n = n + 1
  end
  mt.disconnect(conn)
  print("DONE")
end

-- miltertest exits 1 without a word when a script raises an error: say what it was.
local ok, err = pcall(main)
if not ok then
  print("ERROR " .. tostring(err))
  os.exit(1)
end
