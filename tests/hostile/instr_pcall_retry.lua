-- limits: max_instructions=5000000
-- expect: instruction_limit
-- A script that keeps retrying after each failed pcall.
while true do
  pcall(function() local n = 0 while n < 1e6 do n = n + 1 end error("again") end)
end
