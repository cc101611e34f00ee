-- expect: normal
-- select with huge and negative indexes.
assert(select(1e9, 1, 2, 3) == nil)
assert(select("#", select(2 ^ 40, 1, 2)) == 0)
assert(not pcall(select, -1e9, 1, 2, 3))
assert(not pcall(select, 0, 1))
