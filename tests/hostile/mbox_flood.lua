-- expect: mailbox_limit
-- A process that never receives while another floods it (max_mailbox 10000).
local me = self()
spawn_link(function()
  while true do send(me, "flood") end
end)
proc.sleep(30)
error("still alive after the flood")
