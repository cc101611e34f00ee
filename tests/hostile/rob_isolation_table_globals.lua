-- expect: normal
-- Changing table, math and _G is invisible to other processes.
table.insert = nil
table.concat = function() error("pwned") end
math.floor = function() return 42 end
_G.pairs = nil
_G.tostring = function() return "pwned" end
setmetatable(_G, {__index = function(_, k) error("no global " .. tostring(k)) end})
local pid, ref = proc.spawn_monitor(function()
  assert(type(table.insert) == "function", "table.insert gone in another process")
  assert(table.concat({"a", "b"}) == "ab")
  assert(math.floor(1.5) == 1)
  assert(type(pairs) == "function")
  assert(tostring(1) == "1")
  assert(undefined_global == nil)
end)
local down = proc.receive({tag = "DOWN"}, 50)
assert(down and down.reason == "normal", "child: " .. (type(down.reason) == "string" and down.reason or "?"))
