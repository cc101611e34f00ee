-- expect: instruction_limit
-- The same bomb through string.gsub.
string.rep("a", 5000):gsub(".-.-.-.-.-b", "")
error("the pattern bomb returned")
