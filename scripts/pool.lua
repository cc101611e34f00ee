-- pool.lua [JOBS] [WORKERS]: a pool of WORKERS (default 4) squares the
-- numbers 1..JOBS (default 20); the root gathers the results in order.
--
-- The root is the dispatcher. Workers pull: each asks for a job, and asks
-- for the next one with the result of the last, so a fast worker takes
-- more jobs than a slow one. When no job is left, a worker that asks is
-- told to stop. The root monitors every worker and waits until all have
-- ended normally.
local JOBS = tonumber(arg[1]) or 20
local WORKERS = tonumber(arg[2]) or 4

-- work is the job itself.
local function work(x)
  return x * x
end

-- worker asks dispatcher for jobs until it is told to stop.
local function worker(dispatcher, id)
  send(dispatcher, {ready = self(), worker = id})
  while true do
    local msg = receive()
    if msg == "stop" then
      return
    end
    send(dispatcher, {ready = self(), worker = id, job = msg.job, result = work(msg.x)})
  end
end

local me = self()
local refs = {}
for id = 1, WORKERS do
  local _, ref = spawn_monitor(worker, me, id)
  refs[ref] = id
end

-- Hand out jobs until every result is in. Each message from a worker is a
-- request for more work, maybe carrying a result.
local results, done, next_job = {}, 0, 1
while done < JOBS or next(refs) do
  local msg = receive()
  if msg.tag == "DOWN" then
    assert(msg.reason == "normal", "a worker crashed: " .. tostring(msg.reason))
    refs[msg.ref] = nil
  else
    if msg.job then
      results[msg.job] = msg.result
      done = done + 1
    end
    if next_job <= JOBS then
      send(msg.ready, {job = next_job, x = next_job})
      next_job = next_job + 1
    else
      send(msg.ready, "stop")
    end
  end
end

local sum = 0
for i = 1, JOBS do
  sum = sum + results[i]
end
print("squares: " .. table.concat(results, " "))
print(string.format("pool: %d workers, %d jobs, sum of squares 1..%d = %d", WORKERS, JOBS, JOBS, sum))
