-- limits: max_instructions=5000000
-- expect: instruction_limit
-- A loop inside a coroutine counts against the process's budget.
local co = coroutine.create(function() while true do end end)
coroutine.resume(co)
error("resume returned")
