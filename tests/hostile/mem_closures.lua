-- expect: memory_limit
-- Closures made in a loop and kept.
local fs = {}
local i = 0
while true do
  i = i + 1
  local j = i
  fs[i] = function() return j end
end
