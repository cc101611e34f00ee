-- expect: normal
-- A folder the process may read is not one it may write: the corpus folder.
local ctx = ...
local f, err = io.open(ctx.dir .. "/written-by-hostile.txt", "w")
assert(f == nil, "io.open wrote into a read-only folder")
assert(err:find("permission denied", 1, true), err)
f, err = io.open(ctx.dir .. "/" .. ctx.name, "a")
assert(f == nil, "io.open appended to a script")
