-- expect: memory_limit
-- string.format copying eight 16 MiB strings (widths past 99 are refused,
-- as in Lua 5.1).
local s = string.rep("x", 2 ^ 24)
local r = string.format(("%s"):rep(8), s, s, s, s, s, s, s, s)
error("string.format returned " .. #r .. " bytes")
