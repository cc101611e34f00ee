-- expect: normal
-- loadstring refuses precompiled chunks.
local f, err = loadstring("\27Lua" .. string.rep("\0", 64))
assert(f == nil, "loadstring accepted bytecode")
assert(type(err) == "string", "no error message")
