-- allow: read write
-- expect: normal
-- A symbolic link in an allowed folder to a file outside does not open it.
local ctx = ...
local f, err = io.open(ctx.tmp .. "/link_file")
assert(f == nil, "io.open followed a link out")
assert(err:find("permission denied", 1, true), err)
f, err = io.open(ctx.tmp .. "/link_file", "a")
assert(f == nil, "io.open followed a link out for writing")
