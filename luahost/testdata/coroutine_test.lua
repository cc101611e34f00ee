-- Coroutines inside processes: the library, kills and instruction budgets.
local T = require("testlib")
local eq, ok, raises = T.eq, T.ok, T.raises
local run = T.run

function TestCreateResumeYield()
	local co = coroutine.create(function(a, b)
		eq(coroutine.status(coroutine.running()), "running", "status inside")
		local c = coroutine.yield(a + b)
		local d, e = coroutine.yield(c * 2)
		return d .. e
	end)
	eq(type(co), "thread")
	eq(coroutine.status(co), "suspended")
	local okk, v = coroutine.resume(co, 1, 2)
	eq(okk, true)
	eq(v, 3, "first yield")
	okk, v = coroutine.resume(co, 10)
	eq(v, 20, "second yield")
	okk, v = coroutine.resume(co, "x", "y")
	eq(v, "xy", "return value")
	eq(coroutine.status(co), "dead")
	local okk2, msg = coroutine.resume(co)
	eq(okk2, false)
	ok(msg:find("dead"), "resume of a dead coroutine: " .. msg)
	eq(coroutine.running(), nil, "running() outside a coroutine")
end

function TestWrap()
	local gen = coroutine.wrap(function(n)
		for i = 1, n do
			coroutine.yield(i)
		end
		return "end"
	end)
	local got = {}
	got[#got + 1] = gen(3)
	got[#got + 1] = gen()
	got[#got + 1] = gen()
	got[#got + 1] = gen()
	eq(table.concat(got, ","), "1,2,3,end")
	raises("dead", gen)
	local bad = coroutine.wrap(function()
		error("inside wrap")
	end)
	raises("inside wrap", bad)
end

function TestErrorInCoroutine()
	local co = coroutine.create(function()
		local x = nil
		return x.field
	end)
	local okk, msg = coroutine.resume(co)
	eq(okk, false)
	ok(msg:find("coroutine_test.lua:%d+:"), "error names file:line: " .. msg)
	eq(coroutine.status(co), "dead")
	local co2 = coroutine.create(function()
		error({ code = 1 })
	end)
	local _, e = coroutine.resume(co2)
	eq(e.code, 1, "table error value")
end

function TestNestedCoroutines()
	local outer = coroutine.wrap(function()
		local inner = coroutine.wrap(function()
			coroutine.yield("inner1")
			coroutine.yield("inner2")
		end)
		coroutine.yield(inner())
		coroutine.yield("outer")
		coroutine.yield(inner())
	end)
	eq(outer(), "inner1")
	eq(outer(), "outer")
	eq(outer(), "inner2")
end

function TestProcInsideCoroutine()
	local me = self()
	local co = coroutine.create(function()
		eq(self(), me, "self() inside a coroutine")
		send(self(), "from coroutine")
		local m = receive()
		coroutine.yield(m)
		local child = spawn(function(p)
			send(p, "child says hi")
		end, me)
		return receive(), child
	end)
	local _, m = coroutine.resume(co)
	eq(m, "from coroutine")
	local _, m2, child = coroutine.resume(co)
	eq(m2, "child says hi")
	eq(type(child), "userdata")
	eq(receive(0), nil, "nothing left")
end

-- A process spinning inside a coroutine is stopped by a kill.
function TestKillBusyCoroutine()
	local shapes = {
		plain = function(p)
			local co = coroutine.create(function()
				send(p, "spinning")
				while true do
				end
			end)
			coroutine.resume(co)
			send(p, "resume returned")
		end,
		wrapped_in_pcall = function(p)
			while true do
				pcall(coroutine.wrap(function()
					pcall(function()
						send(p, "spinning")
						while true do
						end
					end)
				end))
				send(p, "pcall returned")
			end
		end,
		nested = function(p)
			coroutine.wrap(function()
				coroutine.wrap(function()
					send(p, "spinning")
					local i = 0
					while true do
						i = i + 1
					end
				end)()
			end)()
		end,
	}
	for name, body in pairs(shapes) do
		local pid, ref = spawn_monitor(body, self())
		eq(receive(), "spinning", name)
		exit(pid, "kill")
		local d = T.down(ref)
		eq(d.reason, "killed", name .. ": reason")
		T.empty(name)
	end
end

-- Instructions run inside coroutines count against max_instructions.
function TestInstructionLimitInCoroutine()
	local shapes = {
		create = function()
			local co = coroutine.create(function()
				while true do
				end
			end)
			coroutine.resume(co)
		end,
		wrap = function()
			coroutine.wrap(function()
				while true do
				end
			end)()
		end,
		yielding = function()
			local co = coroutine.wrap(function()
				while true do
					coroutine.yield()
				end
			end)
			while true do
				co()
			end
		end,
		pcall_inside = function()
			local co = coroutine.create(function()
				while true do
					pcall(function()
						while true do
						end
					end)
				end
			end)
			while true do
				coroutine.resume(co)
			end
		end,
	}
	for name, body in pairs(shapes) do
		local _, ref = proc.spawn_opt({ max_instructions = 100000, monitor = true }, body)
		eq(T.down(ref).reason, "instruction_limit", name)
	end
end

-- instructions returns how many VM instructions fn(...) ran in a process
-- of its own (no limit), and checks it ended normally.
local function instructions(fn, ...)
	local pid, ref = spawn_monitor(fn, ...)
	eq(T.down(ref).reason, "normal", "unlimited run")
	local info = proc.info(pid)
	eq(info.status, "exited")
	return info.instructions
end

local function endsWith(budget, fn, ...)
	local _, ref = proc.spawn_opt({ max_instructions = budget, monitor = true }, fn, ...)
	return T.down(ref).reason
end

local function counting(n)
	local s = 0
	for i = 1, n do
		s = s + i
	end
	return s
end

local function countingInCoroutine(n)
	local co = coroutine.wrap(function()
		local s = 0
		for i = 1, n do
			s = s + i
			if i % 100 == 0 then
				coroutine.yield()
			end
		end
		return "done"
	end)
	while co() ~= "done" do
	end
end

-- The budget is exact: a process that needs N instructions completes with
-- max_instructions = N and ends with "instruction_limit" at N - 1.
function TestInstructionBudgetIsExact()
	eq(endsWith(1000, counting, 10000), "instruction_limit", "1000 instructions for a 10000-step loop")
	eq(endsWith(10000000, counting, 10000), "normal", "a budget of 10^7")
	for _, case in ipairs({
		{ "counting", counting, 1000 },
		{ "counting in a coroutine", countingInCoroutine, 1000 },
	}) do
		local name, fn, n = case[1], case[2], case[3]
		local need = instructions(fn, n)
		ok(need > n, name .. ": " .. need .. " instructions for " .. n .. " steps")
		eq(instructions(fn, n), need, name .. ": the count is deterministic")
		eq(endsWith(need, fn, n), "normal", name .. ": budget = need")
		eq(endsWith(need - 1, fn, n), "instruction_limit", name .. ": budget = need - 1")
		eq(endsWith(need + 1, fn, n), "normal", name .. ": budget = need + 1")
	end
end

-- pcall cannot catch the end of the budget.
function TestInstructionLimitNotCatchable()
	local parent = self()
	local _, ref = proc.spawn_opt({ max_instructions = 50000, monitor = true }, function()
		local okk, err = pcall(function()
			while true do
			end
		end)
		send(parent, { "after pcall", okk, err })
		while true do
		end
	end)
	eq(T.down(ref).reason, "instruction_limit")
	T.empty("the process ran no more code")
end

-- A yield inside a receive pattern raises in the coroutine, as any yield
-- across a builtin does in Lua 5.1: resume returns false, the coroutine
-- is dead, the process goes on.
function TestYieldInReceivePattern()
	send(self(), "m")
	local co = coroutine.create(function()
		return receive(function(m) coroutine.yield("inside") return true end, 1)
	end)
	local okk, err = coroutine.resume(co)
	eq(okk, false)
	eq(err, "attempt to yield across metamethod/C-call boundary")
	eq(coroutine.status(co), "dead")
	eq(receive(0), "m", "the message is still there")
end

run(...)
