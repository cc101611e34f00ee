-- expect: normal
-- io.lines of a file outside the allowed folders raises.
local ok, err = pcall(io.lines, "/etc/passwd")
assert(not ok, "io.lines read /etc/passwd")
assert(tostring(err):find("permission denied", 1, true), tostring(err))
