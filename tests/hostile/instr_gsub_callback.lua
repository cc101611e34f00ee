-- limits: max_instructions=1000000
-- expect: instruction_limit
-- gsub calling back into Lua for each of a million characters.
local n = 0
string.rep("a", 1e6):gsub(".", function(c) n = n + 1 return c end)
error("gsub returned after " .. n .. " calls")
