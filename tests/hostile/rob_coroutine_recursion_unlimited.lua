-- limits: max_memory=0 max_instructions=0
-- own-node
-- expect: error|memory_limit
-- Coroutines resuming coroutines without end, with no memory or
-- instruction limit (as "dlua run" runs by default): the process must end
-- alone; overflowing the Go stack would end the whole node. It runs in a
-- node of its own (a crash would hide every other result, and the Go
-- stack it may grow is above the corpus's RSS bound).
local depth = 0
local function f()
  depth = depth + 1
  local co = coroutine.wrap(f)
  return co()
end
f()
