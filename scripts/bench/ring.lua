-- ring.lua [PROCESSES] [HOPS]: a token passed around a ring of processes.
local P = tonumber(arg[1]) or 1000
local HOPS = tonumber(arg[2]) or 2000000

-- Each member forwards the token (a countdown) to the next; the one that
-- sees it reach zero tells the root.
local function member(root)
  local next = receive()
  while true do
    local n = receive()
    if n == 0 then
      send(root, "done")
    else
      send(next, n - 1)
    end
  end
end

local root = self()
local first = spawn(member, root)
local prev = first
for i = 2, P do
  local p = spawn(member, root)
  send(prev, p)
  prev = p
end
send(prev, first)

local t0 = os.clock()
send(first, HOPS)
receive()
local dt = os.clock() - t0
print(string.format("ring %.0f hops/s (%d processes)", HOPS / dt, P))
