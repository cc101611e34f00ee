-- expect: error
-- An error value whose __tostring recurses.
local mt = {}
mt.__tostring = function(self) return tostring(self) end
error(setmetatable({}, mt))
