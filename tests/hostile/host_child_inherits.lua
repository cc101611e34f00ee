-- limits: max_instructions=5000000
-- expect: normal
-- A child inherits its spawner's permissions and limits.
local me = self()
local pid, ref = spawn_monitor(function()
  send(me, {
    file = io.open("/etc/passwd") == nil,
    env = os.getenv("PATH") == nil,
    exec = os.execute == nil,
  })
  while true do end -- the inherited instruction budget ends it
end)
local m = receive(function(m) return m.file ~= nil end, 50)
assert(m and m.file and m.env and m.exec, "child got more than its spawner")
local down = receive({tag = "DOWN"}, 50)
assert(down and down.reason == "instruction_limit", "child did not inherit the budget: " .. tostring(down and down.reason))
