package luahost

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/dlua/dlua/proc"
)

// manyProcs spawns arg[1] processes of five kinds that message the root and
// each other and end in every way: returning, an error that travels through
// a link, exit with a reason after using a registered name, and two kinds
// that are still alive when the root ends (blocked in receive, or spinning)
// and are left for Shutdown.
const manyProcs = `
local n = tonumber(arg[1])
local root = self()
local kinds = {
	function(i) -- returns
		send(root, {i = i})
	end,
	function(i) -- dies of an error; its linked partner dies with it
		spawn_link(function() receive() end)
		send(root, {i = i})
		error("planned " .. i)
	end,
	function(i) -- talks to itself by name, then exits with a reason
		local name = tostring(root) .. "w" .. i -- unique on a shared node
		proc.register(name)
		send(name, {i = i, via = "name"})
		local m = receive({via = "name"})
		send(root, {i = m.i})
		exit({code = i})
	end,
	function(i) -- waits forever, watching the root
		monitor(root)
		send(root, {i = i})
		receive(function() return false end)
	end,
	function(i) -- returns, or (a few) spins once told to, until Shutdown
		if i % 100 == 4 then
			send(root, {i = i, spinner = self()})
			receive()
			while true do end
		end
		send(root, {i = i})
	end,
}
local ending, watchers = 0, {}
for i = 1, n do
	local k = i % #kinds + 1
	local _, ref = spawn_monitor(kinds[k], i)
	watchers[ref] = i
	if k <= 3 or (k == 5 and i % 100 ~= 4) then ending = ending + 1 end
end
-- every process reports once; those that end by themselves report DOWN
local got, count, downs, spinners = {}, 0, 0, {}
while count < n or downs < ending do
	local m = receive()
	if m.tag == "DOWN" then
		if watchers[m.ref] == nil then error("unknown or repeated DOWN") end
		watchers[m.ref] = nil
		downs = downs + 1
	else
		if got[m.i] then error("duplicate message from " .. m.i) end
		got[m.i], count = true, count + 1
		if m.spinner then spinners[#spinners + 1] = m.spinner end
	end
end
if downs ~= ending then error(downs .. " DOWN messages, want " .. ending) end
for _, pid in ipairs(spinners) do send(pid, "spin") end
print("done", n, ending, #spinners)
`

// TestManyProcesses: thousands of processes spawning, messaging and dying
// concurrently leave no process behind after Shutdown.
func TestManyProcesses(t *testing.T) {
	const n = 2000
	r := runLua(t, manyProcs, setup{Args: []string{strconv.Itoa(n)}})
	r.mustOK(t)
	if !strings.HasPrefix(r.Stdout, "done\t2000\t") {
		t.Errorf("stdout %q", r.Stdout)
	}
}

// TestConcurrentScripts runs several root scripts at once on one Host and
// node, some sharing a path (and so a compiled prototype), and checks that
// the node is empty after Shutdown.
func TestConcurrentScripts(t *testing.T) {
	dir := t.TempDir()
	paths := []string{
		writeFile(t, dir, "a.lua", manyProcs),
		writeFile(t, dir, "b.lua", manyProcs),
		writeFile(t, dir, "lib.lua", `
			-- every process touches the libraries in its own way
			local parent, n = self(), tonumber(arg[1])
			for i = 1, n do
				spawn(function()
					string.mine = i
					local t = {}
					for k in pairs(string) do t[#t + 1] = k end
					table.sort(t)
					if i % 2 == 0 then print = nil end
					setmetatable(_G, {__index = function(_, k) return "strict " .. k end})
					send(parent, {i = i, n = #t, s = ("x"):rep(2), mine = string.mine, g = undefined_global})
				end)
			end
			for _ = 1, n do
				local m = receive()
				if m.mine ~= m.i or m.s ~= "xx" or m.g ~= "strict undefined_global" then
					error("process " .. m.i .. " saw another's libraries")
				end
			end
			if string.mine ~= nil then error("root saw a child's string") end`),
	}
	node := proc.NewNode(proc.Config{})
	var out bytes.Buffer
	h := New(Config{Node: node, Stdout: &out, Stderr: io.Discard, Stdin: strings.NewReader("")})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		path := paths[i%len(paths)]
		wg.Go(func() {
			if err := h.RunScript(t.Context(), path, []string{"200"}); err != nil {
				var ee *ExitError
				if errors.As(err, &ee) {
					err = fmt.Errorf("%s: %s\n%s", path, FormatValue(ee.Reason), ee.Traceback)
				}
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := node.Shutdown(t.Context(), proc.Killed); err != nil {
		t.Fatal(err)
	}
	if n := node.Count(); n != 0 {
		t.Errorf("%d processes left after Shutdown", n)
	}
	h.Flush()
	if got := strings.Count(out.String(), "done\t200\t"); got != 6 {
		t.Errorf("%d scripts printed done, want 6:\n%s", got, out.String())
	}
}

// TestShutdownStopsEverything: Shutdown ends processes that spin, wait,
// sleep or sit in coroutines, while the root is still running.
func TestShutdownStopsEverything(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "main.lua", `
		local parent = self()
		local bodies = {
			function() while true do end end,
			function() receive() end,
			function() proc.sleep(3600) end,
			function() coroutine.wrap(function() while true do end end)() end,
			function() while true do pcall(function() while true do end end) end end,
			function() receive(function() return false end) end,
		}
		-- every process starts and waits, so that the spinning ones do not
		-- slow the others down; then all go at once
		local pids = {}
		for i = 1, 60 do
			local body = bodies[i % #bodies + 1]
			pids[i] = spawn(function() send(parent, "started") receive() body() end)
		end
		for i = 1, 60 do receive() end
		for i = 1, 60 do send(pids[i], "go") end
		print("all started")
		io.stdout:flush()
		receive()`)
	node := proc.NewNode(proc.Config{})
	started := make(chan struct{})
	w := &lineWatcher{want: "all started\n", seen: started}
	h := New(Config{Node: node, Stdout: w, Stderr: io.Discard})
	done := make(chan error, 1)
	go func() { done <- h.RunScript(t.Context(), path, nil) }()
	<-started
	if err := node.Shutdown(t.Context(), proc.Shutdown); err != nil {
		t.Fatal(err)
	}
	err := <-done
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Reason != proc.Shutdown {
		t.Errorf("RunScript: %v, want the root to end with %q", err, proc.Shutdown)
	}
	if n := node.Count(); n != 0 {
		t.Errorf("%d processes left after Shutdown", n)
	}
}

// lineWatcher closes seen once want has been written.
type lineWatcher struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
	once sync.Once
}

func (w *lineWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}
