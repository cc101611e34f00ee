-- crash_monitor.lua: how processes learn that others crashed.
--
-- 1. Monitors: the root monitors a worker that crashes with error(). The
--    root gets a {tag = "DOWN", ...} message with the error as the reason,
--    and goes on.
-- 2. Links: a process that traps exits and is linked to a crashing
--    process gets a {tag = "EXIT", ...} message instead of dying with it.
-- 3. Without trap_exit, a link takes the linked process down too.

-- Prints a reason without the "file:line: " error() puts in front, so the
-- output is the same wherever the script is run from.
local function short(reason)
  return (tostring(reason):gsub("^[^:]*:%d+: ", ""))
end

-- 1. A monitored worker crashes.
local worker, ref = spawn_monitor(function()
  local job = receive()
  error("cannot handle job " .. job)
end)
send(worker, "42")
local down = receive({tag = "DOWN", ref = ref})
assert(down.pid == worker)
print("monitor: worker went DOWN: " .. short(down.reason))

-- 2. A linked process, while the root traps exits. trap_exit returns the
-- previous setting, so it can be restored afterwards.
local was = proc.trap_exit(true)
local linked = spawn_link(function()
  error({code = 7, msg = "disk full"}) -- any value can be a reason
end)
local exit = receive({tag = "EXIT", from = linked})
print(string.format("trap_exit: EXIT from linked process: code=%d msg=%s",
  exit.reason.code, exit.reason.msg))

-- A linked process that returns normally sends an EXIT with "normal".
local quiet = spawn_link(function() end)
print("trap_exit: EXIT from quiet process: " .. receive({tag = "EXIT", from = quiet}).reason)
proc.trap_exit(was)

-- 3. A middle process does not trap exits and links to a crasher: the
-- crash takes the middle process down with the same reason. The root
-- monitors the middle process to see it.
local middle, mref = spawn_monitor(function()
  spawn_link(function() error("crashed on purpose") end)
  receive() -- waits forever; the exit signal ends it
end)
local mdown = receive({tag = "DOWN", ref = mref})
assert(mdown.pid == middle)
print("link: middle process went DOWN: " .. short(mdown.reason))
print("root: still running")
