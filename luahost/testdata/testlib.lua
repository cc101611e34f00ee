-- Helpers for the luahost Lua tests (testdata/*_test.lua).
--
-- Every helper keeps the builtins it uses as upvalues, so that a test may
-- delete or replace globals, and so that helpers still work when copied
-- into another process.
local format, find, tostring, type, pcall, error, select, unpack, pairs, sort, insert =
	string.format, string.find, tostring, type, pcall, error, select, unpack, pairs, table.sort, table.insert
local send, self, spawn_monitor, receive = send, self, spawn_monitor, receive

local M = {}

-- eq fails unless got == want (NaN equals NaN here).
function M.eq(got, want, what)
	if got ~= want and not (got ~= got and want ~= want) then
		error(format("%s: got %s, want %s", what or "value", tostring(got), tostring(want)), 2)
	end
end

-- ok fails unless v is truthy.
function M.ok(v, what)
	if not v then
		error(format("%s: got %s", what or "condition", tostring(v)), 2)
	end
	return v
end

-- raises calls fn(...) and fails unless it raises an error whose message
-- contains want (plain text). It returns the error.
function M.raises(want, fn, ...)
	local ok, err = pcall(fn, ...)
	if ok then
		error(format("no error, want one containing %q", want), 2)
	end
	if not find(tostring(err), want, 1, true) then
		error(format("error %q does not contain %q", tostring(err), want), 2)
	end
	return err
end

-- keys returns the sorted string keys of t.
function M.keys(t)
	local out = {}
	for k in pairs(t) do
		if type(k) == "string" then
			insert(out, k)
		end
	end
	sort(out)
	return out
end

-- has reports whether t has every key in list.
function M.has(t, list, what)
	for _, k in pairs(list) do
		if t[k] == nil then
			error(format("%s: no key %q", what or "table", k), 2)
		end
	end
end

-- fresh runs fn(...) in a new process (a pristine state) and returns what
-- fn returned; it fails with the child's exit reason if fn raised.
function M.fresh(fn, ...)
	local parent = self()
	local _, ref = spawn_monitor(function(...)
		local function pack(...)
			return { n = select("#", ...), ... }
		end
		send(parent, { tag = "fresh", values = pack(fn(...)) })
	end, ...)
	local m = receive(function(m)
		return type(m) == "table" and (m.tag == "fresh" or m.tag == "DOWN" and m.ref == ref)
	end)
	if m.tag == "DOWN" then
		error("fresh process failed: " .. tostring(m.reason), 2)
	end
	receive({ tag = "DOWN", ref = ref })
	return unpack(m.values, 1, m.values.n)
end

-- down waits for the DOWN message of ref and returns it.
function M.down(ref)
	return receive(function(m)
		return type(m) == "table" and m.tag == "DOWN" and m.ref == ref
	end)
end

-- empty fails unless the mailbox is empty.
function M.empty(what)
	local m, err = receive(0)
	if err ~= "timeout" then
		error(format("%s: mailbox holds %s", what or "mailbox", tostring(m)), 2)
	end
end

-- run calls the global test function name (the Go runner passes it as
-- arg[1]). It reads _G when called: an upvalue holding the globals would
-- make every helper unsendable.
function M.run(name)
	local f = _G[name]
	if type(f) ~= "function" then
		error("no test function " .. tostring(name))
	end
	f()
end

return M
