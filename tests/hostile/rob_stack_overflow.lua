-- expect: error stack overflow
-- Unbounded recursion ends the process with an error.
local function f(n) return 1 + f(n + 1) end
f(1)
