-- expect: instruction_limit
-- The same bomb through string.match, with captures.
string.rep("a", 5000):match("(.-)(.-)(.-)(.-)(.-)b")
error("the pattern bomb returned")
