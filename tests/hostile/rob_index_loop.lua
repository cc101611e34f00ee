-- expect: error
-- An __index chain that loops back on itself.
local a = setmetatable({}, {})
getmetatable(a).__index = a
local _ = a.missing
