-- expect: normal
-- debug.setmetatable cannot change the metatable of pids or files (the
-- node's), and the string metatable it changes is this process's own.
assert(not pcall(debug.setmetatable, self(), {}), "debug.setmetatable of a pid")
assert(not pcall(debug.setmetatable, io.stdout, {}), "debug.setmetatable of a file")
assert(debug.getmetatable(self()) == nil, "debug.getmetatable of a pid")
assert(debug.getmetatable(io.stdout) == nil, "debug.getmetatable of a file")
debug.setmetatable("", { __index = { evil = function() return "evil" end } })
assert(("x"):evil() == "evil")
local _, ref = proc.spawn_opt({ monitor = true }, function() assert(("x").evil == nil, "leaked") end)
local m = receive(function(m) return type(m) == "table" and m.ref == ref end)
assert(m.reason == "normal", tostring(m.reason))
