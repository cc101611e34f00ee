-- require, module, package.loaders
package.preload["pre.mod"] = function(name) return { name = name } end
print(require("pre.mod").name, package.loaded["pre.mod"].name)
local found = {}
table.insert(package.loaders, 2, function(name)
  if name == "virtual" then return function() return "from a loader" end end
  return "\n\tno virtual module '" .. name .. "'"
end)
print(require("virtual"))
local ok, err = pcall(require, "nowhere")
print(ok, err:match("^module 'nowhere' not found:"), err:match("no field package.preload%['nowhere'%]") ~= nil,
  err:match("no virtual module 'nowhere'") ~= nil)
package.preload.loopy = function() return require("loopy") end
print(pcall(require, "loopy"))
package.preload.mymod = function(...)
  module(...)
  function hello() return "hello from " .. _NAME end
  return nil
end
local mm = require("mymod")
print(mm.hello(), mm._NAME, mm._PACKAGE, mm._M == mm, mymod == mm)
package.preload["a.b.c"] = function(...)
  module(..., package.seeall)
  value = tostring(type(print))
end
require("a.b.c")
print(a.b.c.value, a.b.c._PACKAGE, a.b.c._NAME)
print(type(package.loaded.string), package.loaded._G == _G)
