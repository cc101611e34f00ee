-- limits: max_instructions=5000000
-- expect: instruction_limit
-- An __index metamethod that never returns.
local t = setmetatable({}, {__index = function() while true do end end})
local _ = t.anything
error("__index returned")
