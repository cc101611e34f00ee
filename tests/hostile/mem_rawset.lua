-- limits: max_memory=8MiB
-- expect: memory_limit
-- rawset (a builtin, not an instruction) growing a hash to 2^19
-- fields under an 8 MiB limit.
local t = {}
for i = 1, 2 ^ 19 do
  rawset(t, -i, true)
end
error("rawset grew the hash to 2^19 fields")
