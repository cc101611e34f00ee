-- own-node
-- max-rss: 256MiB
-- expect: normal
-- Source nested a million levels deep (2 MB): the compiler must refuse it
-- (C Lua stops at 200 levels) or compile it within the process's memory
-- limit; the memory it takes must not be hidden from the accounting. It
-- runs in a node of its own, whose peak RSS is checked.
local n = 1000000
local f, err = loadstring("return " .. string.rep("(", n) .. "1" .. string.rep(")", n))
assert(f == nil or f() == 1)
