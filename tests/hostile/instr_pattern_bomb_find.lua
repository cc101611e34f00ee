-- expect: instruction_limit
-- Backtracking that C Lua would run for days: string.find must charge the budget.
string.rep("a", 5000):find(".-.-.-.-.-b")
error("the pattern bomb returned")
