-- limits: max_instructions=100000
-- expect: normal
-- The control: a little work fits a small budget.
local n = 0
for i = 1, 1000 do n = n + i end
assert(n == 500500)
assert(proc.info().instructions < 100000)
