-- Copying values between processes (values.go): messages, spawn arguments
-- and functions with their upvalues.
local T = require("testlib")
local eq, ok, raises, fresh = T.eq, T.ok, T.raises, T.fresh
local run = T.run

-- Three ways a value leaves a process: to itself, through another process
-- and back (two copies between states), and as a spawn argument.
local function viaSelf(v)
	send(self(), v)
	return receive()
end

local echo
local function viaEcho(v)
	if not echo then
		echo = spawn(function()
			while true do
				local m = receive()
				send(m.from, m.v)
			end
		end)
	end
	send(echo, { from = self(), v = v })
	return receive()
end

local function viaArgument(v)
	local parent = self()
	spawn(function(x)
		send(parent, x)
	end, v)
	return receive()
end

local vias = { self = viaSelf, echo = viaEcho, argument = viaArgument }

function TestCycles()
	local t = { name = "root" }
	t.self = t
	local sub = { x = 1 }
	t.a, t.b = sub, sub
	t.list = { sub, sub, t }
	local c = {}
	c.d = { e = { back = c } }
	t.c = c
	for name, via in pairs(vias) do
		local u = via(t)
		ok(u ~= t, name .. ": a copy")
		eq(u.name, "root", name)
		eq(u.self, u, name .. ": t.self == t")
		eq(u.a, u.b, name .. ": shared subtable stays shared")
		eq(u.a.x, 1, name)
		eq(u.list[1], u.a, name .. ": list[1] is the shared subtable")
		eq(u.list[2], u.a, name)
		eq(u.list[3], u, name .. ": list[3] is the root")
		eq(u.c.d.e.back, u.c, name .. ": longer cycle")
	end
	-- a cycle through a function and a table
	local obj = {}
	obj.get = function()
		return obj
	end
	local u = viaEcho(obj)
	eq(u.get(), u, "function upvalue refers back to its table")
end

function TestArrayHoles()
	for name, via in pairs(vias) do
		local u = via({ 1, nil, 3, nil, 5 })
		eq(u[1], 1, name)
		eq(u[2], nil, name)
		eq(u[3], 3, name)
		eq(u[4], nil, name)
		eq(u[5], 5, name)
		local sparse = via({ [1] = "a", [2] = "b", [4] = "d", [1000] = "k", [0] = "zero", [-1] = "neg", [1.5] = "half" })
		local n = 0
		for _ in pairs(sparse) do
			n = n + 1
		end
		eq(n, 7, name .. ": keys of a sparse table")
		eq(sparse[1] .. sparse[2] .. sparse[4] .. sparse[1000], "abdk", name)
		eq(sparse[3], nil, name)
		eq(sparse[0], "zero", name)
		eq(sparse[-1], "neg", name)
		eq(sparse[1.5], "half", name)
		local mixed = via({ "x", "y", n = 2, [3] = "z" })
		eq(#mixed, 3, name .. ": #mixed")
		eq(mixed.n, 2, name)
		eq(table.concat(mixed, ","), "x,y,z", name)
		local t = {}
		for i = 1, 100 do
			t[i] = i
		end
		t[50] = nil
		local u = via(t)
		eq(u[49], 49, name)
		eq(u[50], nil, name)
		eq(u[51], 51, name)
		eq(u[100], 100, name)
	end
end

function TestKeys()
	local tk, fk = { "table key" }, function() end
	local t = {
		[true] = "T",
		[false] = "F",
		[tk] = "by table",
		tk = tk,
		[fk] = "by function",
		fk = fk,
		[2 ^ 53] = "p53",
		[-0.5] = "neg half",
		[1e300] = "big",
		["with space"] = 1,
		[""] = "empty",
	}
	for name, via in pairs(vias) do
		local u = via(t)
		eq(u[true], "T", name)
		eq(u[false], "F", name)
		eq(u[u.tk], "by table", name .. ": a table key is the same table as the value")
		eq(u.tk[1], "table key", name)
		eq(u[u.fk], "by function", name .. ": a function key is the same function as the value")
		eq(u[2 ^ 53], "p53", name)
		eq(u[-0.5], "neg half", name)
		eq(u[1e300], "big", name)
		eq(u["with space"], 1, name)
		eq(u[""], "empty", name)
	end
end

function TestScalars()
	local long = string.rep("x", 100000)
	local values = {
		nan = 0 / 0,
		inf = 1 / 0,
		ninf = -1 / 0,
		tiny = 1e-300,
		p53 = 2 ^ 53,
		binary = "\0\1\255 end",
		empty = "",
		long = long,
		yes = true,
		no = false,
		neg = -42.5,
	}
	for name, via in pairs(vias) do
		local u = via(values)
		for k, v in pairs(values) do
			eq(u[k], v, name .. ": " .. k)
		end
		eq(#u.long, 100000, name)
		eq(via(nil), nil, name .. ": nil")
		eq(via(false), false, name .. ": false")
		eq(via("s"), "s", name .. ": string")
		eq(via(3), 3, name .. ": number")
		eq(1 / via(-0.0), -1 / 0, name .. ": -0")
	end
	-- spawn arguments keep their count, nils included
	eq(fresh(function(...)
		return select("#", ...)
	end, 1, nil, 3, nil), 4, "argument count")
end

function TestPidsAsKeys()
	local parent = self()
	local child = spawn(function()
		send(parent, self())
		send(parent, { me = self() })
		send(parent, { [self()] = "keyed" })
		receive()
	end)
	local m1 = receive()
	local m2 = receive()
	local m3 = receive()
	local t = {}
	t[m1] = "one"
	eq(t[m2.me], "one", "pid from another message is the same key")
	eq(t[child], "one", "pid from spawn is the same key")
	ok(rawequal(m1, m2.me), "rawequal across messages")
	ok(rawequal(m1, child), "rawequal with the spawned pid")
	eq(m3[child], "keyed", "pid key inside a message")
	eq(m1, child)
	local n = 0
	for k in pairs(t) do
		n = n + 1
	end
	eq(n, 1, "one key")
	-- pids survive a round trip through another process
	local back = viaEcho({ [child] = 1, list = { child, parent } })
	eq(back[child], 1, "pid key after two copies")
	eq(back.list[1], child)
	eq(back.list[2], self())
	exit(child, "kill")
end

function TestRefsAsKeys()
	local pid, ref = spawn_monitor(function()
		receive()
	end)
	local t = { [ref] = "mon" }
	exit(pid, "kill")
	local d = T.down(ref)
	ok(rawequal(d.ref, ref), "DOWN.ref is the same userdata as the ref")
	eq(t[d.ref], "mon", "ref as a key")
	local tref = proc.send_after(3600, self(), "never")
	eq(viaSelf(tref), tref, "timer ref survives a copy")
	eq(viaEcho({ [tref] = true })[tref], true, "timer ref as a key after two copies")
	eq(proc.cancel_timer(viaEcho(tref)), true, "a copied timer ref cancels the timer")
end

function TestMessageIsACopy()
	local t = { x = 1, sub = { y = 2 } }
	send(self(), t)
	t.x, t.sub.y = 99, 99
	local u = receive()
	eq(u.x, 1, "sender's change after send")
	eq(u.sub.y, 2, "sender's change in a subtable")
	u.x = 5
	eq(t.x, 99, "receiver's change")
	local parent = self()
	spawn(function(arg)
		arg.x = "child"
		arg.sub.y = "child"
		send(parent, arg.x)
	end, t)
	eq(receive(), "child")
	eq(t.x, 99, "child's change to an argument")
	eq(t.sub.y, 99)
end

function TestUpvaluesByValue()
	local parent = self()
	local x = 1
	local st = { n = 1 }
	local f = function()
		return x, st.n
	end
	local pid = spawn(function()
		receive()
		local a, b = f()
		send(parent, { a, b })
	end)
	x, st.n = 2, 2
	send(pid, "go")
	local r = receive()
	eq(r[1], 1, "upvalue changed after spawn")
	eq(r[2], 1, "upvalue table changed after spawn")
	local counter = 0
	spawn(function()
		counter = counter + 10
		send(parent, counter)
	end)
	eq(receive(), 10, "child sees its copy")
	eq(counter, 0, "the child's change stays in the child")
end

function TestRecursiveFunctions()
	local function fib(n)
		if n < 2 then
			return n
		end
		return fib(n - 1) + fib(n - 2)
	end
	eq(fresh(function()
		return fib(15)
	end), 610, "recursive local function")
	eq(fresh(fib, 10), 55, "recursive local function as the body")
	local isEven, isOdd
	function isEven(n)
		if n == 0 then
			return true
		end
		return isOdd(n - 1)
	end

	function isOdd(n)
		if n == 0 then
			return false
		end
		return isEven(n - 1)
	end

	local e, o = fresh(function()
		return isEven(10), isOdd(7)
	end)
	eq(e, true, "mutual recursion")
	eq(o, true, "mutual recursion")
	-- a recursive function sent in a message
	local m = viaEcho({ fib = fib })
	eq(m.fib(12), 144)
end

function TestNestedClosures()
	local function make(k)
		return function(v)
			return k * v
		end
	end
	local dbl = make(2)
	eq(fresh(function()
		return dbl(21)
	end), 42, "closure made by a factory")
	eq(fresh(function()
		local mk = function(a)
			return function()
				a = a + 1
				return a
			end
		end
		local c = mk(10)
		c()
		return c()
	end), 12, "closures made in the child")
	local function counter()
		local n = 0
		return function()
			n = n + 1
			return n
		end
	end
	local c1 = counter()
	c1()
	c1()
	local a, b = fresh(function()
		return c1(), c1()
	end)
	eq(a, 3, "copied counter continues from its copied state")
	eq(b, 4)
	eq(c1(), 3, "the parent's counter is untouched")
	local adders = {}
	for i = 1, 3 do
		adders[i] = function(v)
			return v + i
		end
	end
	eq(fresh(function()
		return adders[1](0) + adders[2](0) + adders[3](0)
	end), 6, "loop closures keep their own i")
	local compose = function(f, g)
		return function(x)
			return f(g(x))
		end
	end
	local h = compose(make(3), make(5))
	eq(viaEcho(h)(2), 30, "closure over closures sent in a message")
end

-- Closures that share an upvalue (a local captured by several functions)
-- must still share it in the copy: otherwise the copy of an "object made
-- of closures" or of a function and its helper behaves differently from
-- the original.
function TestSharedUpvalues()
	local function newCounter()
		local n = 0
		return {
			inc = function()
				n = n + 1
			end,
			get = function()
				return n
			end,
		}
	end
	local c = newCounter()
	c.inc()
	local failed = {}
	local got = fresh(function()
		c.inc()
		c.inc()
		return c.get()
	end)
	if got ~= 3 then
		failed[#failed + 1] = "counter object: got " .. tostring(got) .. ", want 3"
	end
	local count = 0
	local function bump()
		count = count + 1
	end
	got = fresh(function()
		bump()
		bump()
		return count
	end)
	if got ~= 2 then
		failed[#failed + 1] = "spawned function and its helper: got " .. tostring(got) .. ", want 2"
	end
	eq(count, 0, "the parent's count")
	if #failed > 0 then
		error(table.concat(failed, "; "))
	end
end

function TestFunctionGlobals()
	WHO = "root"
	local function who()
		return WHO
	end
	eq(fresh(function()
		WHO = "child"
		return who()
	end), "child", "a copied upvalue function reads the child's globals")
	eq(fresh(function()
		return who()
	end), nil, "globals are not copied")
	local parent = self()
	local pid = spawn(function()
		WHO = "receiver"
		local f = receive()
		send(parent, f())
	end)
	send(pid, who)
	eq(receive(), "receiver", "a function sent in a message reads the receiver's globals")
	local function upper(s)
		return string.upper(s)
	end
	eq(fresh(function()
		string.upper = function()
			return "child's upper"
		end
		return upper("x")
	end), "child's upper", "a copied function uses the child's libraries")
	local loaded = loadstring("return WHO")
	eq(fresh(function()
		WHO = "from loadstring"
		return loaded()
	end), "from loadstring", "a function made by loadstring, copied")
end

function TestBuiltinFunctions()
	local m = {
		p = print,
		f = string.format,
		u = string.upper,
		c = table.concat,
		fl = math.floor,
		s = proc.self,
		sp = spawn,
		tos = tostring,
		nx = next,
		pr = pairs,
		w = io.write,
	}
	eq(fresh(function()
		return m.f("%d-%s", 1, "a")
	end), "1-a", "string.format sent")
	eq(fresh(function()
		return m.c({ m.fl(1.5), 2 }, ",")
	end), "1,2", "table.concat, math.floor sent")
	ok(fresh(function()
		return m.u == string.upper and m.p == print and m.s == proc.self and m.sp == spawn and m.nx == next
			and m.pr == pairs and m.w == io.write
	end), "a builtin arrives as the same builtin")
	eq(fresh(function()
		return m.s() == self()
	end), true, "proc.self sent runs as the receiver")
	local u = viaEcho(m)
	eq(u.tos(12), "12", "builtin after two copies")
	eq(fresh(string.rep, "ab", 3), "ababab", "a builtin as the spawned function")
end

-- pairs returns next, as in Lua 5.1; and what pairs returns can be sent.
function TestPairsIteratorIsNext()
	local iter = pairs({})
	eq(iter, next, "pairs({}) returns next")
	local okk, err = pcall(send, self(), iter)
	eq(okk, true, "send the iterator of pairs: " .. tostring(err))
	receive(0)
end

function TestUnsendable()
	local co = coroutine.create(function() end)
	local cases = {
		{ { items = { 1, 2, co } }, "msg.items[3]: cannot send a coroutine" },
		{ co, "msg: cannot send a coroutine" },
		{ { out = io.stdout }, "msg.out: cannot send a userdata" },
		{ { err = io.stderr }, "msg.err: cannot send a userdata" },
		{ { it = string.gmatch("a", "a") }, "msg.it: cannot send a Go function" },
		{ { w = coroutine.wrap(function() end) }, "msg.w: cannot send a Go function" },
		{ { f = function()
			return co
		end }, "msg.f upvalue co: cannot send a coroutine" },
		{ { ["a b"] = { co } }, 'msg["a b"][1]: cannot send a coroutine' },
		{ { [true] = co }, "msg[boolean]: cannot send a coroutine" },
		{ { [2.5] = co }, "msg[2.5]: cannot send a coroutine" },
		{ { [co] = 1 }, "msg[key thread" },
		{ { deep = { deeper = { list = { 1, { co } } } } }, "msg.deep.deeper.list[2][1]: cannot send a coroutine" },
	}
	for i, case in ipairs(cases) do
		local err = raises(case[2], send, self(), case[1])
		ok(err:find("cannot send", 1, true), "case " .. i)
		T.empty("case " .. i .. ": nothing was sent")
	end
	raises("function upvalue co: cannot send a coroutine", spawn, function()
		return co
	end)
	raises("argument 2: cannot send a coroutine", spawn, function() end, 1, co)
	raises("argument 1: cannot send a userdata", spawn, function() end, io.stdout)
	raises("reason: cannot send a coroutine", exit, self(), co)
	raises("msg: cannot send a coroutine", proc.send_after, 1, self(), co)
	raises("reason: cannot send a coroutine", exit, co)
	-- the process is fine afterwards
	send(self(), "still fine")
	eq(receive(), "still fine")
	eq(proc.info().status, "running")
end

function TestMetatablesNotCopied()
	local mt = {
		__index = { x = 1 },
		__tostring = function()
			return "obj"
		end,
		__metatable = "locked",
	}
	local obj = setmetatable({ y = 2 }, mt)
	for name, via in pairs(vias) do
		local u = via(obj)
		eq(getmetatable(u), nil, name .. ": metatable")
		eq(u.x, nil, name .. ": __index")
		eq(u.y, 2, name)
		ok(tostring(u) ~= "obj", name .. ": __tostring")
		setmetatable(u, { __index = { z = 3 } })
		eq(u.z, 3, name .. ": the copy is an ordinary table")
	end
end

local function nest(n)
	local t = {}
	local c = t
	for _ = 1, n do
		c.n = {}
		c = c.n
	end
	return t
end

local function depth(t)
	local d = 0
	while t.n do
		t, d = t.n, d + 1
	end
	return d
end

function TestDeepNesting()
	local err = raises("nested more than", send, self(), nest(300))
	ok(err:find("msg%.n%.n%.n"), "the error names the path: " .. err:sub(1, 80))
	ok(#err < 10000, "the error is not huge")
	T.empty()
	eq(depth(viaSelf(nest(150))), 150, "150 levels arrive")
	eq(depth(viaEcho(nest(150))), 150, "150 levels after two copies")
	raises("nested more than", spawn, function() end, nest(300))
	local deep = nest(300)
	raises("nested more than", spawn, function()
		return deep
	end)
	local f = function() end
	for _ = 1, 300 do
		local g = f
		f = function()
			return g
		end
	end
	raises("nested more than", send, self(), f)
	-- cycles are not depth
	local ring = {}
	local c = ring
	for _ = 1, 150 do
		c.n = {}
		c = c.n
	end
	c.n = ring
	local u = viaEcho(ring)
	local back = u
	for _ = 1, 151 do
		back = back.n
	end
	eq(back, u, "a 151-long ring arrives as a ring")
	-- as an exit reason: the process ends, with a reason
	local _, ref = spawn_monitor(function()
		error(nest(300))
	end)
	ok(T.down(ref).reason ~= nil, "a process ending with a deep table has a reason")
	local _, ref2 = spawn_monitor(function()
		exit(nest(300))
	end)
	ok(tostring(T.down(ref2).reason):find("nested more than"), "exit with a deep table")
end

-- A library table (a stand-in until the process writes to it) is copied
-- with its functions, as any table is.
function TestLibraryTables()
	local failed = {}
	local cases = {
		["string as an upvalue"] = function()
			local str = string
			return T.fresh(function()
				return str.format("%d", 5)
			end)
		end,
		["math as an argument"] = function()
			return T.fresh(function(m)
				return m.floor(5.5)
			end, math)
		end,
		["table in a message"] = function()
			send(self(), { t = table })
			return receive().t.concat({ 5 })
		end,
	}
	for name, case in pairs(cases) do
		local okk, got = pcall(fresh, case)
		if not okk or tostring(got) ~= "5" then
			failed[#failed + 1] = name .. ": " .. tostring(got)
		end
	end
	table.sort(failed)
	if #failed > 0 then
		error(#failed .. " case(s) failed:\n\t" .. table.concat(failed, "\n\t"))
	end
end

function TestLargeMessage()
	local t = {}
	for i = 1, 10000 do
		t[i] = i
	end
	for i = 1, 1000 do
		t["k" .. i] = { i }
	end
	local u = viaEcho(t)
	eq(#u, 10000)
	eq(u[10000], 10000)
	eq(u.k1000[1], 1000)
end

run(...)
