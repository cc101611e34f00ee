-- expect: instruction_limit
-- The same bomb through string.gmatch.
for _ in string.rep("a", 5000):gmatch(".-.-.-.-.-b") do end
error("the pattern bomb returned")
