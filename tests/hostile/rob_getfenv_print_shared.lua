-- expect: normal
-- getfenv(print) must not expose a table shared with other processes.
local env = getfenv(print)
env.injected_by_hostile = "pwned"
rawset(env, "print", function() end)
pcall(function() getfenv(string.format).injected_too = true end)
local pid, ref = spawn_monitor(function()
  assert(injected_by_hostile == nil, "injected global seen in another process")
  assert(injected_too == nil, "injected global seen in another process")
  assert(getfenv(print).injected_by_hostile == nil, "getfenv(print) is shared")
  local buf = {}
  assert(pcall(print, "child print works"))
end)
local down = receive({tag = "DOWN"}, 50)
assert(down and down.reason == "normal", tostring(down and down.reason))
