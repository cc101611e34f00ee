package tests

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// clusterBound limits every wait of the cluster tests. It guards against
// a hang; it is not an assertion on speed.
const clusterBound = 30 * time.Second

// echoBoot registers "echo", which answers {from=pid, n=N} with
// {tag="reply", n=N, node=..., pid=its pid}; with fn (a function), n is
// fn(N).
const echoBoot = `
proc.register("echo", spawn(function()
  while true do
    local m = receive()
    local n = m.n
    if m.fn then n = m.fn(n) end
    send(m.from, {tag = "reply", n = n, node = proc.node(), pid = self()})
  end
end))
`

// waitNodes is Lua that checks that proc.nodes() lists every node of
// want: a script of a node started with --join runs once the cluster's
// nodes are connected, so there is nothing to wait for.
const waitNodes = `
local function wait_nodes(want)
  local seen = {}
  for _, n in ipairs(proc.nodes()) do seen[n] = true end
  for _, n in ipairs(want) do
    assert(seen[n], "node " .. n .. " not connected when the script started: have " .. table.concat(proc.nodes(), ","))
  end
end
`

// dluaProc is a dlua process whose output lines the test reads as they
// come.
type dluaProc struct {
	cmd    *exec.Cmd
	lines  chan string // stdout
	errs   chan string // stderr
	mu     sync.Mutex
	output strings.Builder // both, for failure reports
	done   chan struct{}   // closed when the process has been waited for
	status int
}

// start starts dlua with args; the process is killed when the test ends
// if it is still running.
func start(t *testing.T, args ...string) *dluaProc {
	t.Helper()
	cmd := exec.Command(dlua, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &dluaProc{cmd: cmd, lines: make(chan string, 1000), errs: make(chan string, 1000), done: make(chan struct{})}
	var readers sync.WaitGroup
	readers.Add(2)
	go p.read(&readers, stdout, p.lines, "")
	go p.read(&readers, stderr, p.errs, "stderr: ")
	go func() {
		readers.Wait()
		err := cmd.Wait()
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			p.status = exitErr.ExitCode()
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func (p *dluaProc) read(wg *sync.WaitGroup, r io.Reader, ch chan string, prefix string) {
	defer wg.Done()
	defer close(ch)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		p.mu.Lock()
		p.output.WriteString(prefix + sc.Text() + "\n")
		p.mu.Unlock()
		select {
		case ch <- sc.Text():
		default: // nobody reads this far; the output keeps it
		}
	}
}

func (p *dluaProc) text() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.output.String()
}

// waitLine waits for a line of ch that starts with prefix and returns the
// rest of it.
func (p *dluaProc) waitLine(t *testing.T, ch chan string, prefix string) string {
	t.Helper()
	timer := time.NewTimer(clusterBound)
	defer timer.Stop()
	for {
		select {
		case line, ok := <-ch:
			if !ok {
				<-p.done
				t.Fatalf("dlua ended (status %d) before printing %q:\n%s", p.status, prefix, p.text())
			}
			if rest, ok := strings.CutPrefix(line, prefix); ok {
				return rest
			}
		case <-timer.C:
			t.Fatalf("no line %q within %v:\n%s", prefix, clusterBound, p.text())
		}
	}
}

// waitContains waits for a line of ch that contains s and returns it.
func (p *dluaProc) waitContains(t *testing.T, ch chan string, s string) string {
	t.Helper()
	timer := time.NewTimer(clusterBound)
	defer timer.Stop()
	for {
		select {
		case line, ok := <-ch:
			if !ok {
				<-p.done
				t.Fatalf("dlua ended (status %d) before printing %q:\n%s", p.status, s, p.text())
			}
			if strings.Contains(line, s) {
				return line
			}
		case <-timer.C:
			t.Fatalf("no line with %q within %v:\n%s", s, clusterBound, p.text())
		}
	}
}

// wait waits for the process to end and returns its exit status.
func (p *dluaProc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
		return p.status
	case <-time.After(clusterBound):
		t.Fatalf("dlua did not end within %v:\n%s", clusterBound, p.text())
		return -1
	}
}

// stop sends SIGTERM and checks that the node stops cleanly.
func (p *dluaProc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	if s := p.wait(t); s != 0 {
		t.Errorf("node ended with status %d after SIGTERM, want 0:\n%s", s, p.text())
	}
}

// cluster is the files the tests share: a cookie and scripts.
type cluster struct {
	dir, cookie string
}

func newCluster(t *testing.T) *cluster {
	dir := t.TempDir()
	c := &cluster{dir: dir, cookie: filepath.Join(dir, "cookie")}
	if err := os.WriteFile(c.cookie, []byte("e2e cluster cookie, 32 bytes...\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *cluster) file(t *testing.T, name, text string) string {
	path := filepath.Join(c.dir, name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// node starts `dlua node` named name and returns it with its address.
func (c *cluster) node(t *testing.T, name string, args ...string) (*dluaProc, string) {
	t.Helper()
	all := append([]string{"node", "--name", name, "--listen", "127.0.0.1:0", "--cookie-file", c.cookie}, args...)
	p := start(t, all...)
	addr := p.waitLine(t, p.errs, "listening on ")
	return p, addr
}

func TestClusterSendByName(t *testing.T) {
	c := newCluster(t)
	boot := c.file(t, "boot.lua", echoBoot)
	a, addrA := c.node(t, "a", boot)
	b, addrB := c.node(t, "b", "--join", addrA, boot)
	_, addrC := c.node(t, "c", "--join", addrB)
	// The client joins c and learns a and b from it (full mesh).
	client := c.file(t, "client.lua", waitNodes+`
print("node", proc.node())
wait_nodes({"a", "b", "c"})
for i, node in ipairs({"a", "b"}) do
  send({"echo", node}, {from = self(), n = i})
  local m = receive(10)
  assert(m, "no answer from " .. node)
  print("reply", m.n, m.node, proc.info(m.pid) == nil)
end
local k = 40
send({"echo", "b"}, {from = self(), n = 2, fn = function(x) return x + k end})
print("closure", receive(10).n)
-- a function of a loadstring chunk travels as its source too
send({"echo", "b"}, {from = self(), n = 3, fn = loadstring("local m = ... return function(x) return x * m end")(100)})
print("loadstring", receive(10).n)
send({"nobody", "a"}, "lost")      -- silent
send({"echo", "nowhere"}, "lost")  -- silent
`)
	r := start(t, "run", "--name", "cli", "--join", addrC, "--cookie-file", c.cookie, client)
	if s := r.wait(t); s != 0 {
		t.Fatalf("client ended with status %d:\n%s", s, r.text())
	}
	for _, want := range []string{"node\tcli\n", "reply\t1\ta\ttrue\n", "reply\t2\tb\ttrue\n", "closure\t42\n", "loadstring\t300\n"} {
		if !strings.Contains(r.text(), want) {
			t.Errorf("client output lacks %q:\n%s", want, r.text())
		}
	}
	b.stop(t)
	a.stop(t)
}

func TestClusterKilledNode(t *testing.T) {
	c := newCluster(t)
	boot := c.file(t, "boot.lua", echoBoot)
	a, addrA := c.node(t, "a", "--idle-timeout", "2s", boot)
	client := c.file(t, "client.lua", waitNodes+`
wait_nodes({"a"})
send({"echo", "a"}, {from = self(), n = 1})
local m = receive(10)
assert(m and m.tag == "reply", "no answer from a")
local ref = monitor(m.pid)
proc.monitor_node("a")
print("monitoring")
local down = receive(function(m) return type(m) == "table" and m.tag == "DOWN" end, 60)
assert(down, "no DOWN")
print("DOWN", down.reason, down.ref == ref, down.pid == m.pid)
local nd = receive(function(m) return type(m) == "table" and m.tag == "nodedown" end, 60)
assert(nd, "no nodedown")
print("nodedown", nd.node, #proc.nodes())
`)
	r := start(t, "run", "--name", "cli", "--join", addrA, "--idle-timeout", "2s", "--cookie-file", c.cookie, client)
	r.waitLine(t, r.lines, "monitoring")
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if s := r.wait(t); s != 0 {
		t.Fatalf("client ended with status %d:\n%s", s, r.text())
	}
	for _, want := range []string{"DOWN\tnoconnection\ttrue\ttrue\n", "nodedown\ta\t0\n"} {
		if !strings.Contains(r.text(), want) {
			t.Errorf("client output lacks %q:\n%s", want, r.text())
		}
	}
}

func TestClusterWrongCookie(t *testing.T) {
	c := newCluster(t)
	a, addrA := c.node(t, "a")
	bad := c.file(t, "bad.cookie", "another cookie, also 32 bytes...")
	script := c.file(t, "nodes.lua", `print("nodes", #proc.nodes())`)
	r := start(t, "run", "--name", "intruder", "--join", addrA, "--cookie-file", bad, script)
	if s := r.wait(t); s != 1 {
		t.Errorf("status %d, want 1:\n%s", s, r.text())
	}
	out := r.text()
	if strings.Count(out, "\n") != 1 || !strings.Contains(out, "stderr: dlua run: join "+addrA) {
		t.Errorf("want one line of stderr about the join, got:\n%s", out)
	}
	// The node refused it and goes on: a good node still joins.
	a.waitLine(t, a.errs, "time=")
	if !strings.Contains(a.text(), "peer refused") {
		t.Errorf("node a did not log the refusal:\n%s", a.text())
	}
	good := start(t, "run", "--name", "friend", "--join", addrA, "--cookie-file", c.cookie, script)
	if s := good.wait(t); s != 0 || !strings.Contains(good.text(), "nodes\t1\n") {
		t.Errorf("a good node after the intruder: status %d:\n%s", s, good.text())
	}
	a.stop(t)
}

func TestClusterUsage(t *testing.T) {
	c := newCluster(t)
	short := c.file(t, "short.cookie", "too short\n")
	script := c.file(t, "s.lua", `print(1)`)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"short cookie", []string{"node", "--name", "a", "--cookie-file", short}, "holds 9 bytes, need at least 16"},
		{"missing cookie file", []string{"node", "--name", "a", "--cookie-file", filepath.Join(c.dir, "nope")}, "no such file"},
		{"no cookie", []string{"node", "--name", "a"}, "missing --cookie-file"},
		{"no name", []string{"node", "--cookie-file", c.cookie}, "missing --name"},
		{"run short cookie", []string{"run", "--name", "a", "--cookie-file", short, script}, "need at least 16"},
		{"run no cookie", []string{"run", "--listen", "127.0.0.1:0", script}, "missing --cookie-file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, tt.args...)
			if r.status != 2 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("status %d, stderr %q; want 2 and one line with %q", r.status, r.stderr, tt.want)
			}
		})
	}
}

// TestClusterRemoteSpawn spawns on another node: a closure with upvalues,
// a "module.function" from that node's boot folder, a monitored crash and
// an unknown node.
func TestClusterRemoteSpawn(t *testing.T) {
	c := newCluster(t)
	if err := os.Mkdir(filepath.Join(c.dir, "bnode"), 0o700); err != nil {
		t.Fatal(err)
	}
	bootB := c.file(t, "bnode/boot.lua", "-- b boots with nothing to do\n")
	c.file(t, "bnode/worker.lua", `
local M = {}
function M.hello(to, x) send(to, {tag = "worker", node = proc.node(), x = x}) end
return M
`)
	b, addrB := c.node(t, "b", bootB)
	client := c.file(t, "client.lua", waitNodes+`
wait_nodes({"b"})
local me = self()
local up = {items = {"x", "y"}, n = 3}
local pid = proc.spawn_opt({node = "b"}, function(extra)
  send(me, {tag = "closure", node = proc.node(), s = table.concat(up.items, ",") .. up.n .. extra})
end, "!")
assert(pid ~= nil)
up.n = 99 -- copied by value: the child does not see this
local m = receive(function(m) return m.tag == "closure" end, 10)
assert(m, "no answer from the closure")
print("closure", m.node, m.s)

proc.spawn_opt({node = "b"}, "worker.hello", me, 7)
m = receive(function(m) return m.tag == "worker" end, 10)
assert(m, "no answer from worker.hello")
print("module", m.node, m.x)

local cpid, ref = proc.spawn_opt({node = "b", monitor = true}, function() error("boom") end)
local d = receive(function(m) return m.tag == "DOWN" end, 10)
assert(d, "no DOWN")
print("DOWN", d.ref == ref, d.pid == cpid, tostring(d.reason):find("boom", 1, true) ~= nil)

proc.trap_exit(true)
local lpid = proc.spawn_opt({node = "b", link = true}, function() error("linked") end)
local x = receive(function(m) return m.tag == "EXIT" end, 10)
assert(x, "no EXIT")
print("EXIT", x.from == lpid, tostring(x.reason):find("linked", 1, true) ~= nil)

local ok, err = pcall(proc.spawn_opt, {node = "nowhere"}, function() end)
print("unknown", ok, err)
`)
	r := start(t, "run", "--name", "cli", "--join", addrB, "--cookie-file", c.cookie, client)
	if s := r.wait(t); s != 0 {
		t.Fatalf("client ended with status %d:\n%s", s, r.text())
	}
	for _, want := range []string{"closure\tb\tx,y3!\n", "module\tb\t7\n", "DOWN\ttrue\ttrue\ttrue\n", "EXIT\ttrue\ttrue\n", "node nowhere is not connected"} {
		if !strings.Contains(r.text(), want) {
			t.Errorf("client output lacks %q:\n%s", want, r.text())
		}
	}
	b.stop(t)
}

// TestClusterGlobalNames: a process on b holds a global name; a node a
// that joins later (and, sorting first, becomes the arbiter) learns it,
// finds it with proc.global.whereis and sends to it; once it exits the
// name is gone on a too.
func TestClusterGlobalNames(t *testing.T) {
	c := newCluster(t)
	boot := c.file(t, "boot.lua", `
spawn(function()
  assert(proc.global.register("gsvc", self()) == true)
  while true do
    local m = receive()
    if m == "stop" then return end
    send(m.from, {n = m.n, node = proc.node()})
  end
end)
`)
	b, addrB := c.node(t, "b", boot)
	client := c.file(t, "client.lua", waitNodes+`
wait_nodes({"b"})
local function poll(want)
  for _ = 1, 200 do
    local pid = proc.global.whereis("gsvc")
    if (pid ~= nil) == want then return pid end
    receive(0.05)
  end
  error("gsvc: whereis never became " .. tostring(want))
end
local pid = poll(true)
send(pid, {from = self(), n = 7})
local m = receive(10)
assert(m, "no reply")
print("reply", m.n, m.node)
assert(proc.global.register("gsvc", self()) == false, "taken")
send(pid, "stop")
poll(false)
print("freed")
assert(proc.global.register("gsvc", self()) == true)
print("mine", proc.global.whereis("gsvc") == self())
`)
	r := start(t, "run", "--name", "a", "--join", addrB, "--cookie-file", c.cookie, client)
	if s := r.wait(t); s != 0 {
		t.Fatalf("client ended with status %d:\n%s", s, r.text())
	}
	for _, want := range []string{"reply\t7\tb\n", "freed\n", "mine\ttrue\n"} {
		if !strings.Contains(r.text(), want) {
			t.Errorf("client output lacks %q:\n%s", want, r.text())
		}
	}
	b.stop(t)
}

// streamBoot registers "streamer" (node a): it waits for a hello from a
// process of another node, links to and monitors it, and streams data to
// it while reading its data, until both DOWN and EXIT of it have come.
const streamBoot = `
proc.register("streamer", spawn(function()
  proc.trap_exit(true)
  local hello = receive(function(m) return type(m) == "table" and m.tag == "hello" end)
  local peer = hello.pid
  link(peer)
  local ref = monitor(peer)
  local pad = string.rep("a", 200)
  local got, i, down, exit = 0, 0, nil, nil
  while not (down and exit) do
    i = i + 1
    send(peer, {tag = "data", n = i, from = self(), pad = pad})
    local m = receive(0)
    while m ~= nil do
      if type(m) == "table" then
        if m.tag == "data" then
          got = got + 1
          if got == 200 then print("streaming") end
        elseif m.tag == "DOWN" and m.ref == ref then
          down = m.reason
          print("DOWN", m.reason)
        elseif m.tag == "EXIT" and m.from == peer then
          exit = m.reason
          print("EXIT", m.reason)
        end
      end
      m = receive(0)
    end
    if i % 20 == 0 then proc.sleep(0.001) end
  end
  print("streamer done", got > 0)
end))
`

// Node b is killed (-9) while it and node a stream messages to each other
// over a link and a monitor: a's process gets DOWN and EXIT noconnection
// within the idle timeout, and a goes on serving (a new node joins it and
// talks to it).
func TestClusterKilledNodeMidTraffic(t *testing.T) {
	c := newCluster(t)
	bootA := c.file(t, "boot_a.lua", echoBoot+streamBoot)
	a, addrA := c.node(t, "a", "--idle-timeout", "2s", bootA)
	bootB := c.file(t, "boot_b.lua", waitNodes+`
wait_nodes({"a"})
proc.trap_exit(true)
send({"streamer", "a"}, {tag = "hello", pid = self()})
local first = receive(function(m) return type(m) == "table" and m.tag == "data" end, 10)
assert(first, "no data from a")
local peer = first.from
link(peer)
monitor(peer)
local pad = string.rep("b", 200)
local i = 0
while true do
  i = i + 1
  send(peer, {tag = "data", n = i, from = self(), pad = pad})
  local m = receive(0)
  while m ~= nil do m = receive(0) end
  if i % 20 == 0 then proc.sleep(0.001) end
end
`)
	b, _ := c.node(t, "b", "--idle-timeout", "2s", "--join", addrA, bootB)
	a.waitLine(t, a.lines, "streaming")
	if err := b.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for range 2 {
		line := a.waitLine(t, a.lines, "")
		got[line] = true
	}
	for _, want := range []string{"DOWN\tnoconnection", "EXIT\tnoconnection"} {
		if !got[want] {
			t.Errorf("node a printed %v, want %q:\n%s", got, want, a.text())
		}
	}
	// It was the idle timeout that noticed the killed node: a's warning
	// names b and the transport's idle timeout.
	down := a.waitContains(t, a.errs, `msg="node down"`)
	if !strings.Contains(down, "peer=b") || !strings.Contains(down, "no recent network activity") {
		t.Errorf("node a logged %q, want b down by the idle timeout", down)
	}
	a.waitLine(t, a.lines, "streamer done")
	b.wait(t)

	// a goes on serving: a new node joins it and exchanges a message
	client := c.file(t, "client.lua", waitNodes+`
wait_nodes({"a"})
send({"echo", "a"}, {from = self(), n = 7})
local m = receive(10)
assert(m and m.tag == "reply", "no answer from a")
print("reply", m.n, m.node)
`)
	r := start(t, "run", "--name", "c", "--join", addrA, "--idle-timeout", "2s", "--cookie-file", c.cookie, client)
	if s := r.wait(t); s != 0 {
		t.Fatalf("node c ended with status %d:\n%s", s, r.text())
	}
	if !strings.Contains(r.text(), "reply\t7\ta\n") {
		t.Errorf("node c output lacks the reply:\n%s", r.text())
	}
	a.stop(t)
}

// TestClusterJoinWaits: a script or boot file of a node started with
// --join runs once the node is connected to the nodes the joined node
// knew of: its first proc.nodes() lists them all, with no wait of its own.
func TestClusterJoinWaits(t *testing.T) {
	c := newCluster(t)
	boot := c.file(t, "boot.lua", echoBoot)
	_, addrA := c.node(t, "a", boot)
	b, addrB := c.node(t, "b", "--join", addrA, boot)
	first := c.file(t, "first.lua", `print("nodes", table.concat(proc.nodes(), ","))
send({"echo", "b"}, {from = self(), n = 1})
print("reply", receive(10).node)`)
	_ = b
	node := start(t, "node", "--name", "c", "--listen", "127.0.0.1:0", "--cookie-file", c.cookie, "--join", addrA, first)
	if got := node.waitLine(t, node.lines, "nodes\t"); got != "a,b" {
		t.Errorf("dlua node --join: the boot file's first proc.nodes() = %q, want a,b", got)
	}
	if got := node.waitLine(t, node.lines, "reply\t"); got != "b" {
		t.Errorf("dlua node --join: reply from %q", got)
	}
	r := start(t, "run", "--name", "d", "--join", addrB, "--cookie-file", c.cookie, first)
	if s := r.wait(t); s != 0 || !strings.Contains(r.text(), "nodes\ta,b,c\n") {
		t.Errorf("dlua run --join: status %d, want the first proc.nodes() to be a,b,c:\n%s", s, r.text())
	}
	for _, p := range []*dluaProc{node, r} {
		if strings.Contains(p.text(), "level=WARN") {
			t.Errorf("joining warned:\n%s", p.text())
		}
	}
	node.stop(t)
}

// TestClusterBigMessages: messages of 20 and 64 MiB cross between two
// nodes; one bigger than the receiving node's processes may hold raises
// in the sender, and nothing is lost without a word.
func TestClusterBigMessages(t *testing.T) {
	c := newCluster(t)
	boot := c.file(t, "boot.lua", `
proc.register("size", spawn(function()
  while true do
    local m = receive()
    send(m.from, {n = #m.s, last = m.s:sub(-1), node = proc.node()})
  end
end))
`)
	_, addrA := c.node(t, "a", boot)
	_, addrB := c.node(t, "b", "--join", addrA, "--max-memory", "16MiB", boot)
	client := c.file(t, "client.lua", `
for _, mib in ipairs({20, 64}) do
  local s = string.rep("x", mib * 1048576 - 1) .. "!"
  send({"size", "a"}, {from = self(), s = s})
  local m = receive(60)
  assert(m, "no answer for " .. mib .. " MiB")
  print("size", m.node, m.n / 1048576, m.last)
end
local ok, err = pcall(send, {"size", "b"}, {from = self(), s = string.rep("y", 20 * 1048576)})
print("too big", ok, (tostring(err):gsub("^.-send: ", "")))
send({"size", "b"}, {from = self(), s = "small"})
print("small", receive(10).n)
`)
	r := start(t, "run", "--name", "cli", "--join", addrB, "--cookie-file", c.cookie, client)
	if s := r.wait(t); s != 0 {
		t.Fatalf("client ended with status %d:\n%s", s, r.text())
	}
	for _, want := range []string{"size\ta\t20\t!\n", "size\ta\t64\t!\n", "too big\tfalse\t", "takes at most 16777216", "small\t5\n"} {
		if !strings.Contains(r.text(), want) {
			t.Errorf("client output lacks %q:\n%s", want, r.text())
		}
	}
}
