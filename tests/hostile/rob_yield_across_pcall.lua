-- expect: normal
-- Yielding from inside a pcall inside a coroutine, and from outside any
-- coroutine: either works or raises, and the process goes on.
local co = coroutine.create(function()
  local ok, v = pcall(coroutine.yield, 1)
  return "after", ok, v
end)
pcall(coroutine.resume, co)
pcall(coroutine.resume, co, 2)
local ok = pcall(coroutine.yield, 1)
assert(not ok, "yield outside a coroutine succeeded")
local sorted = coroutine.wrap(function()
  local t = {3, 2, 1}
  table.sort(t, function(a, b) coroutine.yield() return a < b end)
end)
pcall(sorted)
pcall(sorted)
