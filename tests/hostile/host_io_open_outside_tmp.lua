-- expect: normal
-- io.open of an existing file in a folder the process may not read.
local ctx = ...
local f, err = io.open(ctx.outside .. "/secret.txt")
assert(f == nil, "io.open read the secret")
assert(err:find("permission denied", 1, true), err)
