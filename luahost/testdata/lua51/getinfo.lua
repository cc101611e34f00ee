-- debug.getinfo
local function show(t)
  local keys = {}
  for k in pairs(t) do if k ~= "func" and k ~= "activelines" then keys[#keys + 1] = k end end
  table.sort(keys)
  local out = {}
  for _, k in ipairs(keys) do out[#out + 1] = k .. "=" .. tostring(t[k]) end
  return table.concat(out, " ")
end
local function f() return debug.getinfo(1) end
print(show(f()))
print(show(debug.getinfo(1)))
print(show(debug.getinfo(print)))
print(show(debug.getinfo(f, "S")))
print(debug.getinfo(1, "f").func ~= nil, debug.getinfo(f, "f").func == f)
print(debug.getinfo(100))
local function named() return debug.getinfo(1, "n") end
print(show(named()))
local obj = { m = function() return debug.getinfo(1, "n") end }
print(show(obj.m()), show(obj:m()))
g = function() return debug.getinfo(1, "nl") end
print(show(g()))
local up1, up2 = 1, 2
local function ups() return up1 + up2 end
print(debug.getinfo(ups, "u").nups, debug.getinfo(print, "u").nups)
local lines = debug.getinfo(f, "L").activelines
local n = 0
for k in pairs(lines) do n = n + 1 end
print(n > 0)
print(pcall(debug.getinfo, 1, "?"))
local code = loadstring("return debug.getinfo(1, 'S')")
print(show(code()))
print(show(loadstring("return debug.getinfo(1, 'S')", "=name")()))
print(show(loadstring("return debug.getinfo(1, 'S')", "a long chunk name that goes on and on and on and on")()))
print(show(loadstring("\n\nreturn debug.getinfo(1, 'Sl')")()))
