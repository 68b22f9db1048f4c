-- A message from an external client is verified: one Authentication-Results
-- field with our authserv-id is inserted at index 0, nothing is signed, and
-- the end-of-message reply is what the On-* policy (or the DKVERIFY letters)
-- says.
--
-- Globals: those of miltertest_lib.lua, and
--   lib          path of miltertest_lib.lua
--   expect       accept | reject | tempfail | discard | quarantine
--   reply_code reply_xcode reply_text   for reject and tempfail
--   ar_result    optional: the dkim= word the Authentication-Results must carry (pass, fail, none, ...)
--   ar_count     optional: how many dkim= results it must hold
--   ar_absent    optional: a dkim= word it must not carry
--   ar_has       optional: comma-separated texts the (unfolded) Authentication-Results must hold,
--                e.g. "domainkeys=pass,header.from=alice@example.com"
--   ar_lacks     optional: comma-separated texts it must not hold
--   status       optional: the DomainKey-Status value that must be inserted at index 0 ("good",
--                "bad", "no signature", ...), or "absent" for none
--   xar          optional: "yes": an X-Authentication-Results with the same value as the
--                Authentication-Results, at index 0; otherwise there must be none
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
  lib.expect(#lib.added(conn, "DomainKey-Signature") == 0, "no DomainKey-Signature on a message it verifies")
  local ar = lib.added(conn, "Authentication-Results")
  lib.expect(#ar == 1, "one Authentication-Results added", #ar)
  if not ar_anywhere then lib.expect_at_top(conn, "Authentication-Results", ar) end
  if #ar >= 1 then
    local v = lib.unfold(ar[1])
    local id = authserv_id:gsub("%p", "%%%0")
    lib.expect(v:find("^" .. id .. "%s*;") ~= nil or v:find("^" .. id .. " %d+%s*;") ~= nil,
               "Authentication-Results starts with authserv-id " .. authserv_id, v)
    if ar_result then
      lib.expect(v:find("dkim=" .. ar_result, 1, true) ~= nil, "Authentication-Results has dkim=" .. ar_result, v)
    end
    if ar_absent then
      lib.expect(v:find("dkim=" .. ar_absent, 1, true) == nil, "Authentication-Results has no dkim=" .. ar_absent, v)
    end
    if ar_count then
      local _, n = v:gsub("dkim=", "")
      lib.expect(n == tonumber(ar_count), ar_count .. " dkim= result(s)", n .. " in: " .. v)
    end
    for _, text in ipairs(lib.list(ar_has)) do
      lib.expect(v:find(text, 1, true) ~= nil, "Authentication-Results has " .. text, v)
    end
    for _, text in ipairs(lib.list(ar_lacks)) do
      lib.expect(v:find(text, 1, true) == nil, "Authentication-Results has no " .. text, v)
    end
  end
  local xr = lib.added(conn, "X-Authentication-Results")
  if xar == "yes" then
    lib.expect(#xr == 1, "one X-Authentication-Results added (XAuthenticationResults yes)", #xr)
    lib.expect_at_top(conn, "X-Authentication-Results", xr)
    if #xr == 1 and #ar == 1 then
      lib.expect(xr[1] == ar[1], "X-Authentication-Results has the same value as Authentication-Results",
                 lib.unfold(xr[1]))
    end
  else
    lib.expect(#xr == 0, "no X-Authentication-Results (XAuthenticationResults no)", #xr)
  end
  if status then
    local st = lib.added(conn, "DomainKey-Status")
    if status == "absent" then
      lib.expect(#st == 0, "no DomainKey-Status added", #st > 0 and lib.unfold(st[1]) or nil)
    else
      lib.expect(#st == 1, "one DomainKey-Status added", #st)
      lib.expect_at_top(conn, "DomainKey-Status", st)
      if #st == 1 then
        lib.expect(lib.unfold(st[1]) == status, "DomainKey-Status: " .. status, lib.unfold(st[1]))
      end
    end
  end
  lib.report_values("Authentication-Results", ar)
  mt.disconnect(conn)
end)
