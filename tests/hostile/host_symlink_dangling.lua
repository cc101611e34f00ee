-- allow: read write
-- expect: normal
-- A dangling link in the writable folder, pointing outside: writing through
-- it would make a file outside. The Go test checks that none was made.
local ctx = ...
local f, err = io.open(ctx.tmp .. "/dangling", "w")
assert(f == nil, "io.open wrote through a dangling link")
assert(err:find("permission denied", 1, true), err)
