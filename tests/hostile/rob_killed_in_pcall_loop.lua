-- limits: max_instructions=2000000000
-- expect: killed
-- A kill is not caught by pcall.
local me = self()
spawn(function()
  proc.sleep(0.2)
  exit(me, "kill")
end)
while true do
  pcall(function() while true do end end)
end
