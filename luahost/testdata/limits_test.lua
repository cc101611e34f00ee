-- Limits (SPEC §4): max_memory, and builtins that charge the instruction
-- budget and the memory estimate for work that is not VM instructions.
local T = require("testlib")
local eq, ok, raises = T.eq, T.ok, T.raises
local run = T.run

-- endsWith runs fn(...) under opts (monitor added) and returns its reason.
local function endsWith(opts, fn, ...)
	opts.monitor = true
	local _, ref = proc.spawn_opt(opts, fn, ...)
	return T.down(ref).reason
end

function TestMaxMemory()
	local cases = {
		["a growing table"] = function()
			local t = {}
			while true do
				t[#t + 1] = { "some data", #t }
			end
		end,
		["a doubling string"] = function()
			local s = "x"
			while true do
				s = s .. s
			end
		end,
		["strings kept in a table"] = function()
			local t, i = {}, 0
			while true do
				i = i + 1
				t[i] = ("%d"):format(i) .. string.rep("y", 100)
			end
		end,
		["closures kept"] = function()
			local t = {}
			while true do
				local n = #t
				t[n + 1] = function()
					return n
				end
			end
		end,
		["inside a coroutine"] = function()
			coroutine.wrap(function()
				local t = {}
				while true do
					t[#t + 1] = { #t }
				end
			end)()
		end,
		["coroutines kept"] = function()
			local t = {}
			while true do
				t[#t + 1] = coroutine.create(function() end)
			end
		end,
		["a sparse integer key"] = function()
			local t = {}
			t[1000000] = true
			t[2000000] = true
			local u = {}
			for i = 1, 1000000 do
				u[i] = i
			end
		end,
		["pcall does not save it"] = function()
			local t = {}
			while true do
				pcall(function()
					while true do
						t[#t + 1] = { #t }
					end
				end)
			end
		end,
	}
	for name, body in pairs(cases) do
		eq(endsWith({ max_memory = "1MiB" }, body), "memory_limit", name)
	end
end

function TestMaxMemoryGarbageIsFree()
	-- a process that makes much more garbage than its limit lives on
	eq(endsWith({ max_memory = "1MiB" }, function()
		for i = 1, 20000 do
			local t = { i, tostring(i), { i } }
			local s = string.rep("z", 100) .. i
		end
	end), "normal", "garbage")
end

function TestMaxMemoryReceivedMessages()
	local parent = self()
	local pid, ref = proc.spawn_opt({ max_memory = "1MiB", monitor = true }, function()
		local kept = {}
		send(parent, "ready")
		while true do
			kept[#kept + 1] = receive()
		end
	end)
	eq(receive(), "ready")
	-- distinct strings: one string sent many times is one allocation
	local big = string.rep("m", 64 * 1024)
	for i = 1, 64 do
		send(pid, { i, big .. i })
	end
	eq(T.down(ref).reason, "memory_limit", "messages kept past the limit")
end

function TestMaxMemoryOption()
	eq(endsWith({ max_memory = 4 * 1024 * 1024 }, function() end), "normal", "a number of bytes")
	eq(endsWith({ max_memory = "16MiB" }, function() end), "normal", "a size")
	raises("max_memory", proc.spawn_opt, { max_memory = "lots" }, function() end)
	raises("max_memory", proc.spawn_opt, { max_memory = -1 }, function() end)
	raises("max_memory", proc.spawn_opt, { max_memory = true }, function() end)
	local parent = self()
	local _, ref = proc.spawn_opt({ max_memory = "1MiB", monitor = true }, function()
		send(parent, { pcall(proc.spawn_opt, { max_memory = "2MiB" }, function() end) })
		send(parent, { pcall(proc.spawn_opt, { max_memory = "512KiB" }, function() end) })
		local _, r = proc.spawn_opt({ monitor = true }, function()
			local t = {}
			while true do
				t[#t + 1] = { #t }
			end
		end)
		send(parent, T.down(r).reason)
	end)
	local above = receive()
	eq(above[1], false, "max_memory above the parent's")
	ok(tostring(above[2]):find("above the spawner's limit", 1, true), tostring(above[2]))
	eq(receive()[1], true, "max_memory below the parent's")
	eq(receive(), "memory_limit", "a child inherits max_memory")
	eq(T.down(ref).reason, "normal")
end

-- Builtins whose work is not VM instructions charge the budget in
-- proportion to their work.
function TestBuiltinsChargeInstructions()
	local cases = {
		["string.rep"] = function()
			local s = string.rep("x", 50000000)
		end,
		["string.rep in a coroutine"] = function()
			coroutine.wrap(function()
				local s = string.rep("x", 50000000)
			end)()
		end,
		["table.concat"] = function()
			local t = {}
			for i = 1, 200 do
				t[i] = string.rep("c", 1000)
			end
			for _ = 1, 200 do
				local s = table.concat(t)
			end
		end,
		["a backtracking pattern"] = function()
			string.find(string.rep("a", 300), ".-.-.-b")
		end,
		["gsub"] = function()
			local s = string.rep("ab", 100000)
			for _ = 1, 50 do
				s:gsub("a", "c")
			end
		end,
		["table.sort"] = function()
			local t = {}
			for i = 1, 20000 do
				t[i] = -i
			end
			table.sort(t)
			table.sort(t)
		end,
	}
	for name, body in pairs(cases) do
		eq(endsWith({ max_instructions = 100000 }, body), "instruction_limit", name)
	end
end

-- Builtins that build big values charge memory before they allocate.
function TestBuiltinsChargeMemory()
	local cases = {
		["string.rep"] = function()
			local s = string.rep("x", 20000000)
		end,
		["table.concat"] = function()
			local t = {}
			for i = 1, 100 do
				t[i] = string.rep("c", 1000)
			end
			local s = table.concat(t)
			for _ = 1, 10 do
				s = table.concat({ s, s })
			end
		end,
		["gsub"] = function()
			local s = string.rep("a", 100000)
			s = s:gsub("a", string.rep("b", 100))
		end,
	}
	for name, body in pairs(cases) do
		eq(endsWith({ max_memory = "1MiB" }, body), "memory_limit", name)
	end
end

run(...)
