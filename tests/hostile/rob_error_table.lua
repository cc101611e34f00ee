-- expect: error
-- An error value that is a table with a cycle.
local t = {code = 7}
t.self = t
error(t)
