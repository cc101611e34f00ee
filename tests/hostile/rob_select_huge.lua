-- expect: normal
-- select with huge and negative indexes.
assert(select(1e9, 1, 2, 3) == nil)
-- the index is a C int, as in Lua 5.1: 2^40 truncates to 0, out of range
assert(not pcall(select, 2 ^ 40, 1, 2))
assert(not pcall(select, -1e9, 1, 2, 3))
assert(not pcall(select, 0, 1))
