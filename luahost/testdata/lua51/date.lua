-- os.date formats (in UTC: "!"), os.time
local t = 1700000000 -- 2023-11-14 22:13:20 UTC, a Tuesday
for _, c in ipairs({ "a", "A", "b", "B", "c", "d", "H", "I", "j", "m", "M", "p", "S", "U", "w", "W",
  "x", "X", "y", "Y", "%", "C", "D", "e", "F", "g", "G", "h", "n", "R", "r", "T", "t", "u", "V" }) do
  print(c, os.date("!%" .. c, t))
end
print(os.date("!%Y-%m-%d %H:%M:%S", 0), os.date("!%j %U %W", 86400 * 3))
for _, d in ipairs({ 0, 86400 * 2, 86400 * 6, 86400 * 364, 1609459200, 1704067200 }) do
  print(os.date("!%Y-%m-%d %a %j %U %W %V %G %g %u %w", d))
end
local tt = os.date("!*t", t)
print(tt.year, tt.month, tt.day, tt.hour, tt.min, tt.sec, tt.wday, tt.yday, tt.isdst)
print(os.date("!literal %% text", t), os.date("!", t), os.date("!%", t))
print(type(os.date()), type(os.date(nil)), type(os.time()), type(os.clock()))
print(os.time({ year = 2000, month = 1, day = 1, hour = 0 }) - os.time({ year = 1999, month = 12, day = 31, hour = 0 }))
print(os.time({ year = 2000, month = 13, day = 1 }) == os.time({ year = 2001, month = 1, day = 1 }))
print(pcall(os.time, { year = 2000 }))
print(os.difftime(10, 4), os.difftime(5))
print(os.setlocale(), os.setlocale("C"), os.setlocale("xx_YY"), os.setlocale(nil, "numeric"))
