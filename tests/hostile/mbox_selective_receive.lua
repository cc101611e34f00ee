-- expect: mailbox_limit
-- A process waiting in a selective receive for a message that never comes,
-- while others pile up.
local me = self()
spawn_link(function()
  while true do send(me, {tag = "noise"}) end
end)
receive({tag = "never"})
error("receive returned")
