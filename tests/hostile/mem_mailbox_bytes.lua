-- expect: memory_limit
-- 300 distinct messages of 1 MiB wait in this process's mailbox (far fewer
-- than max_mailbox): 300 MiB held for a process limited to 32 MiB.
local me = self()
spawn_link(function()
  local piece = string.rep("m", 2 ^ 20 - 8)
  for i = 1, 300 do
    send(me, piece .. string.format("%08d", i))
  end
  send(me, "end")
end)
receive(function(m) return m == "end" end, 50)
proc.sleep(1)
