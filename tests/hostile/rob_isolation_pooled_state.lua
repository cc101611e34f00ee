-- expect: normal
-- Processes that end leave nothing behind for the processes that come
-- after them (dlua reuses the Lua states of ended processes).
local function polluter()
  setfenv(0, {polluted = true})
  getmetatable("").__index = {upper = function() return "pwned" end}
  getmetatable("").__call = function() return "pwned" end
  string.lower = function() return "pwned" end
  _G.polluted = true
  package.loaded.polluted = true
  package.path = "/etc/?"
  rawset(_G, "print", nil)
end
local function checker()
  assert(getfenv(0).polluted == nil, "thread environment survived")
  assert(("a"):upper() == "A", "string metatable survived")
  assert(not pcall(function() return ("x")() end), "string __call survived")
  assert(string.lower("A") == "a", "string.lower survived")
  assert(polluted == nil, "global survived")
  assert(package.loaded.polluted == nil, "package.loaded survived")
  assert(package.path ~= "/etc/?", "package.path survived")
  assert(type(print) == "function", "print removal survived")
end
for round = 1, 20 do
  local _, ref = spawn_monitor(polluter)
  local d = receive({tag = "DOWN", ref = ref}, 50)
  assert(d and d.reason == "normal", "polluter: " .. tostring(d and d.reason))
  _, ref = spawn_monitor(checker)
  d = receive({tag = "DOWN", ref = ref}, 50)
  assert(d and d.reason == "normal", "round " .. round .. ": " .. tostring(d and d.reason))
end
