-- allow: read write
-- expect: normal
-- A symbolic link in an allowed folder to a folder outside does not lead out.
local ctx = ...
local f, err = io.open(ctx.tmp .. "/link_dir/secret.txt")
assert(f == nil, "io.open went through a folder link")
assert(err:find("permission denied", 1, true), err)
local ok, derr = pcall(dofile, ctx.tmp .. "/link_dir/secret.lua")
assert(not ok, "dofile went through a folder link")
f, err = io.open(ctx.tmp .. "/link_dir/planted.txt", "w")
assert(f == nil, "io.open made a file through a folder link")
