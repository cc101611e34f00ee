-- expect: normal
-- string.char with 7,900 arguments (C Lua's stack takes 8,000), many times.
local t = {}
for i = 1, 7900 do t[i] = 65 + i % 26 end
for _ = 1, 100 do
  local s = string.char(unpack(t))
  assert(#s == 7900)
end
pcall(string.char, 256)
pcall(string.char, -1)
pcall(string.char, 0 / 0)
