-- limits: max_instructions=2000000000
-- expect: killed
-- Killed by another process while in a busy loop.
local me = self()
spawn(function()
  proc.sleep(0.2)
  exit(me, "kill")
end)
while true do end
