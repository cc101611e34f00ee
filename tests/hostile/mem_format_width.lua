-- expect: memory_limit
-- string.format with eight widths of ten million.
local s = string.format(("%9999999d"):rep(8), 1, 2, 3, 4, 5, 6, 7, 8)
error("string.format returned " .. #s .. " bytes")
