-- dist_client.lua [N]: run on node a, joined to the node b that runs
-- dist_server.lua (scripts/bench/dist.sh starts both). The same programs
-- as dist_client in erlang/bench.erl:
--   remote ping-pong, N round trips, each timed -> round trips/s, p50, p99
--   one-way stream of 10*N small messages, then a sync -> msgs/s
-- Each is run once with a tenth of its size as warm-up, then measured.
-- Prints "name value unit" lines on stdout; diagnostics on stderr.
local N = tonumber(arg[1]) or 100000
local ONEWAY_N = tonumber(arg[2]) or 10 * N
local SERVER = arg[3] or "b"
local echo = {"bench_echo", SERVER}
local me = self()

local function info(fmt, ...)
  io.stderr:write("# " .. string.format(fmt, ...) .. "\n")
end

local function out(name, value, unit)
  print(string.format("%s %.2f %s", name, value, unit))
end

-- Wait, bounded, until the server node is connected and its echo answers.
local ok = false
for _ = 1, 200 do
  local up = false
  for _, n in ipairs(proc.nodes()) do up = up or n == SERVER end
  if up then
    send(echo, me)
    if receive(0.1) == "pong" then ok = true break end
  else
    receive(0.05)
  end
end
if not ok then
  error("no answer from bench_echo on node " .. SERVER)
end
-- drain late pongs of the handshake
while receive(0.2) ~= nil do end

local clock = os.clock

local function pingpong(n)
  local samples = {}
  local t0 = clock()
  for i = 1, n do
    local s = clock()
    send(echo, me)
    receive()
    samples[i] = clock() - s
  end
  local t = clock() - t0
  table.sort(samples)
  local function pct(q) return samples[math.max(1, math.ceil(q * n))] * 1e6 end
  info("dist_pingpong: N=%d elapsed %.3f s", n, t)
  return n / t, pct(0.50), pct(0.99)
end

local function oneway(n)
  local t0 = clock()
  for i = 1, n do
    send(echo, i)
  end
  send(echo, {sync = me})
  local r = receive()
  local t = clock() - t0
  if r.synced ~= n then info("dist_oneway: sink got %s of %d", tostring(r.synced), n) end
  info("dist_oneway: N=%d elapsed %.3f s", n, t)
  return n / t
end

info("client %s -> server %s", proc.node(), SERVER)
pingpong(math.max(1, math.floor(N / 10)))
local rtps, p50, p99 = pingpong(N)
out("dist_pingpong_rtps", rtps, "roundtrips/s")
out("dist_rtt_p50_us", p50, "us")
out("dist_rtt_p99_us", p99, "us")
oneway(math.max(1, math.floor(ONEWAY_N / 10)))
out("dist_oneway_msgs", oneway(ONEWAY_N), "msgs/s")
