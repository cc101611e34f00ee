-- pingpong.lua [N]: two processes play N rounds of ping-pong (default 10).
--
-- The root starts a "pong" server and a "ping" client. The client sends
-- ping number i, waits for the matching pong, and prints the exchange. The
-- root monitors the client to learn when it is done, then stops the server.
--
--   dlua run scripts/pingpong.lua 3
local N = tonumber(arg[1]) or 10

-- pong answers every {ping = i, from = pid} with {pong = i} until it is
-- told to stop. It returns how many pings it answered, which nobody reads:
-- a process that returns ends with reason "normal".
local function pong()
  local answered = 0
  while true do
    local msg = receive()
    if msg == "stop" then
      return answered
    end
    answered = answered + 1
    send(msg.from, {pong = msg.ping})
  end
end

-- ping plays n rounds against server, waiting for each answer before it
-- sends the next ping.
local function ping(server, n)
  for i = 1, n do
    send(server, {ping = i, from = self()})
    -- Selective receive: take only the pong for this round.
    local reply = receive({pong = i})
    print(string.format("ping %d -> pong %d", i, reply.pong))
  end
end

local server = spawn(pong)
-- spawn_monitor starts the client and monitors it in one step, so the DOWN
-- message cannot be missed even if the client ends at once.
local client, ref = spawn_monitor(ping, server, N)

local down = receive({tag = "DOWN", ref = ref})
send(server, "stop")
print(string.format("pingpong: %d exchanges, client ended: %s", N, tostring(down.reason)))
