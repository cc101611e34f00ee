-- limits: max_instructions=5000000
-- expect: instruction_limit
-- A __tostring that never returns, called by print (Go code calling Lua).
print(setmetatable({}, {__tostring = function() while true do end end}))
error("print returned")
