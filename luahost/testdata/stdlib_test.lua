-- Lua semantics that the library stand-ins (libs.go) must keep. Tests that
-- need a pristine state (no library touched yet) run their body in a fresh
-- process with T.fresh.
local T = require("testlib")
local eq, ok, raises, fresh, has = T.eq, T.ok, T.raises, T.fresh, T.has
local run = T.run

local stringFuncs = { "byte", "char", "find", "format", "gfind", "gmatch", "gsub", "len", "lower", "match",
	"rep", "reverse", "sub", "upper" }

function TestStringMethods()
	function string.shout(s)
		return s:upper() .. "!"
	end
	eq(("hi"):shout(), "HI!", "method added to string")
	eq(("%d-%s"):format(7, "x"), "7-x", "format as a method")
	eq(("abc"):len(), 3)
	eq(("a,b"):gsub(",", ";"), "a;b")
	-- replacing a library function changes the method too
	local upper = string.upper
	string.upper = function()
		return "patched"
	end
	eq(("a"):upper(), "patched", "replaced method")
	string.upper = upper
	eq(("a"):upper(), "A")
	-- in a pristine process, where string is still a stand-in
	eq(fresh(function()
		function string.twice(s)
			return s .. s
		end
		return ("ab"):twice()
	end), "abab", "method added in a fresh process")
	eq(fresh(function()
		string.upper = function()
			return "patched"
		end
		return ("a"):upper()
	end), "patched", "method replaced in a fresh process")
	-- replacing the global string does not change the methods (as in Lua)
	eq(fresh(function()
		string = { upper = function()
			return "other"
		end }
		return ("a"):upper()
	end), "A", "methods after string = {...}")
end

function TestStringMetatable()
	eq(getmetatable("").__index, string, 'getmetatable("").__index')
	string.extra = 1
	eq(getmetatable("").__index, string, "after a write to string")
	eq(("x").extra, 1, "field added to string, read from a string value")
	ok(fresh(function()
		return getmetatable("").__index == string
	end), 'getmetatable("").__index == string in a fresh process')
	ok(fresh(function()
		local idx = getmetatable("").__index
		idx.added = "yes"
		return string.added == "yes" and ("s").added == "yes"
	end), "write through the metatable's __index reaches string")
	local mt = getmetatable("")
	local old = mt.__index
	mt.__index = { hello = function()
		return "hi"
	end }
	eq(("x"):hello(), "hi", "replaced string metatable __index")
	mt.__index = old
	eq(("x"):upper(), "X")
end

function TestPairsGlobals()
	mine = 42
	local seen = {}
	for k, v in pairs(_G) do
		seen[k] = v
	end
	has(seen, { "print", "string", "table", "math", "os", "io", "coroutine", "debug", "proc", "package", "_G",
		"mine", "spawn", "send", "receive", "self", "pairs", "next", "require", "_VERSION" },
		"pairs(_G)")
	eq(seen.print, print)
	eq(seen.string, string)
	eq(seen.proc, proc)
	eq(seen._G, _G)
	eq(seen.mine, 42)
	local set = fresh(function()
		user_global = true
		local set = {}
		for k, v in pairs(_G) do
			set[k] = type(v)
		end
		return set
	end)
	has(set, { "print", "string", "table", "math", "os", "io", "coroutine", "debug", "proc", "package", "_G",
		"user_global", "spawn", "pairs", "tostring", "pcall", "error", "setmetatable", "getmetatable", "rawget",
		"rawset", "rawequal", "select", "unpack", "type", "tonumber", "assert", "xpcall", "load", "loadstring",
		"dofile", "loadfile", "getfenv", "setfenv", "collectgarbage", "ipairs" }, "pairs(_G) in a fresh process")
	eq(set.print, "function")
	eq(set.string, "table")
	eq(set._G, "table")
	-- next(_G) sees the same
	ok(fresh(function()
		local n = 0
		local k = next(_G)
		while k ~= nil do
			n = n + 1
			k = next(_G, k)
		end
		return n > 30
	end), "next over _G in a fresh process")
end

function TestPairsLibraries()
	local want = {
		string = stringFuncs,
		table = { "concat", "insert", "maxn", "remove", "sort" },
		math = { "abs", "ceil", "floor", "max", "min", "sqrt", "sin", "random", "randomseed", "pi", "huge", "fmod" },
		os = { "clock", "date", "difftime", "time", "getenv" },
		io = { "write", "read", "stdout", "stderr" },
		coroutine = { "create", "resume", "yield", "status", "running", "wrap" },
		debug = { "getinfo", "traceback" },
		proc = { "spawn", "spawn_link", "spawn_monitor", "spawn_opt", "self", "node", "nodes", "send", "receive",
			"link", "unlink", "monitor", "demonitor", "monitor_node", "exit", "trap_exit", "register",
			"unregister", "whereis", "sleep", "send_after", "cancel_timer", "info" },
		package = { "loaded", "preload", "path", "config" },
	}
	for lib, names in pairs(want) do
		local set = fresh(function(lib)
			local set = {}
			for k, v in pairs(_G[lib]) do
				set[k] = type(v)
			end
			return set
		end, lib)
		has(set, names, "pairs(" .. lib .. ") in a fresh process")
		-- and in this process, where libraries have been used
		local here = {}
		for k in pairs(_G[lib]) do
			here[k] = true
		end
		has(here, names, "pairs(" .. lib .. ")")
	end
	local n = 0
	for k, v in pairs(string) do
		eq(type(v), "function", "string." .. k)
		n = n + 1
	end
	eq(n, #stringFuncs, "number of string functions")
	eq(string.dump, nil, "string.dump (bytecode)")
	-- pairs over a stand-in after a write lists both
	eq(fresh(function()
		string.mine = true
		local seen = {}
		for k in pairs(string) do
			seen[k] = true
		end
		return seen.mine and seen.format and seen.upper or false
	end), true, "pairs(string) after a write")
end

function TestRawAccess()
	eq(rawget(_G, "print"), print, 'rawget(_G, "print")')
	eq(rawget(_G, "string"), string, 'rawget(_G, "string")')
	eq(rawget(string, "format"), string.format, 'rawget(string, "format")')
	ok(fresh(function()
		return rawget(_G, "print") == print
	end), 'rawget(_G, "print") == print in a fresh process')
	ok(fresh(function()
		return rawget(_G, "proc") == proc and rawget(math, "pi") == math.pi and rawget(string, "upper") == string.upper
	end), "rawget on stand-ins in a fresh process")
	ok(fresh(function()
		rawset(string, "viaRawset", 1)
		return string.viaRawset == 1 and type(string.format) == "function"
	end), "rawset on a stand-in keeps the library")
	ok(fresh(function()
		rawset(_G, "viaRawset", 1)
		return viaRawset == 1 and type(print) == "function" and type(string) == "table"
	end), "rawset on the globals keeps the base functions")
	ok(fresh(function()
		return rawequal(_G, getfenv(0)) and rawequal(string, getmetatable("").__index)
	end), "rawequal")
end

function TestGlobalsTable()
	eq(_G._G, _G, "_G._G")
	eq(getfenv(1), _G, "getfenv(1)")
	eq(getfenv(0), _G, "getfenv(0)")
	eq(getfenv(), _G, "getfenv()")
	ok(fresh(function()
		return _G._G == _G and getfenv(0) == _G and _G.print == print and _G.string == string
	end), "_G in a fresh process")
	_G.viaG = 1
	eq(viaG, 1, "global set through _G")
	newglobal = 2
	eq(_G.newglobal, 2, "global read through _G")
	eq(rawget(_G, "newglobal"), 2)
	eq(getmetatable(_G), nil, "getmetatable(_G)")
	eq(fresh(function()
		return getmetatable(_G)
	end), nil, "getmetatable(_G) in a fresh process")
	eq(fresh(function()
		return getmetatable(string)
	end), nil, "getmetatable(string) in a fresh process")
	eq(_VERSION, "Lua 5.1")
end

function TestGetfenvOfBuiltins()
	eq(getfenv(print), _G, "getfenv(print)")
	eq(getfenv(string.format), _G, "getfenv(string.format)")
	eq(getfenv(proc.spawn), _G, "getfenv(proc.spawn)")
	ok(fresh(function()
		return getfenv(print) == _G and getfenv(string.gsub) == _G
	end), "getfenv(print) in a fresh process")
	local co = coroutine.create(function()
		return getfenv(print) == _G and getfenv(0) == _G and getfenv(1) == _G
	end)
	local _, r = coroutine.resume(co)
	eq(r, true, "getfenv inside a coroutine")
	raises("cannot change environment of given object", setfenv, print, {})
	-- setfenv on Lua functions works
	local function g()
		return x_in_env
	end
	setfenv(g, { x_in_env = "env" })
	eq(g(), "env", "setfenv on a Lua function")
end

function TestDeleteGlobals()
	local cases = {
		["print = nil"] = function()
			print = nil
			T.eq(print, nil, "print")
			T.eq(rawget(_G, "print"), nil, "rawget print")
			for k in pairs(_G) do
				T.ok(k ~= "print", "pairs(_G) lists print")
			end
			T.eq(type(tostring), "function", "other base functions")
		end,
		["_G.print = nil"] = function()
			_G.print = nil
			T.eq(print, nil, "print")
		end,
		["rawset(_G, print, nil)"] = function()
			rawset(_G, "print", nil)
			T.eq(print, nil, "print")
		end,
		["string = nil"] = function()
			string = nil
			T.eq(string, nil, "string")
			T.eq(rawget(_G, "string"), nil, "rawget string")
			T.eq(("x"):upper(), "X", "string methods still work")
			T.eq(type(table), "table", "other libraries")
		end,
		["math = nil"] = function()
			math = nil
			for k in pairs(_G) do
				T.ok(k ~= "math", "pairs(_G) lists math")
			end
			T.eq(math, nil, "math")
		end,
		["string.format = nil"] = function()
			string.format = nil
			T.eq(string.format, nil, "string.format")
			T.eq(string.upper("a"), "A", "string.upper")
			T.ok(not pcall(function()
				return ("%d"):format(1)
			end), "format as a method")
		end,
		["table.insert = nil"] = function()
			table.insert = nil
			T.eq(table.insert, nil, "table.insert")
			T.eq(table.concat({ 1, 2 }, ","), "1,2", "table.concat")
		end,
		["spawn = nil"] = function()
			spawn = nil
			T.eq(spawn, nil, "spawn")
			T.eq(type(proc.spawn), "function", "proc.spawn")
		end,
		["proc.spawn = nil"] = function()
			proc.spawn = nil
			T.eq(proc.spawn, nil, "proc.spawn")
			T.eq(type(spawn), "function", "the global alias stays")
		end,
	}
	for name, case in pairs(cases) do
		local okk, err = pcall(fresh, case)
		if not okk then
			error(name .. ": " .. tostring(err))
		end
	end
	-- the deletions did not reach this process
	eq(type(print), "function")
	eq(type(string.format), "function")
	eq(type(table.insert), "function")
end

-- A global that shadows a builtin or library, once set to nil, is nil: the
-- stand-in scheme must not bring the builtin back.
function TestDeleteGlobalsAfterUse()
	local cases = {
		["string used, then string = nil"] = function()
			local _ = string.len
			string = nil
			T.eq(string, nil, "string")
		end,
		["print redefined, then print = nil"] = function()
			print = function() end
			print = nil
			T.eq(print, nil, "print")
		end,
		["string replaced, then string = nil"] = function()
			string = {}
			string = nil
			T.eq(string, nil, "string")
		end,
		["_G = nil"] = function()
			local G = _G
			_G = nil
			T.eq(_G, nil, "_G")
			T.eq(G._G, nil, "G._G")
		end,
	}
	local failed = {}
	for name, case in pairs(cases) do
		local okk, err = pcall(fresh, case)
		if not okk then
			failed[#failed + 1] = name .. ": " .. tostring(err)
		end
	end
	table.sort(failed)
	if #failed > 0 then
		error(#failed .. " case(s) failed:\n\t" .. table.concat(failed, "\n\t"))
	end
end

-- Lua 5.1 keeps the libraries in package.loaded however the globals change.
function TestRequireDeletedLibrary()
	local got = fresh(function()
		string = nil
		local okk, lib = pcall(require, "string")
		return okk and type(lib) == "table" and type(lib.format) == "function" or tostring(lib)
	end)
	eq(got, true, 'require("string") after string = nil')
end

function TestStrictMode()
	local function strict()
		local declared = {}
		setmetatable(_G, {
			__newindex = function(t, k, v)
				if not declared[k] then
					error("assign to undeclared global '" .. k .. "'", 2)
				end
				rawset(t, k, v)
			end,
			__index = function(_, k)
				error("undeclared global '" .. k .. "'", 2)
			end,
		})
		T.eq(type(print), "function", "print")
		T.eq(string.format("%d", 1), "1", "string.format")
		T.eq(type(proc.self), "function", "proc.self")
		T.eq(type(spawn), "function", "spawn")
		T.eq(_G._G, _G, "_G._G")
		T.eq(type(package.loaded), "table", "package.loaded")
		T.raises("undeclared global 'nosuch'", function()
			return nosuch
		end)
		T.raises("assign to undeclared global 'x'", function()
			x = 1
		end)
		declared.x = true
		x = 1
		T.eq(x, 1, "declared global")
		T.eq(("s"):upper(), "S", "string methods")
		return true
	end
	eq(fresh(strict), true, "strict mode in a fresh process")
	eq(strict(), true, "strict mode in this process")
	-- the strictness stays in this process
	eq(fresh(function()
		return nosuch2
	end), nil, "a spawned function is not strict")
	-- __index defaults
	eq(fresh(function()
		setmetatable(_G, { __index = function(_, k)
			return "default_" .. k
		end })
		return nosuch .. "," .. type(print) .. "," .. type(string.rep)
	end), "default_nosuch,function,function", "__index default for globals")
	-- a metatable on a library stand-in
	eq(fresh(function()
		setmetatable(string, { __index = function()
			return "missing"
		end })
		return string.nope .. "," .. type(string.format)
	end), "missing,function", "setmetatable(string, ...)")
end

function TestPackageLoaded()
	eq(package.loaded.string, string, "package.loaded.string")
	eq(package.loaded.table, table, "package.loaded.table")
	eq(package.loaded.proc, proc, "package.loaded.proc")
	eq(package.loaded._G, _G, "package.loaded._G")
	eq(require("string"), string, 'require("string")')
	eq(require("proc"), proc, 'require("proc")')
	eq(require("math"), math, 'require("math")')
	ok(fresh(function()
		return package.loaded.string == string and require("table") == table and package.loaded._G == _G
	end), "package.loaded in a fresh process")
	eq(require("testlib"), T, "require caches")
	eq(package.loaded.testlib, T, "package.loaded.testlib")
	package.preload.virtual = function(name)
		return { name = name }
	end
	eq(require("virtual").name, "virtual", "package.preload")
	eq(require("mod_noreturn"), true, "a module that returns nothing")
	eq(MOD_NORETURN_LOADS, 1, "loaded once")
	eq(require("mod_noreturn"), true)
	eq(MOD_NORETURN_LOADS, 1, "loaded once")
	eq(require("sub.mod").name, "sub.mod", "dotted module name")
	eq(require("pkg").name, "pkg/init", "?/init.lua")
	ok(type(package.path) == "string" and package.path:find("?.lua", 1, true), "package.path " .. tostring(package.path))
	eq(package.config:sub(1, 1), "/", "package.config")
end

function TestPidValues()
	local me = self()
	eq(type(me), "userdata", "type(pid)")
	ok(tostring(me):match("^<local%.%d+>$"), "tostring(pid) " .. tostring(me))
	eq(getmetatable(me), "pid", "getmetatable(pid)")
	eq(me, proc.self(), "self() == proc.self()")
	ok(rawequal(me, self()), "self() is always the same userdata")
	local pid, ref = spawn_monitor(function() end)
	ok(pid ~= me, "another pid differs")
	eq(type(ref), "userdata", "type(ref)")
	ok(tostring(ref):match("^#Ref<local%.%d+>$"), "tostring(ref) " .. tostring(ref))
	eq(getmetatable(ref), "ref", "getmetatable(ref)")
	eq(T.down(ref).pid, pid)
	ok(tostring(pid) ~= tostring(me), "distinct pids print differently")
	-- print uses __tostring
	eq(string.format("%s", tostring(me)), tostring(me))
	-- io.stdout is a protected userdata
	eq(type(io.stdout), "userdata")
	eq(getmetatable(io.stdout), "file")
	eq(tostring(io.stdout), "file (stdout)")
	eq(tostring(io.stderr), "file (stderr)")
end

function TestIsolation()
	local parent = self()
	local a = spawn(function()
		string.x = 1
		math.pi = 3
		table.insert = nil
		GLOBAL_A = "a"
		getmetatable("").__index.viaMeta = true
		proc.custom = 1
		print = nil
		package.loaded.fake = true
		send(parent, "a done")
		receive()
	end)
	eq(receive(), "a done")
	local seen = fresh(function()
		return {
			x = string.x,
			pi = math.pi,
			insert = type(table.insert),
			global = GLOBAL_A,
			viaMeta = ("s").viaMeta,
			custom = proc.custom,
			print = type(print),
			fake = package.loaded.fake,
		}
	end)
	eq(seen.x, nil, "string.x in B")
	eq(seen.pi, math.pi, "math.pi in B")
	eq(seen.insert, "function", "table.insert in B")
	eq(seen.global, nil, "GLOBAL_A in B")
	eq(seen.viaMeta, nil, "string metatable in B")
	eq(seen.custom, nil, "proc.custom in B")
	eq(seen.print, "function", "print in B")
	eq(seen.fake, nil, "package.loaded in B")
	-- nor in this process
	eq(string.x, nil)
	eq(GLOBAL_A, nil)
	eq(type(table.insert), "function")
	exit(a, "kill")
	-- and the other way round
	string.fromRoot = true
	ROOT_GLOBAL = true
	eq(fresh(function()
		return string.fromRoot == nil and ROOT_GLOBAL == nil
	end), true, "root's changes are invisible to a child")
end

function TestProcGlobals()
	for _, name in ipairs({ "spawn", "spawn_link", "spawn_monitor", "send", "receive", "self", "link", "unlink",
		"monitor", "demonitor", "exit" }) do
		eq(_G[name], proc[name], name .. " is an alias of proc." .. name)
		eq(type(_G[name]), "function", name)
	end
	for _, name in ipairs({ "spawn_opt", "register", "unregister", "whereis", "sleep", "send_after", "cancel_timer",
		"info", "node", "nodes", "trap_exit", "monitor_node" }) do
		eq(type(proc[name]), "function", "proc." .. name)
		eq(_G[name], nil, "global " .. name)
	end
end

function TestSandbox()
	local absent = {
		["os.execute"] = os.execute,
		["os.tmpname"] = os.tmpname,
		["io.popen"] = io.popen,
		["io.tmpfile"] = io.tmpfile,
		["io.input"] = io.input,
		["io.output"] = io.output,
		["string.dump"] = string.dump,
		["debug.sethook"] = debug.sethook,
		["debug.getregistry"] = debug.getregistry,
		["debug.gethook"] = debug.gethook,
		["debug.debug"] = debug.debug,
		["newproxy"] = newproxy,
	}
	for name, v in pairs(absent) do
		eq(v, nil, name)
	end
	local n = 0
	for k in pairs(debug) do
		n = n + 1
	end
	eq(n, 11, "debug has the functions that stay inside the process")
	raises("only the root process", function()
		local _, ref = proc.spawn_opt({ monitor = true }, function() os.exit(3) end)
		local m = receive(function(m) return type(m) == "table" and m.ref == ref end)
		error(tostring(m.reason))
	end)
	eq(type(debug.getinfo), "function", "debug.getinfo")
	eq(type(debug.traceback), "function", "debug.traceback")
	ok(debug.traceback("msg"):find("msg", 1, true), "debug.traceback")
	eq(debug.getinfo(1, "l").currentline > 0, true, "debug.getinfo")
	eq(type(os.time()), "number", "os.time")
	eq(type(os.clock()), "number", "os.clock")
	ok(os.date("%Y"):match("^%d%d%d%d$"), "os.date")
	eq(os.difftime(5, 2), 3, "os.difftime")
	eq(os.getenv("PATH"), nil, "os.getenv without AllowEnv")
	eq(os.getenv("HOME"), nil, "os.getenv without AllowEnv")
	-- without allow_write, files cannot be changed
	local f, err = io.open("/tmp/dlua_sandbox_test_must_not_exist", "w")
	eq(f, nil, "io.open for writing outside the allowed folders")
	ok(type(err) == "string", "io.open returns a message")
	eq((os.remove("/etc/hostname")), nil, "os.remove outside allow_write")
	eq((os.rename("/etc/hostname", "/etc/hostname2")), nil, "os.rename outside allow_write")
	eq((io.open("/etc/passwd")), nil, "io.open for reading outside allow_read")
end

function TestMathRandom()
	math.randomseed(42)
	local a = { math.random(), math.random(10), math.random(5, 6) }
	math.randomseed(42)
	local b = { math.random(), math.random(10), math.random(5, 6) }
	for i = 1, 3 do
		eq(a[i], b[i], "seeded sequence " .. i)
	end
	ok(a[1] >= 0 and a[1] < 1, "random()")
	ok(a[2] >= 1 and a[2] <= 10, "random(10)")
	ok(a[3] == 5 or a[3] == 6, "random(5, 6)")
	for _ = 1, 100 do
		local n = math.random(3)
		ok(n >= 1 and n <= 3 and n == math.floor(n), "random(3) " .. n)
	end
	raises("interval is empty", math.random, 0)
	raises("interval is empty", math.random, 3, 2)
end

function TestCollectgarbage()
	ok(collectgarbage("count") > 0, "collectgarbage('count')")
	eq(collectgarbage(), 0, "collectgarbage()")
	eq(collectgarbage("collect"), 0)
	eq(collectgarbage("stop"), 0, "stop is refused quietly")
end

function TestBaseLibrary()
	eq(string.format("%5.2f|%-3s|%q", 3.14159, "a", "q\""), " 3.14|a  |\"q\\\"\"")
	local t = { 3, 1, 2 }
	table.sort(t)
	eq(table.concat(t, ","), "1,2,3")
	table.sort(t, function(x, y)
		return x > y
	end)
	eq(table.concat(t, ","), "3,2,1")
	table.insert(t, 1, 9)
	eq(table.remove(t), 1)
	eq(#t, 3)
	eq(select("#", 1, nil, 3), 3)
	eq(select(2, "a", "b", "c"), "b")
	eq(tonumber("0x10"), 16)
	eq(tonumber("z", 36), 35)
	eq(tostring(nil), "nil")
	local x, y = unpack({ 1, 2 })
	eq(x + y, 3)
	local okk, msg = xpcall(function()
		error("inner")
	end, function(m)
		return "handled: " .. m
	end)
	eq(okk, false)
	ok(msg:find("handled: .*inner"), "xpcall handler " .. msg)
	local okk2, e = pcall(error, { code = 7 })
	eq(okk2, false)
	eq(e.code, 7, "error with a table")
	eq(select(2, pcall(error, "plain", 0)), "plain", "error level 0")
	local n = 0
	for w in ("one two three"):gmatch("%a+") do
		n = n + 1
	end
	eq(n, 3, "gmatch")
	eq(#string.rep("ab", 3), 6)
	eq(math.floor(-0.5), -1)
	eq(math.max(1, 5, 3), 5)
	local iter = ipairs({})
	eq(iter({ 7 }, 0), 1, "ipairs iterator")
end

run(...)
