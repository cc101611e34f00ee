-- limits: max_instructions=5000000
-- expect: instruction_limit
-- A loop that passes control back and forth between two coroutines.
local co = coroutine.wrap(function()
  while true do coroutine.yield() end
end)
while true do co() end
