-- SIGTERM while an MTA holds a connection (signet-milter(8): the listener
-- stops and the messages in flight finish). The script opens a connection,
-- starts a message, prints READY, and waits while the driver sends SIGTERM.
--   mode=inflight  then finishes the message: the milter must still answer
--                  end of message (the design: messages in flight finish)
--   mode=idle      then disconnects at once; the driver checks that the
--                  daemon exits promptly once the MTA has gone
--
-- Globals: those of miltertest_lib.lua (headerfile and bodyfile unused), and
--   lib          path of miltertest_lib.lua
--   mode         inflight | idle
--   wait_reply   seconds to wait for each reply after the signal (default 10)
local lib = dofile(lib)

lib.main(function()
  mt.set_timeout(tonumber(wait_reply or "10"))
  local conn = mt.connect(socket, 50, 0.1)
  if conn == nil then error("cannot connect to " .. socket, 0) end
  -- Offered without SMFIP_NR_MAIL (and without the steps left out), so that
  -- the milter answers MAIL: READY then means it has taken the message in.
  -- With NR_MAIL nothing would say that MAIL has been read before SIGTERM.
  assert(mt.negotiate(conn, 6, SMFIF_ADDHDRS + SMFIF_CHGHDRS + SMFIF_QUARANTINE,
                      SMFIP_NR_HDR + SMFIP_NR_EOH + SMFIP_NR_BODY + SMFIP_HDR_LEADSPC) == nil, "negotiate")
  assert(mt.conninfo(conn, client_host, client_ip) == nil, "conninfo")
  assert(mt.mailfrom(conn, "<alice@example.com>") == nil, "mailfrom")
  assert(mt.getreply(conn) == SMFIR_CONTINUE, "MAIL answered")
  if not mt.test_option(conn, SMFIP_NORCPT) then
    assert(mt.rcptto(conn, "<bob@example.net>") == nil, "rcptto")
  end
  -- mt.header() adds the space after the colon itself when SMFIP_HDR_LEADSPC was agreed.
  assert(mt.header(conn, "From", "Alice <alice@example.com>") == nil, "header")
  print("READY")
  io.stdout:flush()
  mt.sleep(1.5)  -- the driver sends SIGTERM now
  if mode == "idle" then
    mt.disconnect(conn)
    lib.pass("disconnected after SIGTERM")
    return
  end
  local started = os.time()
  local ok = mt.header(conn, "Subject", "in flight during SIGTERM") == nil
      and mt.eoh(conn) == nil
      and mt.bodystring(conn, "in flight\r\n") == nil
      and mt.eom(conn) == nil
  local r = mt.getreply(conn)
  lib.expect(ok and (r == SMFIR_CONTINUE or r == SMFIR_ACCEPT or r == SMFIR_REPLYCODE),
             "the message in flight at SIGTERM is answered at end of message",
             (ok and lib.reply_word(r) or "no reply") .. " after " .. (os.time() - started) .. " s")
  mt.disconnect(conn)
end)
