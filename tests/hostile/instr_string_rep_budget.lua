-- limits: max_memory=0 max_instructions=100000
-- expect: instruction_limit
-- string.rep of 512 MiB under a budget of 100,000 instructions (and no
-- memory limit): the work must charge the budget, before it is done.
local s = string.rep("x", 2 ^ 29)
error("string.rep returned " .. #s .. " bytes")
