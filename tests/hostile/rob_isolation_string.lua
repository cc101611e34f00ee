-- expect: normal
-- Changing string (and the string metatable) is invisible to other processes.
string.upper = function() return "pwned" end
string.injected = true
getmetatable("").__index = {rep = function() return "pwned" end}
getmetatable("").__add = function() return "pwned" end
local pid, ref = spawn_monitor(function()
  assert(("a"):upper() == "A", "string.upper changed in another process")
  assert(("a"):rep(2) == "aa", "the string metatable is shared")
  assert(string.injected == nil, "string.injected seen in another process")
  assert(not pcall(function() return "a" + {} end))
end)
local down = receive({tag = "DOWN"}, 50)
assert(down and down.reason == "normal", tostring(down and down.reason))
