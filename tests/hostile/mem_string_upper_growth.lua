-- limits: max_memory=8MiB
-- expect: memory_limit
-- Distinct strings made by builtins (upper, rep, reverse) and kept.
local keep = {}
local piece = string.rep("ab", 4096)
local i = 0
while true do
  i = i + 1
  keep[i] = (piece .. i):upper():reverse()
end
