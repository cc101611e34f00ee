-- expect: normal
-- t[5e7] = 1 lives in the hash part: it costs one field, not 800 MB.
local t = {}
t[5e7] = 1
t[1e9] = 2
t[2 ^ 52] = 3
t[-1] = 4
assert(t[5e7] == 1 and t[1e9] == 2 and t[2 ^ 52] == 3 and t[-1] == 4)
local keep = {}
for i = 1, 100 do
  local u = {}
  u[5e7 + i] = i
  keep[i] = u
end
assert(collectgarbage("count") < 32 * 1024)
