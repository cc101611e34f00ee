-- allow: read write
-- expect: normal
-- The control: inside the allowed folders, files work.
local ctx = ...
local f = assert(io.open(ctx.tmp .. "/inside.txt"))
assert(f:read("*a") == "inside\n")
f:close()
f = assert(io.open(ctx.tmp .. "/made-by-hostile.txt", "w"))
f:write("ok\n")
f:close()
assert(os.remove(ctx.tmp .. "/made-by-hostile.txt"))
assert(loadfile(ctx.dir .. "/" .. ctx.name))
