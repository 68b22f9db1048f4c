-- A message from an external client is verified: one Authentication-Results
-- field with our authserv-id is inserted at index 0, nothing is signed, and
-- the end-of-message reply is what the On-* policy says.
--
-- Globals: those of miltertest_lib.lua, and
--   lib          path of miltertest_lib.lua
--   expect       accept | reject | tempfail | discard | quarantine
--   reply_code reply_xcode reply_text   for reject and tempfail
--   ar_result    the dkim= word the Authentication-Results must carry (pass, fail, none, ...)
--   ar_count     optional: how many dkim= results it must hold
--   ar_absent    optional: a dkim= word it must not carry
--   max_seconds  optional: end of message must come within this many seconds
--   ar_anywhere  optional: do not require index 0 (for another milter, e.g. OpenDKIM)
local lib = dofile(lib)

lib.main(function()
  local started = os.time()
  local conn = lib.play()
  local took = os.time() - started
  if max_seconds then
    lib.expect(took <= tonumber(max_seconds), "answered within " .. max_seconds .. " s", took .. " s")
  end
  lib.expect_reply(conn, expect)
  lib.expect(#lib.added(conn, "DKIM-Signature") == 0, "no DKIM-Signature on a message it verifies")
  local ar = lib.added(conn, "Authentication-Results")
  lib.expect(#ar == 1, "one Authentication-Results added", #ar)
  if not ar_anywhere then lib.expect_at_top(conn, "Authentication-Results", ar) end
  if #ar >= 1 then
    local v = lib.unfold(ar[1])
    local id = authserv_id:gsub("%p", "%%%0")
    lib.expect(v:find("^" .. id .. "%s*;") ~= nil or v:find("^" .. id .. " %d+%s*;") ~= nil,
               "Authentication-Results starts with authserv-id " .. authserv_id, v)
    lib.expect(v:find("dkim=" .. ar_result, 1, true) ~= nil, "Authentication-Results has dkim=" .. ar_result, v)
    if ar_absent then
      lib.expect(v:find("dkim=" .. ar_absent, 1, true) == nil, "Authentication-Results has no dkim=" .. ar_absent, v)
    end
    if ar_count then
      local _, n = v:gsub("dkim=", "")
      lib.expect(n == tonumber(ar_count), ar_count .. " dkim= result(s)", n .. " in: " .. v)
    end
  end
  lib.report_values("Authentication-Results", ar)
  mt.disconnect(conn)
end)
