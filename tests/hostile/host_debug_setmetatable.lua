-- expect: normal
-- debug.setmetatable would change the metatable of strings, pids, files.
assert(debug.setmetatable == nil, "debug.setmetatable is reachable")
assert(debug.getmetatable == nil, "debug.getmetatable is reachable")
