-- expect: error not in a folder
-- dofile of a file outside the allowed folders raises.
dofile("/etc/passwd")
