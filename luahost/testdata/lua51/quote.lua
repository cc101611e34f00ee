-- %q writes what loadstring reads back byte for byte
local all = {}
for i = 0, 255 do all[#all + 1] = string.char(i) end
local s = table.concat(all)
local q = string.format("%q", s)
local back = loadstring("return " .. q)()
print(back == s, #q)
print(string.format("%q", "a\0b\n\r\"\\\1\255"))
print(string.format("%q", 1 / 3), string.format("%q", ""), string.format("%q", "\r\n"))
for _, v in ipairs({ "tab\there", "nul\0\0end", "quote\"", "\\", "\n\n" }) do
  local r = loadstring("return " .. string.format("%q", v))()
  print(r == v, string.format("%q", v))
end
