-- expect: memory_limit
-- Messages of 64 KiB received in a loop and kept.
local me = self()
local sender = spawn_link(function()
  local piece = string.rep("m", 65536)
  local i = 0
  while true do
    i = i + 1
    send(me, piece .. i)
    receive() -- wait for the ack: the mailbox stays short
  end
end)
local keep = {}
while true do
  keep[#keep + 1] = receive()
  send(sender, "ack")
end
