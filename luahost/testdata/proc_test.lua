-- The proc module (api.go): spawning, messages, links, monitors, exits,
-- names, timers and inspection.
local T = require("testlib")
local eq, ok, raises = T.eq, T.ok, T.raises
local run = T.run

local function idle()
	while true do
		receive()
	end
end

local function contains(list, v)
	for _, x in ipairs(list) do
		if x == v then
			return true
		end
	end
	return false
end

local function count(t)
	local n = 0
	for _ in pairs(t) do
		n = n + 1
	end
	return n
end

function TestSpawnVariants()
	local me = self()
	local p1 = spawn(idle)
	eq(type(p1), "userdata")
	eq(proc.info(p1).parent, me, "parent")
	eq(#proc.info(p1).links, 0, "spawn does not link")

	local p2 = spawn_link(idle)
	eq(proc.info(p2).links[1], me, "spawn_link: child's link")
	ok(contains(proc.info().links, p2), "spawn_link: parent's link")

	local p3, r3 = spawn_monitor(idle)
	eq(getmetatable(r3), "ref", "spawn_monitor returns a ref")
	ok(contains(proc.info().monitors, p3), "spawn_monitor: monitors")
	eq(proc.info(p3).monitored_by[1], me)

	local p4, r4 = proc.spawn_opt({ link = true, monitor = true }, idle)
	ok(contains(proc.info().links, p4), "spawn_opt link")
	ok(contains(proc.info().monitors, p4), "spawn_opt monitor")
	eq(getmetatable(r4), "ref")

	local p5, r5 = proc.spawn_opt({}, idle)
	eq(r5, nil, "spawn_opt without monitor returns no ref")
	eq(proc.spawn_opt({ link = false, monitor = false }, idle) ~= nil, true)

	for _, p in ipairs({ p2, p4 }) do
		unlink(p)
	end
	for _, p in ipairs({ p1, p2, p3, p4, p5 }) do
		exit(p, "kill")
	end
	eq(T.down(r3).reason, "killed")
	eq(T.down(r4).reason, "killed")
end

function TestSpawnArguments()
	raises('function or "module.function" expected, got number', spawn, 42)
	raises('function or "module.function" expected, got nil', spawn)
	raises("table expected", proc.spawn_opt, "x", idle)
	raises('function or "module.function" expected', proc.spawn_opt, {}, {})
	local bad = {
		{ { bogus = 1 }, "unknown option bogus" },
		{ { name = "" }, "name must be a non-empty string" },
		{ { name = 5 }, "name must be a non-empty string" },
		{ { max_instructions = -1 }, "max_instructions must be a whole number >= 0" },
		{ { max_instructions = 1.5 }, "max_instructions must be a whole number >= 0" },
		{ { max_instructions = "10" }, "max_instructions must be a whole number >= 0" },
		{ { max_mailbox = -1 }, "max_mailbox must be a whole number >= 0" },
		{ { max_mailbox = 0.5 }, "max_mailbox must be a whole number >= 0" },
		{ { node = "nowhere" }, "node nowhere is not connected" },
		{ { [1] = true }, "unknown option 1" },
	}
	for _, case in ipairs(bad) do
		-- a name given next to a bad option must not be registered: all
		-- arguments are checked before anything happens
		case[1].name = case[1].name or "must_not_exist"
		raises(case[2], proc.spawn_opt, case[1], idle)
		eq(proc.whereis("must_not_exist"), nil, case[2] .. ": nothing registered")
	end
	local co = coroutine.create(function() end)
	raises("argument 1: cannot send a coroutine", proc.spawn_opt, { name = "must_not_exist" }, idle, co)
	eq(proc.whereis("must_not_exist"), nil, "unsendable argument: nothing registered")
	-- node = this node is accepted
	local pid, ref = proc.spawn_opt({ node = proc.node(), monitor = true }, function() end)
	eq(T.down(ref).pid, pid)
end

function TestSpawnOptName()
	local pid = proc.spawn_opt({ name = "srv" }, function()
		while true do
			local m = receive()
			send(m.from, m.v)
		end
	end)
	eq(proc.whereis("srv"), pid, "registered before spawn_opt returns")
	eq(proc.info(pid).name, "srv")
	send("srv", { from = self(), v = 1 })
	eq(receive(), 1, "send to a name")
	send({ "srv", proc.node() }, { from = self(), v = 2 })
	eq(receive(), 2, "send to {name, node}")
	send(pid, { from = self(), v = 3 })
	eq(receive(), 3, "send to a pid")
	send({ "srv", "elsewhere" }, { from = self(), v = "lost" })
	send({ "nobody", proc.node() }, { from = self(), v = "lost" })
	send("srv", { from = self(), v = 4 })
	eq(receive(), 4, "{name, other node} and unknown {name, node} are dropped")
	raises("already registered", proc.spawn_opt, { name = "srv" }, idle)
	exit(pid, "kill")
end

function TestSendErrors()
	raises('no process is registered as "nobody"', send, "nobody", 1)
	raises("pid, name or {name, node} expected, got number", send, 42, 1)
	raises("pid, name or {name, node} expected, got nil", send, nil, 1)
	raises("{name, node} expected", send, {}, 1)
	raises("{name, node} expected", send, { "a" }, 1)
	raises("pid expected", send, io.stdout, 1)
	local dead, ref = spawn_monitor(function() end)
	T.down(ref)
	send(dead, "lost") -- silent, as in Erlang
	T.empty()
end

function TestMaxMailbox()
	local never = function()
		receive(function()
			return false
		end)
	end
	local pid, ref = proc.spawn_opt({ max_mailbox = 2, monitor = true }, never)
	for i = 1, 3 do
		send(pid, i)
	end
	eq(T.down(ref).reason, "mailbox_limit", "a third message over max_mailbox = 2")
	local pid2, ref2 = proc.spawn_opt({ max_mailbox = 2, monitor = true }, never)
	send(pid2, 1)
	send(pid2, 2)
	local info = proc.info(pid2)
	eq(info.mailbox, 2, "at the limit")
	ok(info.status ~= "exited", "at the limit the process lives")
	exit(pid2, "kill")
	eq(T.down(ref2).reason, "killed")
end

function TestLimitsNarrowOnly()
	local parent = self()
	local _, ref = proc.spawn_opt({ max_instructions = 1000000, max_mailbox = 10, monitor = true }, function()
		local r = {}
		r.above = { pcall(proc.spawn_opt, { max_instructions = 2000000 }, function() end) }
		r.equal = { pcall(proc.spawn_opt, { max_instructions = 1000000 }, function() end) }
		r.below = { pcall(proc.spawn_opt, { max_instructions = 10 }, function() end) }
		r.mailboxAbove = { pcall(proc.spawn_opt, { max_mailbox = 11 }, function() end) }
		r.mailboxBelow = { pcall(proc.spawn_opt, { max_mailbox = 5 }, function() end) }
		local _, spin = proc.spawn_opt({ monitor = true }, function()
			while true do
			end
		end)
		r.inherited = T.down(spin).reason
		send(parent, r)
	end)
	local r = receive()
	eq(r.above[1], false, "max_instructions above the parent's")
	ok(tostring(r.above[2]):find("max_instructions 2000000 is above the spawner's limit 1000000", 1, true),
		"error: " .. tostring(r.above[2]))
	eq(r.equal[1], true, "equal: " .. tostring(r.equal[2]))
	eq(r.below[1], true, "below: " .. tostring(r.below[2]))
	eq(r.mailboxAbove[1], false, "max_mailbox above the parent's")
	ok(tostring(r.mailboxAbove[2]):find("max_mailbox 11 is above", 1, true), tostring(r.mailboxAbove[2]))
	eq(r.mailboxBelow[1], true)
	eq(r.inherited, "instruction_limit", "a child inherits max_instructions")
	eq(T.down(ref).reason, "normal")
end

function TestSpawnModuleFunction()
	local me = self()
	spawn("worker.double", me, 21)
	eq(receive(), 42, "worker.double")
	spawn("sub.mod.f", me)
	eq(receive(), "sub.mod.f", "a dotted module")
	spawn("worker.relay", me, 5)
	eq(receive(), 10, "a child resolves modules from the script's folder")
	local pid = spawn("worker.whoami", me)
	local m = receive()
	eq(m.me, pid)
	eq(m.initial, "worker.whoami", "initial")
	local failing = {
		["worker.missing"] = 'has no function "missing"',
		["worker.notfn"] = 'has no function "notfn"',
		["nosuchmodule.f"] = "module 'nosuchmodule' not found",
		["nodot"] = 'is not "module.function"',
		["trailing."] = 'is not "module.function"',
		[".leading"] = 'is not "module.function"',
	}
	for name, want in pairs(failing) do
		local _, ref = spawn_monitor(name)
		local reason = T.down(ref).reason
		ok(tostring(reason):find(want, 1, true), name .. ": reason " .. tostring(reason))
	end
end

function TestReceiveTimeouts()
	local m, err = receive(0)
	eq(m, nil)
	eq(err, "timeout", "receive(0)")
	m, err = receive(0.01)
	eq(err, "timeout", "receive(0.01)")
	m, err = receive(nil, 0)
	eq(err, "timeout", "receive(nil, 0)")
	m, err = receive(function()
		return true
	end, 0.001)
	eq(err, "timeout", "pattern with a timeout")
	send(self(), "x")
	eq(receive(math.huge), "x", "math.huge waits forever")
	send(self(), "y")
	eq(receive(nil), "y", "nil waits forever")
	send(self(), false)
	eq(receive(0), false, "a false message")
	send(self(), nil)
	local a, b = receive(0)
	eq(a, nil, "a nil message")
	eq(b, nil, "a nil message is not a timeout")
	raises("timeout must be >= 0", receive, -1)
	raises("timeout must be >= 0", receive, 0 / 0)
	raises("pattern (function or table) or timeout expected, got string", receive, "x")
	raises("timeout (seconds) expected, got string", receive, function() end, "x")
	-- a message that arrives while waiting
	local parent = self()
	spawn(function()
		send(parent, "late")
	end)
	eq(receive(), "late")
end

function TestSelectiveReceive()
	for i = 1, 5 do
		send(self(), { n = i, kind = i % 2 == 0 and "even" or "odd" })
	end
	eq(receive(function(m)
		return m.n == 4
	end).n, 4, "pattern function")
	eq(receive({ kind = "even" }).n, 2, "pattern table")
	local m, err = receive({ kind = "even" }, 0)
	eq(err, "timeout", "no more even")
	eq(receive().n, 1, "the others stay in order")
	eq(receive().n, 3)
	eq(receive().n, 5)
	T.empty()
	-- non-table messages never match a table pattern
	send(self(), "str")
	send(self(), { kind = "x", extra = 1 })
	eq(receive({ kind = "x" }).extra, 1, "extra keys in the message are fine")
	eq(receive(), "str")
	-- table patterns compare pids with ==
	local parent = self()
	local child = spawn(function()
		send(parent, { from = self(), v = "a" })
	end)
	send(self(), { from = parent, v = "b" })
	eq(receive({ from = child }).v, "a", "pattern with a pid")
	eq(receive({ from = parent }).v, "b")
	-- waiting for a match while others arrive
	spawn(function()
		send(parent, "one")
		send(parent, "two")
		send(parent, "target")
		send(parent, "three")
	end)
	eq(receive(function(m)
		return m == "target"
	end), "target")
	eq(receive(), "one")
	eq(receive(), "two")
	eq(receive(), "three")
	-- every message is offered to the pattern once per receive, oldest first
	for i = 1, 3 do
		send(self(), i)
	end
	local offered = {}
	local _, e = receive(function(m)
		offered[#offered + 1] = m
		return false
	end, 0)
	eq(e, "timeout")
	eq(table.concat(offered, ","), "1,2,3")
	for i = 1, 3 do
		eq(receive(0), i)
	end
end

function TestPatternErrorKeepsMailbox()
	send(self(), 1)
	send(self(), 2)
	send(self(), 3)
	local okk, err = pcall(receive, function(m)
		if m == 2 then
			error("bad pattern")
		end
		return false
	end)
	eq(okk, false)
	ok(tostring(err):find("bad pattern", 1, true), "the pattern's error: " .. tostring(err))
	eq(receive(0), 1, "mailbox intact")
	eq(receive(0), 2)
	eq(receive(0), 3)
	T.empty()
	-- the same with a message that arrives while the pattern waits
	local parent = self()
	spawn(function()
		send(parent, "boom")
	end)
	okk = pcall(receive, function(m)
		if m == "boom" then
			error("again")
		end
	end)
	eq(okk, false)
	eq(receive(), "boom")
end

-- A pattern function may call receive itself; whatever it does, no
-- message is lost, duplicated or replaced by nil.
function TestReceiveInsidePattern()
	send(self(), "a")
	send(self(), "b")
	send(self(), "c")
	local got = {}
	local okk, m = pcall(receive, function(msg)
		if #got == 0 then
			got[#got + 1] = tostring(receive(0))
		end
		return msg == "a"
	end)
	if okk then
		got[#got + 1] = tostring(m)
	end
	while true do
		local x, err = receive(0)
		if err == "timeout" then
			break
		end
		got[#got + 1] = tostring(x)
	end
	table.sort(got)
	eq(table.concat(got, ","), "a,b,c", "messages after a receive inside a pattern")
end

function TestExitNotCatchable()
	local parent = self()
	local shapes = {
		pcall = function()
			pcall(exit, "bye")
			send(parent, "after pcall")
		end,
		pcall_function = function()
			pcall(function()
				exit("bye")
			end)
			send(parent, "after pcall")
		end,
		xpcall = function()
			xpcall(function()
				exit("bye")
			end, function(e)
				send(parent, "handler ran")
				return e
			end)
			send(parent, "after xpcall")
		end,
		coroutine = function()
			coroutine.wrap(function()
				pcall(exit, "bye")
				send(parent, "after pcall in coroutine")
			end)()
			send(parent, "after coroutine")
		end,
		pcall_coroutine = function()
			pcall(coroutine.wrap(function()
				exit("bye")
			end))
			send(parent, "after pcall of coroutine")
		end,
		loop = function()
			while true do
				pcall(exit, "bye")
			end
		end,
	}
	for name, body in pairs(shapes) do
		local _, ref = spawn_monitor(body)
		eq(T.down(ref).reason, "bye", name)
		T.empty(name .. ": no code ran after exit")
	end
	local _, ref = spawn_monitor(function()
		exit({ code = 3 })
	end)
	eq(T.down(ref).reason.code, 3, "exit with a table")
	_, ref = spawn_monitor(function()
		exit()
	end)
	eq(T.down(ref).reason, "normal", "exit()")
	_, ref = spawn_monitor(function()
		exit("normal")
	end)
	eq(T.down(ref).reason, "normal", 'exit("normal")')
	_, ref = spawn_monitor(function()
		exit(self(), "normal")
		while true do
		end
	end)
	eq(T.down(ref).reason, "normal", 'exit(self(), "normal")')
	_, ref = spawn_monitor(function()
		exit(self(), "own")
		while true do
		end
	end)
	eq(T.down(ref).reason, "own", 'exit(self(), "own")')
end

function TestExitSignals()
	local parent = self()
	local function trapper()
		proc.trap_exit(true)
		send(parent, "ready")
		while true do
			send(parent, { got = receive() })
		end
	end
	-- kill cannot be trapped
	local pid, ref = spawn_monitor(trapper)
	eq(receive(), "ready")
	exit(pid, "kill")
	eq(T.down(ref).reason, "killed", "kill on a trapping process")
	T.empty()
	-- other reasons arrive as EXIT messages
	pid, ref = spawn_monitor(trapper)
	eq(receive(), "ready")
	exit(pid, "custom")
	local m = receive().got
	eq(m.tag, "EXIT")
	eq(m.from, parent, "EXIT.from")
	eq(m.reason, "custom")
	eq(count(m), 3, "EXIT has tag, from and reason")
	exit(pid, "normal")
	eq(receive().got.reason, "normal", "normal arrives as a message too")
	exit(pid, { why = "table" })
	eq(receive().got.reason.why, "table", "a table reason")
	exit(pid, "kill")
	eq(T.down(ref).reason, "killed")
	-- a non-trapping process ignores normal from another process
	pid, ref = spawn_monitor(function()
		send(parent, "ready")
		send(parent, receive())
	end)
	eq(receive(), "ready")
	exit(pid, "normal")
	send(pid, "still alive")
	eq(receive(), "still alive")
	eq(T.down(ref).reason, "normal")
	-- and dies of any other reason
	pid, ref = spawn_monitor(idle)
	exit(pid, "other")
	eq(T.down(ref).reason, "other")
	raises("pid expected", exit, "notapid", "reason")
end

function TestLinks()
	local parent = self()
	eq(proc.trap_exit(true), false, "trap_exit returns the previous setting")
	eq(proc.trap_exit(true), true)
	eq(proc.info().trap_exit, true)
	local pid = spawn_link(function()
		exit("bye")
	end)
	local m = receive()
	eq(m.tag, "EXIT")
	eq(m.from, pid, "EXIT.from is the linked process")
	eq(m.reason, "bye")
	eq(count(m), 3)
	pid = spawn_link(function() end)
	m = receive()
	eq(m.reason, "normal", "a normal exit reaches a trapping process")
	pid = spawn_link(function()
		error("boom")
	end)
	m = receive()
	ok(tostring(m.reason):find("proc_test.lua:%d+: boom"), "error reason names file:line: " .. tostring(m.reason))
	-- link to a dead process
	local dead, ref = spawn_monitor(function() end)
	T.down(ref)
	link(dead)
	m = receive()
	eq(m.tag, "EXIT")
	eq(m.from, dead)
	eq(m.reason, "noproc", "link to a dead process")
	-- unlink: no EXIT
	local p2, r2 = spawn_monitor(function()
		receive()
		exit("unlinked")
	end)
	link(p2)
	eq(contains(proc.info().links, p2), true)
	unlink(p2)
	eq(contains(proc.info().links, p2), false)
	eq(#proc.info(p2).links, 0, "unlink removes both ends")
	send(p2, "go")
	eq(T.down(r2).reason, "unlinked")
	T.empty("no EXIT after unlink")
	eq(proc.trap_exit(false), true)
	-- exit propagates through a non-trapping process
	local mid, r3 = spawn_monitor(function()
		spawn_link(function()
			exit("chain")
		end)
		idle()
	end)
	eq(T.down(r3).reason, "chain", "a linked process dies with the same reason")
	-- the root's own links: a linked child that dies takes the caller with it
	local _, r4 = spawn_monitor(function()
		spawn_link(function()
			error({ code = 9 })
		end)
		idle()
	end)
	eq(T.down(r4).reason.code, 9, "a table error reason travels through the link")
end

function TestMonitors()
	local pid, ref = spawn_monitor(function()
		exit("done")
	end)
	local d = receive()
	eq(d.tag, "DOWN")
	eq(d.ref, ref, "DOWN.ref")
	eq(d.pid, pid, "DOWN.pid")
	eq(d.reason, "done")
	eq(count(d), 4, "DOWN has tag, ref, pid and reason")
	local r2 = monitor(pid)
	d = receive()
	eq(d.tag, "DOWN")
	eq(d.reason, "noproc", "monitor of a dead process")
	eq(d.ref, r2)
	eq(d.pid, pid)
	ok(r2 ~= ref, "a new ref")
	local p3 = spawn(idle)
	local r3 = monitor(p3)
	eq(proc.info(p3).monitored_by[1], self())
	exit(p3, "kill")
	d = T.down(r3)
	eq(d.reason, "killed")
	eq(d.pid, p3)
	local r3b = monitor(p3)
	eq(T.down(r3b).reason, "noproc", "monitor after DOWN was delivered")
	-- demonitor
	local p4 = spawn(idle)
	local r4 = monitor(p4)
	eq(demonitor(r4), true)
	eq(demonitor(r4), false, "second demonitor")
	eq(#proc.info(p4).monitored_by, 0)
	exit(p4, "kill")
	T.down(monitor(p4))
	T.empty("no DOWN after demonitor")
	-- two monitors, two DOWNs
	local p5 = spawn(idle)
	local a, b = monitor(p5), monitor(p5)
	exit(p5, "kill")
	T.down(a)
	T.down(b)
	raises("ref expected", demonitor, p5)
	raises("pid expected", monitor, "x")
end

function TestNames()
	local pid = spawn(idle)
	eq(proc.register("worker", pid), true)
	eq(proc.whereis("worker"), pid)
	eq(proc.info(pid).name, "worker")
	raises('name "worker" is already registered', proc.register, "worker", self())
	raises("already has a name", proc.register, "other", pid)
	eq(proc.unregister("worker"), true)
	eq(proc.unregister("worker"), false)
	eq(proc.whereis("worker"), nil)
	eq(proc.info(pid).name, nil)
	eq(proc.register("me"), true, "register(name) names the caller")
	eq(proc.whereis("me"), self())
	local dead, ref = spawn_monitor(function() end)
	T.down(ref)
	raises("is not alive", proc.register, "ghost", dead)
	raises("bad argument", proc.register)
	-- a name is freed when its process exits, before its monitors fire
	local p2, r2 = proc.spawn_opt({ name = "temp", monitor = true }, function() end)
	T.down(r2)
	eq(proc.whereis("temp"), nil, "name freed on exit")
	raises('no process is registered as "temp"', send, "temp", 1)
	local p3, r3 = proc.spawn_opt({ name = "temp", monitor = true }, idle)
	eq(proc.whereis("temp"), p3, "the name can be taken again")
	exit(p3, "kill")
	T.down(r3)
	eq(proc.whereis("temp"), nil, "name freed on kill")
	-- the DOWN of a registered process is seen after the name is gone
	local parent = self()
	local _, r4 = proc.spawn_opt({ name = "watched", monitor = true }, function() end)
	local seen = receive(function(m)
		return m.tag == "DOWN" and m.ref == r4 and proc.whereis("watched") == nil
	end)
	eq(seen.ref, r4)
	exit(pid, "kill")
end

function TestSleepAndTimers()
	proc.sleep(0)
	proc.sleep(0.001)
	raises("finite", proc.sleep, math.huge)
	raises("timeout must be >= 0", proc.sleep, -1)
	send(self(), "kept")
	proc.sleep(0.001)
	eq(receive(0), "kept", "messages arriving during sleep stay")
	local tref = proc.send_after(0.001, self(), "tick")
	eq(getmetatable(tref), "ref")
	eq(receive(), "tick", "send_after")
	eq(proc.cancel_timer(tref), false, "cancel after it fired")
	local t2 = proc.send_after(0.01, self(), "cancelled")
	eq(proc.cancel_timer(t2), true, "cancel a pending timer")
	eq(proc.cancel_timer(t2), false, "cancel twice")
	proc.send_after(0.02, self(), "later")
	eq(receive(), "later", "the cancelled message never arrives")
	proc.register("timer_target")
	proc.send_after(0, "timer_target", "named")
	eq(receive(), "named", "send_after to a name")
	local t = { v = 1 }
	proc.send_after(0, self(), t)
	t.v = 2
	eq(receive().v, 1, "send_after copies the message when called")
	raises("finite", proc.send_after, math.huge, self(), 1)
	raises("pid expected", proc.send_after, 0, 42, 1)
	raises("ref expected", proc.cancel_timer, self())
	-- a timer to a process that is gone is harmless
	local dead, ref = spawn_monitor(function() end)
	T.down(ref)
	proc.send_after(0, dead, "lost")
	proc.send_after(0, "nobody_here", "lost")
	proc.send_after(0.001, self(), "sync")
	eq(receive(), "sync")
end

function TestInfo()
	local me = self()
	local info = proc.info()
	eq(info.pid, me)
	eq(info.status, "running")
	eq(info.node, "local")
	ok(info.instructions > 0, "instructions > 0")
	eq(info.mailbox, 0)
	eq(info.parent, nil, "the root has no parent")
	ok(info.initial:find("proc_test.lua$"), "initial of the root: " .. tostring(info.initial))
	eq(info.trap_exit, false)
	ok(info.memory > 0, "memory")
	eq(type(info.links), "table")
	eq(type(info.monitors), "table")
	local before = info.instructions
	for _ = 1, 1000 do
	end
	ok(proc.info().instructions > before + 1000, "instructions grow")
	send(self(), 1)
	send(self(), 2)
	eq(proc.info().mailbox, 2, "mailbox")
	receive()
	receive()
	local child, ref = proc.spawn_opt({ link = true, monitor = true }, function()
		receive({ never = true })
	end)
	local ci = proc.info(child)
	eq(ci.pid, child)
	eq(ci.parent, me, "parent")
	eq(ci.links[1], me, "links")
	eq(ci.monitored_by[1], me, "monitored_by")
	eq(ci.node, "local")
	ok(ci.initial:find("proc_test.lua:%d+$"), "initial of a child: " .. tostring(ci.initial))
	local mi = proc.info()
	ok(contains(mi.links, child), "parent's links")
	ok(contains(mi.monitors, child), "parent's monitors")
	repeat
	until proc.info(child).status == "waiting"
	send(child, "a")
	send(child, "b")
	eq(proc.info(child).mailbox, 2, "a waiting child's mailbox")
	unlink(child)
	exit(child, "kill")
	T.down(ref)
	local ei = proc.info(child)
	eq(ei.status, "exited", "status of an exited process")
	eq(ei.reason, "killed", "reason of an exited process")
	eq(ei.pid, child)
	eq(ei.parent, me)
	local p3, r3 = spawn_monitor(function()
		exit({ code = 3 })
	end)
	T.down(r3)
	eq(proc.info(p3).reason.code, 3, "table reason of an exited process")
	local p4, r4 = spawn_monitor(function() end)
	T.down(r4)
	eq(proc.info(p4).reason, "normal")
	ok(proc.info(p4).instructions > 0, "instructions of an exited process")
	raises("pid expected", proc.info, "x")
end

function TestNodes()
	eq(proc.node(), "local")
	eq(type(proc.nodes()), "table")
	eq(next(proc.nodes()), nil, "no connected nodes")
	eq(proc.monitor_node("b@elsewhere"), true)
	local m = receive()
	eq(m.tag, "nodedown")
	eq(m.node, "b@elsewhere")
	eq(count(m), 2)
	proc.monitor_node(proc.node())
	T.empty("monitor_node of this node")
	ok(tostring(self()):find("^<local%."), "pids carry the node's name")
end

run(...)
