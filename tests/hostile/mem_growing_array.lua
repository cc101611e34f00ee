-- expect: memory_limit
-- An array that grows without end.
local t = {}
local n = 0
while true do
  n = n + 1
  t[n] = n
end
