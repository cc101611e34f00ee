-- expect: killed
-- Killed while blocked in receive.
local me = self()
spawn(function()
  proc.sleep(0.2)
  exit(me, "kill")
end)
receive()
error("receive returned")
