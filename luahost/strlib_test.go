package luahost

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/dlua/dlua/proc"
)

// downReason runs body in a process spawned with opts (Lua table fields)
// and returns the reason of its DOWN. The wait is bounded so that a
// process the limits do not stop fails the test instead of hanging it.
func downReason(t *testing.T, opts, body string) string {
	t.Helper()
	src := fmt.Sprintf(`
		local _, ref = proc.spawn_opt({ %s, monitor = true }, function() %s end)
		local m = receive(function(m)
			return type(m) == "table" and m.tag == "DOWN" and m.ref == ref
		end, 60)
		print(m and tostring(m.reason) or "no DOWN within 60 s")`, opts, body)
	r := runLua(t, src, setup{})
	r.mustOK(t)
	return strings.TrimSpace(r.Stdout)
}

// bombs are builtins' work that must end a process with a limit.
var instructionBombs = []struct{ name, body string }{
	{"pattern bomb (find)", `string.rep("a", 5000):find(".-.-.-.-.-b")`},
	{"pattern bomb (match)", `string.rep("a", 5000):match("(.-)(.-)(.-)(.-)(.-)b")`},
	{"pattern bomb (gmatch)", `for w in string.rep("a", 5000):gmatch(".-.-.-.-.-b") do end`},
	{"pattern bomb (gsub)", `string.rep("a", 5000):gsub(".-.-.-.-.-b", "")`},
	{"pattern bomb in pcall", `pcall(string.find, string.rep("a", 5000), ".-.-.-.-.-b")`},
	{"pattern bomb in a coroutine", `coroutine.wrap(function() string.rep("a", 5000):find(".-.-.-.-.-b") end)()`},
	{"big set", `string.rep("a", 1e6):find("[" .. string.rep("b", 1e4) .. "]")`},
	{"%b scan", `local s = string.rep("(", 1e6) for i = 1, 1e6 do s:find("%b()") end`},
	{"back reference", `string.rep("a", 1e5):find("(a*)%1b")`},
	{"gsub with a callback on a huge string", `string.rep("a", 1e7):gsub(".", function(c) return c end)`},
	{"table.sort with a comparator", `
		local t = {}
		for i = 1, 2e5 do t[i] = (i * 7919) % 1000003 end
		table.sort(t, function(a, b) return a < b end)`},
	{"table.sort of long equal strings", `
		local s, t = string.rep("x", 1e6), {}
		for i = 1, 5000 do t[i] = s end
		table.sort(t)`},
	{"string.rep giant", `string.rep("x", 1e9)`},
	{"string.rep giant in pcall", `pcall(string.rep, "x", 1e9) while true do end`},
	{"table.concat giant", `
		local s, t = string.rep("x", 1e4), {}
		for i = 1, 1e4 do t[i] = s end
		table.concat(t)`},
	{"format of long strings", `local s = string.rep("x", 1e6) for i = 1, 1000 do string.format("%s%s", s, s) end`},
	{"upper of a big string", `string.rep("a", 1e8):upper()`},
	{"plain find", `local s = string.rep("a", 1e7) for i = 1, 100 do s:find("b", 1, true) end`},
}

func TestBombInstructionLimit(t *testing.T) {
	for _, c := range instructionBombs {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := downReason(t, "max_instructions = 1000000", c.body); got != "instruction_limit" {
				t.Errorf("reason %q, want instruction_limit", got)
			}
		})
	}
}

var memoryBombs = []struct{ name, limit, body string }{
	{"string.rep(x, 1e9)", "1MiB", `string.rep("x", 1e9)`},
	{"string.rep(xy, 2^31-1)", "1MiB", `string.rep("xy", 2^31 - 1)`},
	{"string.rep in pcall", "1MiB", `pcall(string.rep, "x", 1e9) while true do end`},
	{"table.concat of 200 x 1MiB", "4MiB", `
		local s, t = string.rep("x", 2^20), {}
		for i = 1, 200 do t[i] = s end
		table.concat(t)`},
	{"format %s of a long string", "1MiB", `local s = string.rep("x", 600000) local r = string.format("%s%s", s, s)`},
	{"format %q", "1MiB", `local s = string.rep("\0", 300000) local r = string.format("%q", s)`},
	{"gsub doubling", "1MiB", `local s = "x" for i = 1, 40 do s = s:gsub(".", "%0%0") end`},
	{"gsub with a long replacement", "1MiB", `("x"):rep(1000):gsub("x", ("y"):rep(10000))`},
	{"upper", "1MiB", `local s = string.rep("a", 600000) local u = s:upper()`},
	{"reverse", "1MiB", `local s = string.rep("ab", 300000) local r = s:reverse()`},
	{"gsub with a table", "1MiB", `("x"):rep(1000):gsub("x", { x = ("y"):rep(10000) })`},
}

func TestBombMemoryLimit(t *testing.T) {
	for _, c := range memoryBombs {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := downReason(t, fmt.Sprintf("max_memory = %q", c.limit), c.body); got != "memory_limit" {
				t.Errorf("reason %q, want memory_limit", got)
			}
		})
	}
}

// TestBombKill checks that exit(pid, "kill") stops a process stuck in a
// builtin: the DOWN must come (the 10 s bound only keeps a failure from
// hanging the test).
func TestBombKill(t *testing.T) {
	for _, c := range []struct{ name, body string }{
		{"find", `string.rep("a", 5000):find(".-.-.-.-.-b")`},
		{"gsub", `string.rep("a", 5000):gsub(".-.-.-.-.-b", "x")`},
		{"gmatch", `for w in string.rep("a", 5000):gmatch(".-.-.-.-.-b") do end`},
		{"find in pcall", `pcall(string.find, string.rep("a", 5000), ".-.-.-.-.-b") while true do end`},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			src := fmt.Sprintf(`
				local pid, ref = proc.spawn_opt({ monitor = true }, function(parent)
					send(parent, "go")
					%s
					send(parent, "the bomb ended")
				end, self())
				assert(receive(function(m) return m == "go" end, 10) == "go", "the child did not start")
				receive(0.05) -- let it get into the bomb
				local t0 = os.clock()
				exit(pid, "kill")
				local m = receive(function(m)
					return type(m) == "table" and m.tag == "DOWN" and m.ref == ref
				end, 10)
				print(m and tostring(m.reason) or "no DOWN within 10 s")`, c.body)
			start := time.Now()
			r := runLua(t, src, setup{})
			r.mustOK(t)
			if got := strings.TrimSpace(r.Stdout); got != "killed" {
				t.Errorf("reason %q, want killed", got)
			}
			t.Logf("run with kill: %v", time.Since(start))
		})
	}
}

// TestStrlibWithoutLimits runs the bombs' code with small inputs in a
// process without limits: same results as plain Lua.
func TestStrlibWithoutLimits(t *testing.T) {
	r := runLua(t, `
		local function check(got, want, what)
			if got ~= want then error(what .. ": got " .. tostring(got) .. ", want " .. tostring(want), 2) end
		end
		check(string.rep("a", 20):find(".-.-.-.-.-b"), nil, "find")
		check(select("#", string.rep("a", 20):match("(.-)(.-)b")), 1, "match")
		check(string.rep("ab", 10):gsub("(a)(b)", "%2%1"), string.rep("ba", 10), "gsub")
		local n = 0
		local r = string.rep("abc", 100):gsub(".", function(c) n = n + 1 return c:upper() end)
		check(r, string.rep("ABC", 100), "gsub with a callback")
		check(n, 300, "callbacks")
		local t = {}
		for i = 1, 1000 do t[i] = (i * 7919) % 1009 end
		table.sort(t, function(a, b) return a > b end)
		for i = 2, #t do assert(t[i - 1] >= t[i], "sorted") end
		check(#string.rep("x", 1e6), 1e6, "rep")
		local pieces = {}
		for i = 1, 200 do pieces[i] = string.rep("y", 1000) end
		check(#table.concat(pieces, ","), 200 * 1000 + 199, "concat")
		check(#string.format(("%99d"):rep(8), 1, 2, 3, 4, 5, 6, 7, 8), 8 * 99, "format widths")
		local s = "x"
		for i = 1, 10 do s = s:gsub(".", "%0%0") end
		check(#s, 1024, "gsub doubling")
		check(("abc"):rep(3):upper(), "ABCABCABC", "upper")
		-- results too large for any process are refused, and the process goes on
		local ok, err = pcall(string.rep, "xx", 2^30)
		check(ok, false, "rep of 2 GiB")
		assert(err:find("resulting string too large"), err)
		check(string.rep("x", 2^32 + 1), "x", "rep's count is a C int, as in Lua 5.1")
		ok, err = pcall(string.format, "%100d", 1)
		assert(not ok and err:find("invalid format (width or precision too long)", 1, true), tostring(err))
		ok, err = pcall(string.find, "x", string.rep("a", 2^24) .. ".")
		assert(not ok and err:find("pattern too long"), tostring(err))
		print("ok")`, setup{})
	r.mustOK(t)
	if got := strings.TrimSpace(r.Stdout); got != "ok" {
		t.Errorf("stdout %q", got)
	}
}

// TestStrlibCharges checks that builtins charge the budget in proportion
// to their work, as proc.info().instructions shows.
func TestStrlibCharges(t *testing.T) {
	r := runLua(t, `
		local big = string.rep("a", 64e5) -- 1e5 instructions
		local t, nums = {}, {}
		for i = 1, 1000 do t[i] = string.rep("b", 6400) end
		for i = 1, 10000 do nums[i] = (i * 7919) % 10007 end
		local cases = {
			{ "rep", 1e5, function() string.rep("x", 64e5) end },
			{ "upper", 1e5, function() big:upper() end },
			{ "reverse", 1e5, function() big:reverse() end },
			{ "concat", 1e5, function() table.concat(t) end },
			{ "format", 1e5, function() string.format("%s", big) end },
			{ "sort", 1e5, function() table.sort(nums) end },
			{ "gsub", 1e5, function() big:sub(1, 1e5):gsub(".", "x") end },
			{ "find", 5e5, function() string.rep("a", 50):find(".-.-.-b") end },
			{ "plain find", 1e5, function() big:find("b", 1, true) end },
			{ "insert at the front", 1e5, function()
				local a = {}
				for i = 1, 2000 do a[i] = i end
				for i = 1, 1000 do table.insert(a, 1, i) end
			end },
		}
		local failed = {}
		for _, c in ipairs(cases) do
			local before = proc.info().instructions
			c[3]()
			local used = proc.info().instructions - before
			print(c[1], used)
			if used < c[2] then
				failed[#failed + 1] = c[1] .. ": " .. used .. " < " .. c[2]
			end
		end
		if #failed > 0 then
			error(table.concat(failed, "; "))
		end`, setup{})
	r.mustOK(t)
	t.Logf("instructions charged:\n%s", r.Stdout)
}

// stringHeavy is the string-heavy script of BenchmarkStringHeavy: N
// rounds of format, find, gsub (with a callback) and gmatch.
const stringHeavy = `
	local n = tonumber((arg or {})[1] or N)
	local words = {}
	for i = 1, 40 do words[i] = "word" .. i end
	local text = table.concat(words, " ")
	local count = 0
	for i = 1, n do
		local s = string.format("%s-%d-%5.2f", "item", i, i / 3)
		local a = text:find("word(%d+)", (i % 40) + 1)
		local r = text:gsub("%w+", string.upper)
		for w in text:gmatch("%a+") do count = count + 1 end
		count = count + #s + #r + (a or 0)
	end`

// BenchmarkStringHeavy compares the string-heavy script under plain
// gopher-lua (its own string library, no budget), and under dlua without
// and with limits.
func BenchmarkStringHeavy(b *testing.B) {
	b.Run("gopher-lua", func(b *testing.B) {
		L := lua.NewState()
		defer L.Close()
		L.SetGlobal("N", lua.LNumber(b.N))
		fn, err := L.LoadString(stringHeavy)
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		L.Push(fn)
		if err := L.PCall(0, 0, nil); err != nil {
			b.Fatal(err)
		}
	})
	for _, c := range []struct {
		name   string
		limits Limits
	}{
		{"dlua", Limits{}},
		{"dlua-limits", Limits{MaxInstructions: 1 << 50, MaxMemory: 1 << 30}},
	} {
		b.Run(c.name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "bench.lua")
			if err := os.WriteFile(path, []byte(stringHeavy), 0o644); err != nil {
				b.Fatal(err)
			}
			node := proc.NewNode(proc.Config{})
			h := New(Config{Node: node, Stdout: io.Discard, Stderr: os.Stderr, Limits: c.limits})
			b.ResetTimer()
			if err := h.RunScript(context.Background(), path, []string{strconv.Itoa(b.N)}); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := node.Shutdown(ctx, proc.Killed); err != nil {
				b.Fatal(err)
			}
		})
	}
}
