-- pingpong.lua [N]: N round trips between two local processes.
local N = tonumber(arg[1]) or 500000

local pong = spawn(function()
  while true do
    local msg = receive()
    if msg == "stop" then return end
    send(msg, "pong")
  end
end)

local me = self()
local t0 = os.clock()
for i = 1, N do
  send(pong, me)
  receive()
end
local dt = os.clock() - t0
send(pong, "stop")
print(string.format("pingpong %.0f round_trips/s (%.2f us/round_trip)", N / dt, dt / N * 1e6))
