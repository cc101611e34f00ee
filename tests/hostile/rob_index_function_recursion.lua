-- expect: error stack overflow
-- An __index function that indexes its own table.
local t
t = setmetatable({}, {__index = function(self, k) return self[k .. "!"] end})
local _ = t.x
