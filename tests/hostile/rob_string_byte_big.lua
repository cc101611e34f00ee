-- expect: error|memory_limit
-- string.byte(s, 1, -1) of a 4 MiB string: 4 million results, 64 MiB of
-- stack for a process limited to 32 MiB.
local s = string.rep("b", 2 ^ 22)
local n = select("#", string.byte(s, 1, -1))
error("string.byte returned " .. n .. " values")
