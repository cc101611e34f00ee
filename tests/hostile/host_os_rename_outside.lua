-- allow: read write
-- expect: normal
-- os.rename may neither take a file from outside nor put one outside,
-- even with a writable folder on the other end.
local ctx = ...
local ok, err = os.rename(ctx.outside .. "/victim.txt", ctx.tmp .. "/stolen.txt")
assert(ok == nil, "os.rename took a file from outside")
assert(err:find("permission denied", 1, true), err)
ok, err = os.rename(ctx.tmp .. "/movable.txt", ctx.outside .. "/planted.txt")
assert(ok == nil, "os.rename put a file outside")
assert(err:find("permission denied", 1, true), err)
