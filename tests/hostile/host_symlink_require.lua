-- allow: read
-- expect: normal
-- require through a folder link that leads out of the allowed folders.
local ctx = ...
package.path = ctx.tmp .. "/link_dir/?.lua"
local ok, err = pcall(require, "secret")
assert(not ok, "require loaded a module through a link")
assert(tostring(err):find("not in a folder", 1, true), tostring(err))
