-- expect: normal
-- loadfile of a file outside the allowed folders fails.
local ctx = ...
local f, err = loadfile("/etc/passwd")
assert(f == nil, "loadfile read /etc/passwd")
assert(err:find("not in a folder", 1, true), err)
f, err = loadfile(ctx.outside .. "/secret.lua")
assert(f == nil, "loadfile read a file outside")
assert(err:find("not in a folder", 1, true), err)
