-- expect: normal
-- os.remove outside allow_write fails; the Go test checks the file is still there.
local ctx = ...
local ok, err = os.remove(ctx.outside .. "/victim.txt")
assert(ok == nil, "os.remove removed a file outside")
assert(err:find("permission denied", 1, true), err)
ok, err = os.remove(ctx.dir .. "/" .. ctx.name)
assert(ok == nil, "os.remove removed a script of a read-only folder")
