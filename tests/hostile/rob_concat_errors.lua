-- expect: error concat failed
-- A __concat metamethod that raises, through table.concat's neighbour: ..
local mt = {__concat = function() error("concat failed") end}
local _ = "a" .. setmetatable({}, mt) .. "b"
