-- limits: max_instructions=5000000
-- expect: instruction_limit
-- pcall does not catch the end of the budget.
local ok = pcall(function() while true do end end)
error("pcall returned " .. tostring(ok))
