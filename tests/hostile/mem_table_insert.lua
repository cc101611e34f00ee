-- limits: max_memory=8MiB
-- expect: memory_limit
-- table.insert (a builtin, not an instruction) growing an array to 4M
-- slots, 64 MB, under an 8 MiB limit.
local t = {}
for _ = 1, 2 ^ 22 do
  table.insert(t, 1.5)
end
error("table.insert grew the array to " .. #t)
