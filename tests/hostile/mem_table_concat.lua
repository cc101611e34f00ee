-- expect: memory_limit
-- table.concat of 200 pieces of 1 MiB (one piece, held 200 times).
local piece = string.rep("x", 2 ^ 20)
local t = {}
for i = 1, 200 do t[i] = piece end
local s = table.concat(t)
error("table.concat returned " .. #s .. " bytes")
