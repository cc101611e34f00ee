-- expect: normal
-- Resuming a dead coroutine, and one that raised.
local co = coroutine.create(function() return 1 end)
assert(coroutine.resume(co))
local ok, err = coroutine.resume(co)
assert(not ok and err:find("dead"), tostring(err))
local bad = coroutine.create(function() error("inside") end)
assert(not coroutine.resume(bad))
assert(not coroutine.resume(bad))
assert(coroutine.status(bad) == "dead")
local ok2 = pcall(coroutine.wrap(function() end))
assert(ok2)
