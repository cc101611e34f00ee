package luahost

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/dlua/dlua/proc"
)

// runBench runs src as a root script with args and fails b on an error.
func runBench(b *testing.B, src string, args ...string) {
	b.Helper()
	path := filepath.Join(b.TempDir(), "bench.lua")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		b.Fatal(err)
	}
	node := proc.NewNode(proc.Config{})
	h := New(Config{Node: node, Stdout: io.Discard, Stderr: os.Stderr})
	b.ResetTimer()
	if err := h.RunScript(context.Background(), path, args); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := node.Shutdown(ctx, proc.Killed); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSpawnExit: processes that start, tell the parent, and end.
func BenchmarkSpawnExit(b *testing.B) {
	runBench(b, `
		local n, parent = tonumber(arg[1]), self()
		local child = function(p) send(p, true) end
		for i = 1, n do spawn(child, parent) end
		for i = 1, n do receive() end`, strconv.Itoa(b.N))
}

// BenchmarkSpawnBlocked: processes that start, tell the parent, and wait.
func BenchmarkSpawnBlocked(b *testing.B) {
	runBench(b, `
		local n, parent = tonumber(arg[1]), self()
		local child = function(p) send(p, true) receive() end
		for i = 1, n do spawn(child, parent) end
		for i = 1, n do receive() end`, strconv.Itoa(b.N))
}

// BenchmarkPingPong: one round trip between two processes per op.
func BenchmarkPingPong(b *testing.B) {
	runBench(b, `
		local n, me = tonumber(arg[1]), self()
		local pong = spawn(function()
			while true do local m = receive() send(m, "pong") end
		end)
		for i = 1, n do send(pong, me) receive() end`, strconv.Itoa(b.N))
}

// BenchmarkPingPongTable: the same with a table message each way.
func BenchmarkPingPongTable(b *testing.B) {
	runBench(b, `
		local n, me = tonumber(arg[1]), self()
		local pong = spawn(function()
			while true do local m = receive() send(m.from, {tag = "pong", n = m.n}) end
		end)
		for i = 1, n do send(pong, {tag = "ping", from = me, n = i}) receive() end`, strconv.Itoa(b.N))
}

// BenchmarkRing: one hop of a token around a ring of 1000 processes per op.
func BenchmarkRing(b *testing.B) {
	runBench(b, `
		local hops, root = tonumber(arg[1]), self()
		local function member()
			local nxt = receive()
			while true do
				local n = receive()
				if n == 0 then send(root, "done") else send(nxt, n - 1) end
			end
		end
		local first = spawn(member)
		local prev = first
		for i = 2, 1000 do local p = spawn(member) send(prev, p) prev = p end
		send(prev, first)
		send(first, hops)
		receive()`, strconv.Itoa(b.N))
}

// BenchmarkIdleMemory reports the bytes each idle process (blocked in
// receive) holds: Go heap and goroutine stacks after a full collection.
func BenchmarkIdleMemory(b *testing.B) {
	const n = 100000
	for range b.N {
		path := filepath.Join(b.TempDir(), "idle.lua")
		src := `
			local n, parent = tonumber(arg[1]), self()
			local child = function(p) send(p, true) receive() end
			for i = 1, n do spawn(child, parent) end
			for i = 1, n do receive() end
			receive() -- until killed`
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			b.Fatal(err)
		}
		node := proc.NewNode(proc.Config{})
		h := New(Config{Node: node, Stdout: io.Discard, Stderr: os.Stderr})
		before := inUse()
		done := make(chan error, 1)
		go func() { done <- h.RunScript(context.Background(), path, []string{strconv.Itoa(n)}) }()
		for node.Count() < n+1 || waiting(node) < n+1 {
			time.Sleep(10 * time.Millisecond)
		}
		after := inUse()
		b.ReportMetric(float64(after-before)/n, "bytes/process")
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if err := node.Shutdown(ctx, proc.Killed); err != nil {
			b.Fatal(err)
		}
		cancel()
		<-done
	}
}

func waiting(n *proc.Node) int {
	c := 0
	for _, in := range n.Processes() {
		if in.Status == proc.Waiting {
			c++
		}
	}
	return c
}

func inUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}
