-- allow: env
-- expect: normal
-- The control: an allowed name is read.
local ctx = ...
assert(os.getenv(ctx.env) == "hostile-secret", tostring(os.getenv(ctx.env)))
assert(os.getenv("PATH") == nil, "os.getenv read PATH")
