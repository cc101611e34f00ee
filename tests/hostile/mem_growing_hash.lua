-- limits: max_memory=8MiB
-- expect: memory_limit
-- A hash with string keys that grows without end.
local t = {}
local n = 0
while true do
  n = n + 1
  t["key" .. n] = n
end
