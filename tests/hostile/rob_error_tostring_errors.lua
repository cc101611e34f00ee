-- expect: error
-- An error value whose __tostring raises.
error(setmetatable({}, {__tostring = function() error("tostring of the error failed") end}))
