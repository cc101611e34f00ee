-- multiple assignment evaluates every value before assigning
local a, b = 1, 2
a, b = b, a
print(a, b)
local x, y, z = 1, 2, 3
x, y, z = z, x, y
print(x, y, z)
g1, g2 = 1, 2
g1, g2 = g2, g1
print(g1, g2)
local t = { 1, 2 }
t[1], t[2] = t[2], t[1]
print(t[1], t[2])
local i = 3
local arr = {}
i, arr[i] = i + 1, 20
print(i, arr[3], arr[4])
local k = 1
arr[k], k = "first", 2
print(k, arr[1], arr[2])
local function gcd(m, n)
  while n ~= 0 do m, n = n, m % n end
  return m
end
print(gcd(48, 18), gcd(17, 5), gcd(1071, 462))
local function fib(n)
  local p, q = 0, 1
  for _ = 1, n do p, q = q, p + q end
  return p
end
print(fib(10), fib(50), fib(80))
local u = 1
local function up() u, a = a, u end
up()
print(u, a)
local function three() return 1, 2, 3 end
local p1, p2, p3 = 0, 0, 0
p1, p2, p3 = three()
print(p1, p2, p3)
p1, p2, p3 = 9, three()
print(p1, p2, p3)
p1, p2 = (three())
print(p1, p2)
p1, p2 = 1, 2, print("extra values are evaluated")
print(p1, p2)
-- the stores are made last to first
local log = {}
local mt = { __newindex = function(_, k, v) log[#log + 1] = k .. "=" .. tostring(v) end }
local o = setmetatable({}, mt)
o.a, o.b, o.c = 1, 2, 3
print(table.concat(log, " "))
local s, e = 1, 10
s, e = e, s
print(s, e)
