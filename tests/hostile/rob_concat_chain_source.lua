-- limits: max_instructions=1000000
-- timeout: 10
-- expect: normal|instruction_limit
-- A chain of 100,000 concatenations in source: compiling it must cost in
-- proportion to the budget (or be refused), not stall the core for seconds.
local f, err = loadstring("return ''" .. string.rep(" .. 'x'", 100000))
