-- expect: normal
-- The control: 8 MiB of live data and much garbage fit a 32 MiB limit.
local keep = {}
for i = 1, 8 do keep[i] = string.rep(string.char(64 + i), 2 ^ 20) end
for i = 1, 200 do
  local garbage = {}
  for j = 1, 1000 do garbage[j] = j end
end
local s = ""
for i = 1, 2000 do s = s .. "x" end
assert(#s == 2000)
