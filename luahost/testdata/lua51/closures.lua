-- upvalues of closures made in a call that a pcall abandons keep their values
local b
local function f(x)
  local first = 1
  while 1 do
    if x == 3 and not first then return end
    local a = 'xuxu'
    b = function (op, y)
      if op == 'set' then a = x + y else return a end
    end
    if x == 1 then do break end
    elseif x == 2 then return
    else if x ~= 3 then error() end
    end
    first = nil
  end
end
for i = 1, 3 do
  f(i)
  print(b('get'))
  b('set', 10); print(b('get'))
  b = nil
end
print(pcall(f, 4))
print(b('get'))
b('set', 10); print(b('get'))
-- a local still in scope stays shared after an error is caught
local shared = 1
local get = function() return shared end
print(pcall(error, "x"))
shared = 2
print(get())
-- closures made in a loop, then an error
local fs = {}
print(pcall(function()
  for j = 1, 3 do
    local v = j * 10
    fs[j] = function() return v end
  end
  error("stop")
end))
local junk = { 1, 2, 3, 4, 5, 6, 7, 8 }
print(fs[1](), fs[2](), fs[3](), #junk)
-- the same with xpcall
local h
print(xpcall(function()
  local w = "kept"
  h = function() return w end
  error({})
end, function(e) return type(e) end))
local overwrite = { "a", "b", "c", "d" }
print(h(), #overwrite)
