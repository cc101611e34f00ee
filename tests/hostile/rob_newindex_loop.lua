-- expect: error
-- A __newindex chain that loops back on itself.
local a, b = {}, {}
setmetatable(a, {__newindex = b})
setmetatable(b, {__newindex = a})
a.x = 1
