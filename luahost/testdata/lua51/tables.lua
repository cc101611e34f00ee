-- the table library
local t = { 5, 2, 8, 1, 9 }
table.sort(t)
print(table.concat(t, ","))
table.sort(t, function(a, b) return a > b end)
print(table.concat(t, ","))
local words = { "pear", "apple", "fig", "banana" }
table.sort(words)
print(table.concat(words, " "))
print(table.getn(t), table.maxn(t), table.maxn({ [1] = 1, [10] = 2, [3.5] = 3, x = 4 }), table.maxn({}))
table.insert(t, 1, 0)
table.insert(t, 7)
print(table.concat(t, ","))
print(table.remove(t), table.remove(t, 1), table.concat(t, ","))
print(table.remove({}), table.remove({}, 1), #t)
print(table.concat({}, ","), table.concat({ 1, 2, 3 }, ", ", 2, 3), table.concat({ "a" }, ",", 1, 0))
print(pcall(table.setn, {}, 1))
table.foreach({ "a", "b" }, print)
table.foreachi({ "x", "y", n = 1 }, print)
print(table.foreach({ 1, 2 }, function(k, v) if v == 2 then return "found" end end))
print(#{ 1, 2, 3, nil }, #{ n = 1 }, #"abc")
print(#setmetatable({ 1, 2, 3 }, { __len = function() return 99 end }))
local nums = {}
for i = 1, 200 do nums[i] = (i * 7919) % 211 end
table.sort(nums)
local ok = true
for i = 2, #nums do if nums[i - 1] > nums[i] then ok = false end end
print(ok, nums[1], nums[200])
print(pcall(table.sort, { 1, "x", 2 }))
print(pcall(table.sort, { {}, {} }))
local ipairsCount = 0
for i, v in ipairs({ 1, 2, nil, 4 }) do ipairsCount = ipairsCount + 1 end
print(ipairsCount)
print(next({}), type(next({ 1 })), rawequal(t, t), rawget({ 5 }, 1), rawlen)
print(unpack({ 1, 2, 3 }), unpack({ 1, 2, 3 }, 2), unpack({ 1, 2 }, 1, 4))
print(select("#", unpack({}, 1, 0)))
