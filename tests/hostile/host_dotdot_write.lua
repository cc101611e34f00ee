-- allow: read write
-- expect: normal
-- ".." out of the writable folder is outside it; the Go test checks that
-- nothing was made.
local ctx = ...
local target = ctx.tmp .. "/../" .. ctx.outside:match("([^/]*)$") .. "/dotdot.txt"
local f, err = io.open(target, "w")
assert(f == nil, "io.open wrote " .. target)
assert(err:find("permission denied", 1, true), err)
