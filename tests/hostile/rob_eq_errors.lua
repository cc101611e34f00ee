-- expect: error eq failed
-- An __eq metamethod that raises.
local mt = {__eq = function() error("eq failed") end}
local a, b = setmetatable({}, mt), setmetatable({}, mt)
local _ = a == b
