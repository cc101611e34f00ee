-- expect: error lt failed
-- An __lt metamethod that raises, called by table.sort (Go calling Lua).
local mt = {__lt = function() error("lt failed") end}
local t = {}
for i = 1, 100 do t[i] = setmetatable({}, mt) end
table.sort(t)
