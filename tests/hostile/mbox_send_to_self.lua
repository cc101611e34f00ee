-- expect: mailbox_limit
-- A process that fills its own mailbox.
while true do send(self(), "me") end
