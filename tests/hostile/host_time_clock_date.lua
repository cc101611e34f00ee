-- expect: normal
-- os.time, os.clock and os.date always work.
assert(type(os.time()) == "number" and os.time() > 1.6e9)
assert(type(os.clock()) == "number")
assert(os.date("%Y"):match("^%d%d%d%d$"))
local t = os.date("*t")
assert(type(t) == "table" and t.year >= 2024)
assert(os.time({year = 2000, month = 1, day = 1, hour = 12}) > 0)
assert(type(os.difftime(os.time(), 0)) == "number")
