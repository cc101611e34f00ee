-- limits: max_instructions=5000000
-- expect: instruction_limit
-- A loop in the message handler of xpcall.
xpcall(function() error("first") end, function() while true do end end)
error("xpcall returned")
