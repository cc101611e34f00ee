-- spawn.lua [N]: how fast processes start and end; the same programs as
-- bench.erl's spawn and spawn_blocked.
--   spawn_exit:    spawn_monitor N processes that end at once, wait for
--                  every DOWN
--   spawn_blocked: spawn_monitor N processes that wait in receive, kill
--                  them all, wait for every DOWN
-- os.clock is wall time in dlua (seconds since the node started).
local N = tonumber(arg[1]) or 200000

local function report(label, t0)
  local dt = os.clock() - t0
  print(string.format("%s %.2f us/process (%.0f processes/s)", label, dt / N * 1e6, N / dt))
end

local function exiting() end
local t0 = os.clock()
for i = 1, N do spawn_monitor(exiting) end
for i = 1, N do receive() end
report("spawn_exit", t0)

local function blocked() receive() end
t0 = os.clock()
local pids = {}
for i = 1, N do pids[i] = spawn_monitor(blocked) end
for i = 1, N do exit(pids[i], "kill") end
for i = 1, N do receive() end
report("spawn_blocked", t0)
