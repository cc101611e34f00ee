-- limits: max_instructions=5000000
-- expect: instruction_limit
-- A selective receive whose pattern function never returns.
send(self(), "bait")
receive(function() while true do end end)
error("receive returned")
