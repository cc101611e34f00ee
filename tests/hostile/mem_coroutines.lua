-- expect: memory_limit
-- Coroutines made in a loop and kept.
local cs = {}
local i = 0
while true do
  i = i + 1
  cs[i] = coroutine.create(function() coroutine.yield(i) end)
  coroutine.resume(cs[i])
end
