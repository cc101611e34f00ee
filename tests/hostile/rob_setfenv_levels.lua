-- expect: normal
-- setfenv of the running thread and of the running function: each
-- process's own.
setfenv(0, {marker = "process-local"})
setfenv(1, setmetatable({}, {__index = _G}))
assert(not pcall(setfenv, 50, {}))
local pid, ref = spawn_monitor(function()
  assert(getfenv(0).marker == nil, "another process saw the thread's environment")
  assert(type(print) == "function")
end)
local down = receive({tag = "DOWN"}, 50)
assert(down and down.reason == "normal", tostring(down and down.reason))
