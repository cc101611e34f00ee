-- driver.lua: runs the hostile scripts of this folder, each as its own
-- process of one node, and prints one line per script:
--
--     NAME REASON
--
-- NAME is the file name; REASON is the exit reason of the script's process
-- (an error value is printed as text, on one line, cut at 300 bytes;
-- a value that is not a string as TYPE:TEXT), or "timeout" when the script
-- did not end within its time. The last line is "done N".
--
-- Usage: dlua run [--allow-read TMP --allow-write TMP --allow-env NAME]
--            tests/hostile/driver.lua [options] FILE...
--   --jobs N       scripts run at once (8)
--   --timeout S    seconds a script may run before it counts as "timeout" (60)
--   --tmp DIR      a folder the scripts with "-- allow: read/write" may use
--   --outside DIR  a folder no script may touch (the test checks it after)
--   --env NAME     an environment variable scripts with "-- allow: env" may read
--   --after FILE   run FILE once every other script has ended (the node goes on)
--
-- Every script runs as
--   spawn_opt({monitor = true, max_memory = "32MiB", max_instructions = 50000000,
--              max_mailbox = 10000,
--              allow = {read = {ITS FOLDER}, write = {}, env = {}}}, ...)
-- with loadfile in the child; the chunk gets one argument, a table:
--   {dir = ITS FOLDER, tmp = TMP, outside = OUTSIDE, env = NAME, name = FILE NAME}
--
-- The header of a script (its first comment lines) says what it expects and
-- may change how it runs:
--   -- expect: REASON[|REASON...] [MATCH]   (read by the Go test, hostile_test.go)
--   -- limits: max_memory=1MiB max_instructions=1000 max_mailbox=10
--               (replace the defaults; 0 inherits the driver's, which has none)
--   -- allow: read write env    (read: TMP is readable too; write: TMP is
--               writable; env: NAME may be read with os.getenv)
--   -- timeout: S                 (seconds before it counts as "timeout", instead of --timeout)
--   -- own-node, -- max-rss: SIZE (read by the Go test: run in a node of its own,
--               whose peak RSS is at most SIZE)
--   -- stdout: TEXT / -- stderr: TEXT   (read by the Go test)

local jobs, timeout = 8, 60
local tmp, outside, envname, after
local files = {}

local i = 1
while i <= #arg do
  local a = arg[i]
  local function value()
    i = i + 1
    local v = arg[i]
    if v == nil then error("driver: " .. a .. " needs a value", 0) end
    return v
  end
  if a == "--jobs" then jobs = assert(tonumber(value()))
  elseif a == "--timeout" then timeout = assert(tonumber(value()))
  elseif a == "--tmp" then tmp = value()
  elseif a == "--outside" then outside = value()
  elseif a == "--env" then envname = value()
  elseif a == "--after" then after = value()
  else files[#files + 1] = a end
  i = i + 1
end

local function folder(path)
  return path:match("^(.*)/[^/]*$") or "."
end

local function basename(path)
  return path:match("([^/]*)$")
end

-- sizes such as 1MiB, 512KiB, 100000
local units = {[""] = 1, B = 1, KiB = 1024, MiB = 1024 ^ 2, GiB = 1024 ^ 3}

local function parse_size(s)
  local n, unit = s:match("^(%d+)(%a*)$")
  if not n or not units[unit] then error("driver: bad size " .. s, 0) end
  return tonumber(n) * units[unit]
end

-- header reads the leading comment lines of path.
local function header(path)
  local h = {limits = {}, allow = {}}
  local f, err = io.open(path)
  if not f then return nil, err end
  for line in f:lines() do
    if not line:match("^%-%-") then break end
    local key, rest = line:match("^%-%-%s*([%w%-]+):%s*(.-)%s*$")
    if key == "limits" then
      for k, v in rest:gmatch("([%w_]+)=(%S+)") do
        if k == "max_memory" then
          h.limits.max_memory = parse_size(v)
        elseif k == "max_instructions" or k == "max_mailbox" then
          h.limits[k] = assert(tonumber(v), "driver: bad " .. k)
        else
          error("driver: " .. path .. ": unknown limit " .. k, 0)
        end
      end
    elseif key == "allow" then
      for w in rest:gmatch("%a+") do h.allow[w] = true end
    elseif key == "timeout" then
      h.timeout = assert(tonumber(rest), "driver: bad timeout")
    end
  end
  f:close()
  return h
end

-- read_header reads the header of path in a helper process. (A process
-- may open at most 64 files in its whole life, closed ones included: see
-- host_io_open_many.lua. The driver reads more than that.)
local function read_header(path)
  local me = self()
  local _, ref = spawn_monitor(function()
    local ok, h, err = pcall(header, path)
    if not ok then h, err = nil, h end
    send(me, {tag = "header", path = path, h = h, err = err})
  end)
  local m = receive({tag = "header", path = path}, 30)
  demonitor(ref)
  if not m then return nil, "no header from the helper" end
  return m.h, m.err
end

-- The body of every script's process: load the file here, in the child,
-- with the child's permissions, and run it.
local function run_script(path, ctx)
  local chunk, err = loadfile(path)
  if not chunk then error(err, 0) end
  return chunk(ctx)
end

local function describe(reason)
  local s
  if type(reason) == "string" then
    s = reason
  else
    s = type(reason) .. ":" .. tostring(reason)
  end
  s = s:gsub("[\r\n\t]", " ")
  if #s > 300 then s = s:sub(1, 300) .. "..." end
  return s
end

local running = {} -- ref -> {name, pid, deadline, started}
local nrunning = 0
local done = 0

local function start(path, h)
  local name = basename(path)
  local dir = folder(path)
  local opts = {
    monitor = true,
    max_memory = "32MiB",
    max_instructions = 50000000,
    max_mailbox = 10000,
    allow = {read = {dir}, write = {}, env = {}},
  }
  for k, v in pairs(h.limits) do opts[k] = v end
  if h.allow.read and tmp then table.insert(opts.allow.read, tmp) end
  if h.allow.write and tmp then opts.allow.write = {tmp} end
  if h.allow.env and envname then opts.allow.env = {envname} end
  local ctx = {dir = dir, tmp = tmp, outside = outside, env = envname, name = name}
  local ok, pid, ref = pcall(proc.spawn_opt, opts, run_script, path, ctx)
  if not ok then
    print(name .. " driver-error:" .. describe(pid))
    return
  end
  running[ref] = {name = name, pid = pid, started = os.clock(), deadline = os.clock() + (h.timeout or timeout)}
  nrunning = nrunning + 1
end

local function finished(ref, reason)
  local r = running[ref]
  running[ref] = nil
  nrunning = nrunning - 1
  done = done + 1
  print(r.name .. " " .. reason)
  io.stderr:write(string.format("# %s %.2fs\n", r.name, os.clock() - r.started))
end

-- wait waits for one script to end, or for the earliest deadline.
local function wait()
  local first
  for _, r in pairs(running) do
    if not first or r.deadline < first then first = r.deadline end
  end
  local msg = receive({tag = "DOWN"}, math.max(0, first - os.clock()))
  if msg then
    if running[msg.ref] then finished(msg.ref, describe(msg.reason)) end
    return
  end
  local now = os.clock()
  for ref, r in pairs(running) do
    if r.deadline <= now then
      demonitor(ref)
      exit(r.pid, "kill")
      finished(ref, "timeout")
    end
  end
end

local t0 = os.clock()
for _, path in ipairs(files) do
  local h, err = read_header(path)
  if not h then
    print(basename(path) .. " driver-error:" .. describe(err))
  else
    while nrunning >= jobs do wait() end
    start(path, h)
  end
end
while nrunning > 0 do wait() end
if after then
  start(after, {limits = {}, allow = {}})
  while nrunning > 0 do wait() end
end
io.stderr:write(string.format("# total %.2fs\n", os.clock() - t0))
print("done " .. done)
