-- limits: max_mailbox=10
-- expect: mailbox_limit
-- The same with a mailbox of 10.
local me = self()
spawn_link(function()
  for i = 1, 1000 do send(me, i) end
end)
proc.sleep(30)
error("still alive after the flood")
