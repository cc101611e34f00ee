-- spawn.lua [N]: how fast processes start.
--   spawn_exit:    N processes that each tell the parent they run, then end
--   spawn_blocked: N processes that each tell the parent they run, then
--                  wait in receive (all are killed when the run ends)
-- os.clock is wall time in dlua (seconds since the node started).
local N = tonumber(arg[1]) or 100000
local parent = self()

local function bench(label, child)
  local t0 = os.clock()
  for i = 1, N do
    spawn(child, parent)
  end
  for i = 1, N do
    receive()
  end
  local dt = os.clock() - t0
  print(string.format("%s %.2f us/process (%.0f processes/s)", label, dt / N * 1e6, N / dt))
end

bench("spawn_exit", function(p) send(p, true) end)
bench("spawn_blocked", function(p) send(p, true) receive() end)
