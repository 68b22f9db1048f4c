-- Plays one message through a milter as an MTA would, for miltertest(8),
-- following the milter's negotiation (tests/integration/miltertest_lib.lua:
-- OpenDKIM negotiates SMFIP_NOHELO, signet-milter SMFIP_NORCPT and more).
--
-- Globals, set with miltertest -D: those of miltertest_lib.lua (socket,
-- client_host, client_ip, queue_id, headerfile, bodyfile), and
--   lib         path of miltertest_lib.lua
--   want        name of the header field the filter is expected to add
-- Output, one line each, parsed by peers.py:
--   REPLY <eom reply code>
--   ADDED <index> <hex of the value>        every instance of `want` the filter added
--   DONE interop                            (ERROR interop: <why> when the script broke)
local lib = dofile(lib)
lib.case = "interop"

lib.main(function()
  local conn = lib.play()
  print("REPLY " .. tostring(mt.getreply(conn)))
  for n, value in ipairs(lib.added(conn, want)) do print("ADDED " .. (n - 1) .. " " .. lib.tohex(value)) end
  mt.disconnect(conn)
end)
