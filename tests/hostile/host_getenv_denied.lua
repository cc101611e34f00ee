-- expect: normal
-- os.getenv answers nil for names the process was not allowed, also for a
-- name its spawner may read.
local ctx = ...
assert(os.getenv(ctx.env) == nil, "os.getenv read a name allowed only to the spawner")
assert(os.getenv("PATH") == nil, "os.getenv read PATH")
assert(os.getenv("HOME") == nil, "os.getenv read HOME")
