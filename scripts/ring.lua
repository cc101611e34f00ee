-- ring.lua [M] [K]: a token goes K times (default 3) around a ring of M
-- processes (default 100).
--
-- The root closes the ring: root -> p1 -> p2 -> ... -> pM -> root. The
-- token is a number that every member adds one to, so after K laps it is
-- M * K. Then a "stop" token goes around once more and every member ends.
--
--   dlua run scripts/ring.lua 1000 10
local M = tonumber(arg[1]) or 100
local K = tonumber(arg[2]) or 3
assert(M >= 1 and K >= 1, "usage: ring.lua [PROCESSES >= 1] [LAPS >= 1]")

-- member waits for the pid of its successor, then forwards every token to
-- it, counting the hop. "stop" is forwarded as it is, and ends the member.
local function member()
  local successor = receive()
  while true do
    local token = receive()
    if token == "stop" then
      send(successor, "stop")
      return
    end
    send(successor, token + 1)
  end
end

-- Build the ring backwards: each new member is told the one after it, and
-- the last member spawned (p1) is where the root sends the token.
local first = self()
for _ = 1, M do
  local p = spawn(member)
  send(p, first)
  first = p
end

local token = 0
for lap = 1, K do
  send(first, token)
  token = receive()
  assert(token == lap * M, "the token lost count")
end

-- The stop token comes back only after every member has passed it on.
send(first, "stop")
assert(receive() == "stop")
print(string.format("ring: %d processes, %d laps, %d hops", M, K, token))
