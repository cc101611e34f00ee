-- expect: normal
-- String builtins with huge, negative and NaN indexes.
local s = "hostile"
for _, i in ipairs({2 ^ 53, -2 ^ 53, 2 ^ 63, -2 ^ 63, 1e300, -1e300, 0 / 0, math.huge, -math.huge}) do
  pcall(string.sub, s, i)
  pcall(string.sub, s, 1, i)
  pcall(string.byte, s, i)
  pcall(string.byte, s, i, -i)
  pcall(string.find, s, "t", i)
  pcall(string.find, s, "t", i, true)
  pcall(string.match, s, "t", i)
  pcall(string.rep, "", i)
  pcall(string.format, "%d", i)
  pcall(string.format, "%5.2f", i)
  pcall(string.format, "%c", i)
  pcall(string.format, "%x", i)
  pcall(unpack, {1, 2}, i, i)
  pcall(table.insert, {}, i, 1)
  pcall(table.remove, {1}, i)
  pcall(table.concat, {1, 2}, ",", i)
end
