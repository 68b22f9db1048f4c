-- Authentication-Results fields already in the message that claim our
-- authserv-id are removed (SMFIR_CHGHEADER with an empty value, the index
-- counting Authentication-Results fields from 1); the others stay. The new
-- result is inserted at index 0.
--
-- Globals: those of miltertest_lib.lua, and
--   lib          path of miltertest_lib.lua
--   removed      comma-separated indexes that must be removed, e.g. "1,4"
--   kept         comma-separated indexes that must stay, with why after ':',
--                e.g. "2:another authserv-id,3:a longer name"
--   removed_why  comma-separated reasons, one per `removed` index
local lib = dofile(lib)

local function list(s)
  local out = {}
  for item in (s or ""):gmatch("[^,]+") do out[#out + 1] = item end
  return out
end

lib.main(function()
  local conn = lib.play()
  lib.expect_reply(conn, "accept")
  local why = list(removed_why)
  for i, idx in ipairs(list(removed)) do
    lib.expect(mt.eom_check(conn, MT_HDRDELETE, "Authentication-Results", tonumber(idx)),
               "Authentication-Results #" .. idx .. " removed (" .. (why[i] or "") .. ")")
  end
  for _, item in ipairs(list(kept)) do
    local idx, reason = item:match("^(%d+):?(.*)$")
    lib.expect(not mt.eom_check(conn, MT_HDRDELETE, "Authentication-Results", tonumber(idx)),
               "Authentication-Results #" .. idx .. " kept (" .. reason .. ")")
  end
  local ar = lib.added(conn, "Authentication-Results")
  lib.expect(#ar == 1, "one Authentication-Results added", #ar)
  lib.expect_at_top(conn, "Authentication-Results", ar)
  lib.report_values("Authentication-Results", ar)
  mt.disconnect(conn)
end)
