-- expect: normal
-- math.random with huge and odd ranges: a number in range or an error,
-- never a crash.
local function check(lo, hi)
  local ok, x = pcall(math.random, lo, hi)
  if ok then assert(x >= lo and x <= hi, "math.random out of range") end
end
check(-2 ^ 62, 2 ^ 62)
check(-2 ^ 63, 2 ^ 63)
check(0, 2 ^ 53)
check(1, 2 ^ 70)
check(-1e300, 1e300)
pcall(math.random, 0 / 0)
pcall(math.random, math.huge)
pcall(math.random, -math.huge, math.huge)
pcall(math.random, 2 ^ 63)
pcall(math.randomseed, 0 / 0)
pcall(math.randomseed, math.huge)
-- bounds are C ints, as in Lua 5.1: 2^40 truncates to 0, an empty interval
assert(not pcall(math.random, 2 ^ 40))
local r = math.random(2 ^ 30)
assert(r >= 1 and r <= 2 ^ 30)
