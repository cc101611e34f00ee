-- limits: max_memory=8MiB
-- expect: memory_limit
-- Globals made without end.
local i = 0
while true do
  i = i + 1
  _G["global_" .. i] = i
end
