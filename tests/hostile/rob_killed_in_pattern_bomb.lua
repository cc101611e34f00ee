-- limits: max_instructions=0
-- expect: killed
-- Killed while in a pattern bomb, with no instruction limit to end it.
local me = self()
spawn(function()
  proc.sleep(0.5)
  exit(me, "kill")
end)
string.rep("a", 5000):find(".-.-.-.-.-b")
error("the pattern bomb returned")
