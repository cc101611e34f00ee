-- dist_server.lua: boot script of node b for scripts/bench/dist.sh.
-- Registers "bench_echo", one process that serves both distribution
-- benchmarks of dist_client.lua (the same programs as dist_server,
-- echo_loop and sink_loop in erlang/bench.erl):
--   a pid            ping: reply "pong" to that pid
--   a number         one-way message: counted
--   {sync = pid}     reply {synced = count} to pid and reset the count
--   "stop"           end the process
proc.register("bench_echo", spawn(function()
  local count = 0
  while true do
    local m = receive()
    local t = type(m)
    if t == "number" then
      count = count + 1
    elseif t == "userdata" then
      send(m, "pong")
    elseif t == "table" and m.sync then
      send(m.sync, {synced = count})
      count = 0
    elseif m == "stop" then
      return
    end
  end
end))
