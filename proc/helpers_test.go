package proc

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// bound limits every wait of the tests. It is a guard against a hang, never
// an assertion on speed: a test that reaches it has failed anyway.
const bound = 5 * time.Second

// newNode returns a node that is shut down when the test ends; the cleanup
// checks that no process is left.
func newNode(t testing.TB, cfg Config) *Node {
	t.Helper()
	n := NewNode(cfg)
	t.Cleanup(func() { shutdown(t, n) })
	return n
}

// shutdown stops n, bounded, and checks that it is empty.
func shutdown(t testing.TB, n *Node) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	if err := n.Shutdown(ctx, Shutdown); err != nil {
		t.Errorf("Shutdown: %v (%d processes left)", err, n.Count())
		return
	}
	if c := n.Count(); c != 0 {
		t.Errorf("after Shutdown: Count() = %d, want 0", c)
	}
}

// inBubble runs f in a synctest bubble with a fresh node, and shuts the node
// down before the bubble ends. Inside, time is fake: a timeout is exact and
// synctest.Wait returns once every process is blocked.
func inBubble(t *testing.T, cfg Config, f func(t *testing.T, n *Node)) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		n := NewNode(cfg)
		defer shutdown(t, n)
		f(t, n)
	})
}

// spawn starts body, failing the test on error.
func spawn(t testing.TB, n *Node, spawner *Process, opts SpawnOpts, body Body) PID {
	t.Helper()
	pid, _, err := n.Spawn(spawner, opts, body)
	if err != nil {
		t.Fatalf("Spawn: %v", err)
	}
	return pid
}

// waitReason waits for pid to end and returns its exit reason. A process
// that ended before Wait looked it up is found in the node's history.
func waitReason(t testing.TB, n *Node, pid PID) Value {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), bound)
	defer cancel()
	r, err := n.Wait(ctx, pid)
	if errors.Is(err, ErrNoProc) {
		in, ok := n.Info(pid)
		if !ok || in.Status != Exited {
			t.Fatalf("Wait(%v): ErrNoProc and no history (%+v, %v)", pid, in, ok)
		}
		return in.Reason
	}
	if err != nil {
		t.Fatalf("Wait(%v): %v", pid, err)
	}
	return r
}

// run runs body as a root process and returns its exit reason.
func run(t testing.TB, n *Node, body Body) Value {
	t.Helper()
	return waitReason(t, n, spawn(t, n, nil, SpawnOpts{}, body))
}

// gate is a Go channel a test opens once; bodies wait on it. It is opened at
// the latest when the test ends, so that no body is left blocked.
type gate struct {
	ch   chan struct{}
	once sync.Once
}

func newGate(t testing.TB) *gate {
	g := &gate{ch: make(chan struct{})}
	t.Cleanup(g.open)
	return g
}

func (g *gate) open() { g.once.Do(func() { close(g.ch) }) }

// gated is a body that waits for g and then returns reason.
func gated(g *gate, reason Value) Body {
	return func(p *Process) Value {
		<-g.ch
		return reason
	}
}

// blockForever receives until the process is killed.
func blockForever(p *Process) Value {
	for {
		if _, err := p.Receive(-1, nil); errors.Is(err, ErrKilled) {
			return Normal
		}
	}
}

// eventually polls cond, yielding in between, until it holds. The bound only
// guards against a hang.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		runtime.Gosched()
	}
}

// tagged matches tables whose "tag" field is tag.
func tagged(tag string) func(*Entry) bool {
	return func(e *Entry) bool {
		m, ok := e.V.(*Table)
		return ok && m.Get("tag") == tag
	}
}

// recvTable receives a table matching match (any message when nil) within
// bound.
func recvTable(p *Process, match func(*Entry) bool) (*Table, error) {
	e, err := p.Receive(bound, match)
	if err != nil {
		return nil, err
	}
	m, ok := e.V.(*Table)
	if !ok {
		return nil, errors.New("message is not a table")
	}
	return m, nil
}

// checkFields reports the fields of m that differ from want.
func checkFields(t testing.TB, what string, m *Table, want map[string]Value) {
	t.Helper()
	if m == nil {
		t.Errorf("%s: no message", what)
		return
	}
	for k, v := range want {
		if got := m.Get(k); got != v {
			t.Errorf("%s: field %q = %v, want %v", what, k, got, v)
		}
	}
}
