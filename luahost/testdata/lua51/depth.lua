-- call depth as in C Lua: about 20000 Lua calls, 200 nested calls from builtins
local function depth(n) if n == 0 then return 0 end return 1 + depth(n - 1) end
print(depth(15000))
local ok, err = pcall(depth, 30000)
print(ok, (tostring(err):gsub("^.-:%d+: ", "")))
local function nest(n) if n == 0 then return "bottom" end return select(2, pcall(nest, n - 1)) end
print(nest(150))
local r = nest(250)
print(r)
local function tail(n) if n == 0 then return "done" end return tail(n - 1) end
print(tail(100000))
local co = coroutine.wrap(function() return depth(10000) end)
print(co())
