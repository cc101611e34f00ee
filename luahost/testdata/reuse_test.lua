-- The LState of an ended process is reused for a new one (state.go
-- statePool): whatever the old process did and however it ended, the new
-- one must start pristine.
local T = require("testlib")
local eq = T.eq
local run = T.run

local parent = self()

-- Ways to leave a state dirty. Each is a process body; those that return
-- "wait" are killed by the test once they say so.
local dirty = {
	globals = function()
		GLOBAL = 1
		string.dirty = 1
		getmetatable("").__index.dirty2 = 1
		getmetatable("").__add = function() end
		math.pi = 0
		package.loaded.dirty = true
		package.path = "/nowhere/?.lua"
		setmetatable(_G, { __index = function()
			return "dirty"
		end })
		print = nil
		setfenv(0, { dirty_env_marker = true })
	end,
	error_with_open_upvalues = function()
		local a = "old"
		local f = function()
			return a
		end
		local co = coroutine.create(function()
			local b = "old"
			coroutine.yield(function()
				return b
			end)
		end)
		coroutine.resume(co)
		error("dirty " .. f())
	end,
	killed_in_a_coroutine = function()
		coroutine.wrap(function()
			local x = "old"
			local g = function()
				return x
			end
			send(parent, "wait")
			while true do
			end
		end)()
	end,
	killed_in_receive_pattern = function()
		send(self(), 1)
		receive(function()
			send(parent, "wait")
			while true do
			end
		end)
	end,
	exit_in_a_coroutine = function()
		local co = coroutine.create(function()
			local y = "old"
			pcall(exit, "bye")
		end)
		coroutine.resume(co)
	end,
	stack_overflow = function()
		local function f(n)
			local a, b, c = n, n, n
			return f(n + 1) + a + b + c
		end
		f(1)
	end,
	many_values_on_the_stack = function()
		local t = {}
		for i = 1, 5000 do
			t[i] = { i }
		end
		error(select("#", unpack(t)))
	end,
	instruction_limit = function()
		pcall(function()
			local z = "old"
			while true do
			end
		end)
	end,
}

-- check runs in a process that may reuse a dirty state.
local function check(...)
	local problems = {}
	local function expect(cond, what)
		if not cond then
			problems[#problems + 1] = what
		end
	end
	expect(GLOBAL == nil, "GLOBAL")
	expect(string.dirty == nil, "string.dirty")
	expect(("x").dirty2 == nil, "string metatable __index")
	expect(getmetatable("").__add == nil, "string metatable __add")
	expect(getmetatable("").__index == string, "string metatable")
	expect(math.pi > 3, "math.pi")
	expect(package.loaded.dirty == nil, "package.loaded")
	expect(package.path:find("nowhere", 1, true) == nil, "package.path")
	expect(getmetatable(_G) == nil, "metatable of _G")
	expect(nosuch == nil, "undefined global")
	expect(type(print) == "function", "print")
	expect(getfenv(0) == _G and dirty_env_marker == nil, "thread environment")
	expect(proc.info().mailbox == 0, "mailbox")
	local a = 10
	local f = function()
		return a
	end
	a = 11
	expect(f() == 11, "open upvalue")
	local fs = {}
	for i = 1, 3 do
		fs[i] = function()
			return i
		end
	end
	expect(fs[1]() + fs[2]() + fs[3]() == 6, "loop closures")
	local co = coroutine.wrap(function(x)
		local y = coroutine.yield(x + 1)
		return y * 2
	end)
	expect(co(1) == 2 and co(5) == 10, "coroutines")
	expect(select("#", ...) == 1 and ... == "arg", "arguments")
	expect(select(2, pcall(error, "e", 0)) == "e", "pcall")
	return table.concat(problems, ", ")
end

function TestReusedStatesArePristine()
	for round = 1, 20 do
		for name, body in pairs(dirty) do
			local opts = { monitor = true }
			if name == "instruction_limit" then
				opts.max_instructions = 100000
			end
			local pid, ref = proc.spawn_opt(opts, body)
			local m = receive(function(m)
				return m == "wait" or type(m) == "table" and m.ref == ref
			end)
			if m == "wait" then
				exit(pid, "kill")
				T.down(ref)
			end
			-- several processes, so that one of them gets the state
			for _ = 1, 3 do
				local _, r = spawn_monitor(function(...)
					send(parent, { problems = check(...) })
				end, "arg")
				local got = receive(function(m)
					return type(m) == "table" and (m.problems or m.ref == r)
				end)
				if got.tag == "DOWN" then
					error("round " .. round .. ", after " .. name .. ": check failed: " .. tostring(got.reason))
				end
				eq(got.problems, "", "round " .. round .. ", after " .. name)
				T.down(r)
			end
		end
	end
end

run(...)
