package proc

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestPanickingBody(t *testing.T) {
	tests := []struct {
		name  string
		panic any
		want  string
	}{
		{"string", "boom", "boom"},
		{"error", errors.New("bad thing"), "bad thing"},
		{"number", 42, "42"},
		{"runtime error", nil, "index out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNode(t, Config{})
			r := run(t, n, func(p *Process) Value {
				p.TrapExit(true)
				child, _, err := n.Spawn(p, SpawnOpts{Link: true}, func(*Process) Value {
					if tt.panic == nil {
						var s []int
						_ = s[len(s)+1] // a runtime panic
					}
					panic(tt.panic)
				})
				if err != nil {
					return err.Error()
				}
				m, err := recvTable(p, tagged("EXIT"))
				if err != nil {
					return err.Error()
				}
				if m.Get("from") != child {
					t.Errorf("EXIT from %v, want %v", m.Get("from"), child)
				}
				reason, ok := m.Get("reason").(string)
				if !ok || !strings.Contains(reason, tt.want) {
					t.Errorf("reason = %#v, want a string containing %q", m.Get("reason"), tt.want)
				}
				if in, _ := n.Info(child); in.Reason != m.Get("reason") {
					t.Errorf("history reason = %v", in.Reason)
				}
				return Normal
			})
			if r != Normal {
				t.Error(r)
			}
			// The node goes on.
			if r := run(t, n, func(*Process) Value { return "still here" }); r != "still here" {
				t.Errorf("after the panic: %v", r)
			}
		})
	}
	t.Run("killed then panics", func(t *testing.T) {
		n := newNode(t, Config{})
		r := run(t, n, func(p *Process) Value {
			p.Exit(p.PID(), "first")
			panic("second")
		})
		if r != "first" {
			t.Errorf("reason = %v, want the signal's", r)
		}
	})
}

func TestBodyResultIgnoredOnceKilled(t *testing.T) {
	n := newNode(t, Config{})
	g := newGate(t)
	pid := spawn(t, n, nil, SpawnOpts{}, gated(g, "my own reason"))
	n.Exit(PID{}, pid, "signal")
	g.open()
	if r := waitReason(t, n, pid); r != "signal" {
		t.Errorf("reason = %v, want signal", r)
	}
	t.Run("a later signal does not replace the first", func(t *testing.T) {
		g := newGate(t)
		pid := spawn(t, n, nil, SpawnOpts{}, gated(g, Normal))
		n.Exit(PID{}, pid, "first")
		n.Exit(PID{}, pid, Kill)
		g.open()
		if r := waitReason(t, n, pid); r != "first" {
			t.Errorf("reason = %v, want first", r)
		}
	})
}

func TestShutdown(t *testing.T) {
	n := NewNode(Config{})
	g := newGate(t)
	bodies := []struct {
		name string
		body Body
	}{
		{"receiving", blockForever},
		{"sleeping", func(p *Process) Value { _ = p.Sleep(time.Hour); return Normal }},
		{"trapping", func(p *Process) Value { p.TrapExit(true); return blockForever(p) }},
		{"selective", func(p *Process) Value {
			_, _ = p.Receive(-1, func(*Entry) bool { return false })
			return Normal
		}},
		{"ignoring the kill", func(p *Process) Value {
			for range 3 {
				_, _ = p.Receive(-1, nil) // returns ErrKilled at once, again and again
			}
			return "whatever"
		}},
		{"named", blockForever},
	}
	var pids []PID
	started := make(chan struct{}, len(bodies))
	for _, b := range bodies {
		opts := SpawnOpts{}
		if b.name == "named" {
			opts.Name = "named"
		}
		pids = append(pids, spawn(t, n, nil, opts, func(p *Process) Value {
			started <- struct{}{}
			return b.body(p)
		}))
	}
	// Linked pairs and a monitor, so exits cross each other.
	spawn(t, n, nil, SpawnOpts{}, func(p *Process) Value {
		for _, q := range pids {
			p.Link(q)
			p.Monitor(q)
		}
		started <- struct{}{}
		return blockForever(p)
	})
	for range len(bodies) + 1 {
		<-started
	}
	ctx, cancel := context.WithTimeout(t.Context(), bound)
	defer cancel()
	if err := n.Shutdown(ctx, Shutdown); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if c := n.Count(); c != 0 {
		t.Errorf("Count() after Shutdown = %d", c)
	}
	if ps := n.Processes(); len(ps) != 0 {
		t.Errorf("Processes() after Shutdown = %v", ps)
	}
	for i, pid := range pids {
		in, ok := n.Info(pid)
		if !ok || in.Status != Exited || in.Reason != Shutdown {
			t.Errorf("%s: info %v %v, want exited with shutdown", bodies[i].name, in.Reason, ok)
		}
	}
	if _, ok := n.WhereIs("named"); ok {
		t.Error("name still registered after Shutdown")
	}
	if _, _, err := n.Spawn(nil, SpawnOpts{}, func(*Process) Value { return Normal }); !errors.Is(err, ErrNodeDown) {
		t.Errorf("Spawn after Shutdown = %v, want ErrNodeDown", err)
	}
	if err := n.Shutdown(ctx, Shutdown); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
	g.open()
}

func TestShutdownContext(t *testing.T) {
	n := NewNode(Config{})
	g := newGate(t)
	// A body that does not look at its mailbox cannot be stopped by the
	// node: Shutdown gives up when ctx is done.
	started := make(chan struct{})
	pid := spawn(t, n, nil, SpawnOpts{}, func(p *Process) Value {
		close(started)
		<-g.ch
		return Normal
	})
	<-started
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := n.Shutdown(ctx, "stop"); !errors.Is(err, context.Canceled) {
		t.Errorf("Shutdown with a stuck body = %v, want context.Canceled", err)
	}
	g.open()
	if r := waitReason(t, n, pid); r != "stop" {
		t.Errorf("reason = %v, want stop", r)
	}
	shutdown(t, n)
}

// TestShutdownRacesSpawn: processes keep spawning while the node shuts
// down. Every process must be killed and Shutdown must return; a Spawn that
// passed the closing check before Shutdown began, but stored its process
// after Shutdown's sweep, leaves a live process that Shutdown then waits
// for forever.
func TestShutdownRacesSpawn(t *testing.T) {
	const rounds, spawners, before = 30, 8, 300
	for round := range rounds {
		n := NewNode(Config{History: -1})
		for range spawners {
			spawn(t, n, nil, SpawnOpts{}, func(p *Process) Value {
				for {
					if _, _, err := n.Spawn(p, SpawnOpts{}, blockForever); err != nil {
						return Normal
					}
				}
			})
		}
		eventually(t, "processes to pile up", func() bool { return n.Count() >= before })
		ctx, cancel := context.WithTimeout(t.Context(), bound)
		err := n.Shutdown(ctx, Shutdown)
		cancel()
		if err != nil {
			var alive []string
			n.procs.Range(func(_, v any) bool {
				p := v.(*Process)
				alive = append(alive, fmt.Sprintf("%v killed=%v", p.pid, p.Killed()))
				return true
			})
			killAll(t, n)
			t.Fatalf("round %d: Shutdown = %v; still alive: %v", round, err, alive)
		}
		if c := n.Count(); c != 0 {
			t.Fatalf("round %d: Count() = %d after Shutdown", round, c)
		}
	}
}

func TestShutdownFromHostRacesSpawn(t *testing.T) {
	// The same race, with the host spawning from plain goroutines.
	const rounds, spawners = 30, 8
	for round := range rounds {
		n := NewNode(Config{History: -1})
		var wg sync.WaitGroup
		piled := make(chan struct{}, spawners)
		for range spawners {
			wg.Go(func() {
				for i := 0; ; i++ {
					if _, _, err := n.Spawn(nil, SpawnOpts{}, blockForever); err != nil {
						return
					}
					if i == 50 {
						piled <- struct{}{}
					}
				}
			})
		}
		for range spawners {
			<-piled
		}
		ctx, cancel := context.WithTimeout(t.Context(), bound)
		err := n.Shutdown(ctx, Shutdown)
		cancel()
		wg.Wait()
		if err != nil {
			c := n.Count()
			killAll(t, n)
			t.Fatalf("round %d: Shutdown = %v with %d processes alive", round, err, c)
		}
		if c := n.Count(); c != 0 {
			t.Fatalf("round %d: Count() = %d after Shutdown", round, c)
		}
	}
}

// killAll kills what a failed Shutdown left, so that the failure does not
// leak goroutines into later tests.
func killAll(t *testing.T, n *Node) {
	t.Helper()
	for _, in := range n.Processes() {
		n.Exit(PID{}, in.PID, Kill)
	}
	shutdown(t, n)
}

func TestWait(t *testing.T) {
	n := newNode(t, Config{})
	t.Run("unknown pid", func(t *testing.T) {
		if _, err := n.Wait(t.Context(), PID{Node: "local", ID: 1 << 40}); !errors.Is(err, ErrNoProc) {
			t.Errorf("Wait(unknown) = %v, want ErrNoProc", err)
		}
	})
	t.Run("context done", func(t *testing.T) {
		pid := spawn(t, n, nil, SpawnOpts{}, blockForever)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := n.Wait(ctx, pid); !errors.Is(err, context.Canceled) {
			t.Errorf("Wait(cancelled) = %v", err)
		}
		n.Exit(PID{}, pid, Kill)
	})
	t.Run("several waiters", func(t *testing.T) {
		inBubble(t, Config{}, func(t *testing.T, n *Node) {
			g := newGate(t)
			pid := spawn(t, n, nil, SpawnOpts{}, gated(g, "bye"))
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					if r, err := n.Wait(t.Context(), pid); err != nil || r != "bye" {
						t.Errorf("Wait = %v, %v", r, err)
					}
				})
			}
			synctest.Wait() // every waiter is in Wait
			g.open()
			wg.Wait()
			synctest.Wait() // the exit has run to the end
			if r, err := n.Wait(t.Context(), pid); err != nil || r != "bye" {
				t.Errorf("Wait after the exit = %v, %v; want the reason from the history", r, err)
			}
			if _, err := n.Wait(t.Context(), PID{Node: n.Name(), ID: 1 << 40}); !errors.Is(err, ErrNoProc) {
				t.Errorf("Wait(unknown pid) = %v, want ErrNoProc", err)
			}
		})
	})
}

func TestProcessAccessors(t *testing.T) {
	n := newNode(t, Config{Name: "alpha"})
	data := &struct{ x int }{7}
	r := run(t, n, func(p *Process) Value {
		p2, _, err := n.Spawn(p, SpawnOpts{Data: data}, func(q *Process) Value {
			if q.Data() != data || q.Node() != n || q.PID().Node != "alpha" || q.Killed() {
				return "bad accessors"
			}
			return Normal
		})
		if err != nil {
			return err.Error()
		}
		if r := waitReason(t, n, p2); r != Normal {
			return r
		}
		if p.Data() != nil {
			return "root has data"
		}
		return Normal
	})
	if r != Normal {
		t.Error(r)
	}
}

func TestPIDsAreUnique(t *testing.T) {
	n := newNode(t, Config{})
	seen := map[PID]bool{}
	for range 200 {
		pid := spawn(t, n, nil, SpawnOpts{}, func(*Process) Value { return Normal })
		if seen[pid] || !n.IsLocal(pid) {
			t.Fatalf("pid %v reused or foreign", pid)
		}
		seen[pid] = true
	}
}

// TestBodyGoexit: a body that leaves by runtime.Goexit (t.FailNow in a test
// body, or a host helper that calls it) neither returns nor panics. The
// process must still end: leave the table, fire its links and monitors.
func TestBodyGoexit(t *testing.T) {
	inBubble(t, Config{}, func(t *testing.T, n *Node) {
		r := run(t, n, func(p *Process) Value {
			p.TrapExit(true)
			child, ref, err := n.Spawn(p, SpawnOpts{Link: true, Monitor: true}, func(*Process) Value {
				runtime.Goexit()
				return Normal
			})
			if err != nil {
				return err.Error()
			}
			// Fake time: a second is plenty, and costs nothing.
			if _, err := p.Receive(time.Second, tagged("EXIT")); err != nil {
				t.Errorf("no EXIT from the process that called Goexit: %v", err)
			}
			e, err := p.Receive(time.Second, tagged("DOWN"))
			if err != nil {
				t.Errorf("no DOWN from the process that called Goexit: %v", err)
				return Normal
			}
			checkFields(t, "DOWN", e.V.(*Table), map[string]Value{"ref": ref, "pid": child})
			return Normal
		})
		if r != Normal {
			t.Error(r)
		}
		synctest.Wait()
		if c := n.Count(); c != 0 {
			t.Errorf("Count() = %d after the body called Goexit, want 0", c)
		}
	})
}
