-- expect: normal
-- require through a package.path that points outside the allowed folders.
local ctx = ...
package.path = ctx.outside .. "/?.lua;" .. package.path
local ok, err = pcall(require, "secret")
assert(not ok, "require loaded a module from outside")
assert(tostring(err):find("not in a folder", 1, true), tostring(err))
assert(package.loaded.secret == nil)
