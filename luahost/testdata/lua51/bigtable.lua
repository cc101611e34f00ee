-- tables of more than 2^20 elements behave as in Lua 5.1
local N = 2 ^ 20 + 50
local t = {}
for i = 1, N do t[#t + 1] = i end
print(#t, t[N], t[2 ^ 20], t[2 ^ 20 + 1])
local n = 0
for _, v in ipairs(t) do n = n + 1 end
print(n)
print(select("#", unpack(t, N - 9)), unpack(t, N - 2))
print(#table.concat(t, ",", N - 5), table.concat(t, ",", N - 2))
print(table.remove(t), #t, table.remove(t, 1), #t, t[1])
table.insert(t, 1, "first")
print(#t, t[1], t[2], t[#t])
print(table.maxn(t), table.getn(t))
local u = {}
for i = 1, N do u[i] = N - i end
table.sort(u)
print(u[1], u[2 ^ 20], u[N], #u)
t[#t + 1] = "last"
t[#t + 1] = "after"
print(#t, t[#t - 1], t[#t])
-- sparse keys stay sparse
local s = {}
s[1e9] = 1
s[2 ^ 40] = 2
print(#s, s[1e9], s[2 ^ 40], table.maxn(s))
