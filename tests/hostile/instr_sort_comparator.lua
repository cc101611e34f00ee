-- limits: max_instructions=2000000
-- expect: instruction_limit
-- table.sort of a big table with a Lua comparator.
local t = {}
for i = 1, 200000 do t[i] = (i * 7919) % 200003 end
table.sort(t, function(a, b) return a < b end)
error("table.sort returned")
