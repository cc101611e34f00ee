-- expect: memory_limit
-- s = s .. s reaches gigabytes in 30 instructions.
local s = "x"
for _ = 1, 40 do s = s .. s end
error("doubling reached " .. #s .. " bytes")
