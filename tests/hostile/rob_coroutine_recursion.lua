-- expect: memory_limit|error
-- Coroutines resuming coroutines without end: each has its own call stack,
-- so only the process's limits (or a depth limit) can stop it.
local function f()
  local co = coroutine.wrap(f)
  return co()
end
f()
