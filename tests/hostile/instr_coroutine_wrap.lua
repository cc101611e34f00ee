-- limits: max_instructions=5000000
-- expect: instruction_limit
-- The same with coroutine.wrap.
coroutine.wrap(function() local n = 0 while true do n = n + 1 end end)()
error("wrap returned")
