-- expect: error xxxxxxxx
-- An error message of 8 MiB.
error(string.rep("x", 2 ^ 23))
