-- hello.lua: the smallest dlua program. The root process spawns a greeter,
-- sends it a message and waits for the answer.
local greeter = spawn(function()
  local msg = receive()
  send(msg.from, "hello, " .. msg.name .. " from " .. tostring(self()))
end)

send(greeter, {from = self(), name = arg[1] or "world"})
print(receive())
