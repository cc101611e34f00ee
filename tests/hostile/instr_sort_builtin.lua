-- limits: max_instructions=3000000
-- expect: instruction_limit
-- table.sort of a big table without a comparator: Go work that must charge.
local t = {}
for i = 1, 500000 do t[i] = (i * 7919) % 500009 end -- ~2.5M instructions
for _ = 1, 5 do
  table.sort(t)
  t[1], t[#t] = t[#t], t[1]
end
error("table.sort returned")
