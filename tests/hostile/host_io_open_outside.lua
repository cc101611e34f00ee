-- expect: normal
-- io.open of a file outside the allowed folders fails with a denial.
local f, err = io.open("/etc/passwd")
assert(f == nil, "io.open read /etc/passwd")
assert(err:find("permission denied", 1, true), err)
