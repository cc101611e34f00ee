-- expect: normal
-- os.date with a format of 2 MiB, and odd times.
local s = os.date(string.rep("%Y", 2 ^ 20))
assert(#s == 4 * 2 ^ 20, #s)
pcall(os.date, "%Y", 1e300)
pcall(os.date, "*t", -1e18)
pcall(os.date, "!%c", 2 ^ 62)
pcall(os.time, {year = 1e300, month = 1, day = 1})
pcall(os.date, string.rep("%", 1001))
