-- expect: normal
-- load refuses precompiled chunks.
local f, err = load("\27LuaQ\0\1\4\8\4\8\0")
assert(f == nil, "load accepted bytecode")
assert(type(err) == "string", "no error message")
