-- Authentication-Results fields already in the message that claim our
-- authserv-id are removed (SMFIR_CHGHEADER with an empty value, the index
-- counting Authentication-Results fields from 1); the others stay. The new
-- result is inserted at index 0. The same for X-Authentication-Results with
-- x_removed and x_kept.
--
-- Globals: those of miltertest_lib.lua, and
--   lib          path of miltertest_lib.lua
--   removed      comma-separated indexes that must be removed, e.g. "1,4"
--   kept         comma-separated indexes that must stay, with why after ':',
--                e.g. "2:another authserv-id,3:a longer name"
--   removed_why  comma-separated reasons, one per `removed` index
--   x_removed, x_kept  the same for X-Authentication-Results (optional)
local lib = dofile(lib)

local function list(s)
  local out = {}
  for item in (s or ""):gmatch("[^,]+") do out[#out + 1] = item end
  return out
end

local function check(conn, name, removed_list, why_list, kept_list)
  local why = list(why_list)
  for i, idx in ipairs(list(removed_list)) do
    lib.expect(mt.eom_check(conn, MT_HDRDELETE, name, tonumber(idx)),
               name .. " #" .. idx .. " removed (" .. (why[i] or "") .. ")")
  end
  for _, item in ipairs(list(kept_list)) do
    local idx, reason = item:match("^(%d+):?(.*)$")
    lib.expect(not mt.eom_check(conn, MT_HDRDELETE, name, tonumber(idx)),
               name .. " #" .. idx .. " kept (" .. reason .. ")")
  end
end

lib.main(function()
  local conn = lib.play()
  lib.expect_reply(conn, "accept")
  check(conn, "Authentication-Results", removed, removed_why, kept)
  check(conn, "X-Authentication-Results", x_removed, nil, x_kept)
  local ar = lib.added(conn, "Authentication-Results")
  lib.expect(#ar == 1, "one Authentication-Results added", #ar)
  lib.expect_at_top(conn, "Authentication-Results", ar)
  lib.report_values("Authentication-Results", ar)
  mt.disconnect(conn)
end)
