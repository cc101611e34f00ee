-- expect: error
-- unpack of a hundred million values.
local _ = unpack({}, 1, 1e8)
error("unpack returned")
