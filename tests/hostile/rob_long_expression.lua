-- expect: normal
-- An expression of 300,000 terms.
local f = loadstring("return 0" .. string.rep(" + 1", 300000))
assert(f == nil or f() == 300000)
