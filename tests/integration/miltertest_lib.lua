-- Shared by the miltertest_*.lua scripts: plays one message through a milter
-- as an MTA would, and reports checks as lines the driver counts:
--   PASS <case>: <what>
--   FAIL <case>: <what>
--   VALUE <case> <header name> <n> <hex of the value>   (added header n, top first)
--   ERROR <case>: <why>                                  (the script itself broke)
--
-- Globals (miltertest -D) every script takes:
--   case        name of the case, for the report
--   socket      the milter, e.g. inet:PORT@127.0.0.1
--   client_host client_ip   the SMTP client (CONNECT)
--   headerfile  the header fields: name NUL value NUL ..., each value the bytes
--               after the colon (leading space included, folds as CRLF)
--   bodyfile    the body as SMTP carries it (CRLF line ends); never empty
-- Optional:
--   daemon_name {daemon_name}, sent with CONNECT (as Postfix does)
--   auth_authen {auth_authen}, sent with MAIL (as Postfix and Sendmail do)
--   dkverify    {signet_dkverify}, sent with MAIL (as qmail-signet does)
--   authserv_id the AuthservID the milter is configured with
--   mail_from   rcpt_to   the envelope (default <alice@example.com>, <bob@example.net>)
--   queue_id    the {i} macro (default MT<time>)
--
-- lib.play() follows the negotiation as an MTA does: a step the milter asked
-- to be left out (SMFIP_NOCONNECT, NOHELO, NOMAIL, NORCPT, NOHDRS, NOEOH,
-- NOBODY) is not sent, since miltertest refuses it. The steps miltertest
-- plays by itself (DATA, before the first header) honour SMFIP_NODATA.

local lib = {}
local unpack = table.unpack or unpack

lib.case = case or "?"

function lib.pass(what) print("PASS " .. lib.case .. ": " .. what) end
function lib.fail(what) print("FAIL " .. lib.case .. ": " .. what) end

function lib.expect(ok, what, got)
  if ok then
    lib.pass(what)
  else
    lib.fail(what .. (got and (" (got " .. tostring(got) .. ")") or ""))
  end
  return ok
end

local function must(what, err)
  if err ~= nil then error(what .. " failed: " .. tostring(err), 0) end
end

function lib.read_all(path)
  local f = assert(io.open(path, "rb"))
  local data = f:read("*a")
  f:close()
  return data
end

function lib.tohex(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

-- The header fields of `headerfile` as {name, value} pairs.
function lib.fields(path)
  local data = lib.read_all(path)
  local out, pos = {}, 1
  while pos <= #data do
    local name_end = assert(data:find("\0", pos, true), "bad header file")
    local value_end = assert(data:find("\0", name_end + 1, true), "bad header file")
    out[#out + 1] = {data:sub(pos, name_end - 1), data:sub(name_end + 1, value_end - 1)}
    pos = value_end + 1
  end
  return out
end

-- Milter reply letters (SMFIR_*) as words, for messages.
local reply_words = {c = "continue", a = "accept", r = "reject", t = "tempfail", d = "discard",
                     y = "replycode", q = "quarantine"}
function lib.reply_word(r)
  local ch = (r and r > 0) and string.char(r) or "?"
  return (reply_words[ch] or "?") .. " '" .. ch .. "'"
end

-- Plays the message; returns the connection after end of message, and
-- whether the leading space of header values was negotiated.
function lib.play()
  mt.set_timeout(30)
  local conn = mt.connect(socket, 50, 0.1)
  if conn == nil then error("cannot connect to " .. socket, 0) end
  local function wanted(flag) return not mt.test_option(conn, flag) end
  if daemon_name then
    must("CONNECT macros", mt.macro(conn, SMFIC_CONNECT, "j", "mx.signet.test", "{daemon_name}", daemon_name))
  end
  if wanted(SMFIP_NOCONNECT) then must("conninfo", mt.conninfo(conn, client_host, client_ip)) end
  local leadspc = mt.test_option(conn, SMFIP_HDR_LEADSPC)
  if wanted(SMFIP_NOHELO) then must("helo", mt.helo(conn, "client.example.org")) end
  local mail_macros = {"i", queue_id or ("MT" .. tostring(os.time()))}
  if auth_authen then
    mail_macros[#mail_macros + 1] = "{auth_authen}"
    mail_macros[#mail_macros + 1] = auth_authen
    mail_macros[#mail_macros + 1] = "{auth_type}"
    mail_macros[#mail_macros + 1] = "PLAIN"
  end
  if dkverify then
    mail_macros[#mail_macros + 1] = "{signet_dkverify}"
    mail_macros[#mail_macros + 1] = dkverify
  end
  must("MAIL macros", mt.macro(conn, SMFIC_MAIL, unpack(mail_macros)))
  if wanted(SMFIP_NOMAIL) then must("mailfrom", mt.mailfrom(conn, mail_from or "<alice@example.com>")) end
  if wanted(SMFIP_NORCPT) then must("rcptto", mt.rcptto(conn, rcpt_to or "<bob@example.net>")) end
  if wanted(SMFIP_NOHDRS) then
    for _, f in ipairs(lib.fields(headerfile)) do
      -- As an MTA hands it over: folded lines joined with LF; the space after
      -- the colon only when SMFIP_HDR_LEADSPC was agreed. mt.header() itself
      -- puts a space in front of the value when SMFIP_HDR_LEADSPC was agreed
      -- (miltertest.c), so the value given to it never starts with one. (A
      -- field with no space after the colon cannot be played with LEADSPC.)
      local value = f[2]:gsub("\r\n", "\n")
      if value:sub(1, 1) == " " then value = value:sub(2) end
      must("header " .. f[1], mt.header(conn, f[1], value))
    end
  end
  if wanted(SMFIP_NOEOH) then must("eoh", mt.eoh(conn)) end
  local body = lib.read_all(bodyfile)
  if #body == 0 then error("empty body file", 0) end
  if wanted(SMFIP_NOBODY) then
    for i = 1, #body, 65535 do must("body", mt.bodystring(conn, body:sub(i, i + 65534))) end
  end
  must("eom", mt.eom(conn))
  return conn, leadspc
end

-- The values of every `name` field the milter inserted or added, top first
-- (miltertest lists the latest request first, and each insert at index 0
-- lands above the ones before it).
function lib.added(conn, name)
  local out, n = {}, 0
  while true do
    local v = mt.getheader(conn, name, n)
    if v == nil then break end
    out[#out + 1] = v
    n = n + 1
  end
  return out
end

function lib.report_values(name, values)
  for i, v in ipairs(values) do print("VALUE " .. lib.case .. " " .. name .. " " .. (i - 1) .. " " .. lib.tohex(v)) end
end

-- Each value was inserted at index 0 (the top of the header block).
function lib.expect_at_top(conn, name, values)
  for i, v in ipairs(values) do
    lib.expect(mt.eom_check(conn, MT_HDRINSERT, name, v, 0), name .. " #" .. i .. " inserted at index 0")
  end
end

-- The items of a comma-separated global ("a,b,c"); {} when unset.
function lib.list(s)
  local out = {}
  for item in (s or ""):gmatch("[^,]+") do out[#out + 1] = item end
  return out
end

function lib.unfold(v)
  return (v:gsub("[\r\n]+", " "):gsub("%s+", " "):gsub("^ ", ""):gsub(" $", ""))
end

-- expect: accept | reject | tempfail | discard | quarantine. For reject and
-- tempfail, reply_code / reply_xcode / reply_text (globals) give the SMTP
-- reply the milter must set (miltertest can only compare it whole).
function lib.expect_reply(conn, expect)
  local r = mt.getreply(conn)
  if expect == "accept" then
    lib.expect(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT, "end of message: continue or accept", lib.reply_word(r))
    lib.expect(not mt.eom_check(conn, MT_QUARANTINE), "not quarantined")
  elseif expect == "reject" or expect == "tempfail" then
    lib.expect(r == SMFIR_REPLYCODE, "end of message: " .. expect .. " with an SMTP reply (SMFIR_REPLYCODE)",
               lib.reply_word(r))
    local want = reply_code .. " " .. reply_xcode .. " " .. reply_text
    local exact = mt.eom_check(conn, MT_SMTPREPLY, reply_code, reply_xcode, reply_text)
    lib.expect(exact, "SMTP reply \"" .. want .. "\"", exact or "another reply, or none")
  elseif expect == "discard" then
    lib.expect(r == SMFIR_DISCARD, "end of message: discard", lib.reply_word(r))
  elseif expect == "quarantine" then
    lib.expect(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT, "end of message: continue or accept", lib.reply_word(r))
    lib.expect(mt.eom_check(conn, MT_QUARANTINE), "quarantine requested (SMFIR_QUARANTINE)")
  else
    error("unknown expectation " .. tostring(expect), 0)
  end
end

-- Runs a script body; an error in the script is reported, not swallowed.
function lib.main(body)
  local ok, err = pcall(body)
  if not ok then
    print("ERROR " .. lib.case .. ": " .. tostring(err))
    os.exit(1)
  end
  print("DONE " .. lib.case)
end

return lib
