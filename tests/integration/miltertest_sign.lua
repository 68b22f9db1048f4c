-- A message from a client that may sign (internal address, {auth_authen},
-- or a {daemon_name} listed in MTA) is signed: the DKIM-Signature fields
-- (and, with DomainKeysSign, the DomainKey-Signature fields) are inserted
-- at index 0, nothing else is added, and the message goes on. The driver
-- checks that the signatures verify (dkimpy and `signet verify`).
--
-- Globals: those of miltertest_lib.lua, and
--   lib            path of miltertest_lib.lua
--   signatures     how many DKIM-Signature fields to expect (default 1)
--   dk_signatures  how many DomainKey-Signature fields to expect (default 0)
--   dk_canon       the c= every DomainKey-Signature must carry (simple or nofws)
local lib = dofile(lib)

lib.main(function()
  local conn = lib.play()
  lib.expect_reply(conn, "accept")
  -- One reply per message: the steps signet-milter has no use for are left out.
  for name, flag in pairs({NOHELO = SMFIP_NOHELO, NORCPT = SMFIP_NORCPT, NODATA = SMFIP_NODATA,
                           NOUNKNOWN = SMFIP_NOUNKNOWN}) do
    lib.expect(mt.test_option(conn, flag), "SMFIP_" .. name .. " negotiated")
  end
  local want = tonumber(signatures or "1")
  local sigs = lib.added(conn, "DKIM-Signature")
  lib.expect(#sigs == want, want .. " DKIM-Signature field(s) added", #sigs)
  lib.expect_at_top(conn, "DKIM-Signature", sigs)
  local want_dk = tonumber(dk_signatures or "0")
  local dk = lib.added(conn, "DomainKey-Signature")
  lib.expect(#dk == want_dk, want_dk .. " DomainKey-Signature field(s) added", #dk)
  lib.expect_at_top(conn, "DomainKey-Signature", dk)
  lib.expect(not mt.eom_check(conn, MT_HDRADD), "nothing appended at the bottom (SMFIR_ADDHEADER)")
  lib.expect(#lib.added(conn, "Authentication-Results") == 0, "no Authentication-Results on a message it signs")
  lib.expect(#lib.added(conn, "DomainKey-Status") == 0, "no DomainKey-Status on a message it signs")
  for i, v in ipairs(sigs) do
    local d = lib.unfold(v)
    lib.expect(d:find("d=example.com;", 1, true) ~= nil, "signature #" .. i .. " has d=example.com", d)
  end
  for i, v in ipairs(dk) do
    local d = lib.unfold(v)
    lib.expect(d:find("a=rsa-sha1;", 1, true) ~= nil, "DomainKey-Signature #" .. i .. " has a=rsa-sha1", d)
    lib.expect(d:find("d=example.com;", 1, true) ~= nil, "DomainKey-Signature #" .. i .. " has d=example.com", d)
    if dk_canon then
      lib.expect(d:find("c=" .. dk_canon .. ";", 1, true) ~= nil,
                 "DomainKey-Signature #" .. i .. " has c=" .. dk_canon, d)
    end
  end
  lib.report_values("DKIM-Signature", sigs)
  lib.report_values("DomainKey-Signature", dk)
  mt.disconnect(conn)
end)
