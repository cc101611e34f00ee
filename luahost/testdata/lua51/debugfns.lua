-- the debug functions that stay inside the process
local function f(a, b)
  local c = a + b
  local names = {}
  local i = 1
  while true do
    local name, value = debug.getlocal(1, i)
    if not name then break end
    names[#names + 1] = name .. "=" .. (type(value) == "table" and "table" or tostring(value))
    i = i + 1
  end
  return table.concat(names, " ")
end
print(f(1, 2))
local x, y = 10, 20
local function g() return x + y end
print(debug.getupvalue(g, 1), debug.getupvalue(g, 2), debug.getupvalue(g, 3))
print(debug.setupvalue(g, 1, 100), g(), x)
print(debug.getupvalue(print, 1))
local t = setmetatable({}, { __metatable = "locked" })
print(getmetatable(t), type(debug.getmetatable(t)))
print(debug.setmetatable(t, nil), getmetatable(t))
local function setter()
  local v = 1
  debug.setlocal(1, 1, 42)
  return v
end
print(setter())
print(type(debug.getfenv(f)), debug.getfenv(f) == _G)
local env = { print = print }
local h = loadstring("return x")
debug.setfenv(h, { x = "from env" })
print(h())
print(type(debug.traceback()), debug.traceback("msg"):match("^msg\nstack traceback:") ~= nil)
