-- expect: normal
-- xpcall whose handler raises.
local ok, err = xpcall(function() error("first") end, function() error("second") end)
assert(not ok)
local ok2 = xpcall(function() error("first") end, function(e) return e .. error("again") end)
assert(not ok2)
