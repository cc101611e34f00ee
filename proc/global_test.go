package proc

import (
	"sync"
	"testing"
	"time"
)

// meshRemote routes a node's signals to one fakeWire per peer.
type meshRemote struct {
	mu    sync.Mutex
	wires map[string]*fakeWire
}

func (m *meshRemote) wire(node string) *fakeWire {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.wires[node]
}

func (m *meshRemote) via(node string, f func(w *fakeWire) error) error {
	w := m.wire(node)
	if w == nil {
		return errFakeDown
	}
	return f(w)
}

func (m *meshRemote) Send(from, to PID, v Value) error {
	return m.via(to.Node, func(w *fakeWire) error { return w.Send(from, to, v) })
}
func (m *meshRemote) SendName(from PID, name, node string, v Value) error {
	return m.via(node, func(w *fakeWire) error { return w.SendName(from, name, node, v) })
}
func (m *meshRemote) Exit(from, to PID, reason Value, viaLink bool) error {
	return m.via(to.Node, func(w *fakeWire) error { return w.Exit(from, to, reason, viaLink) })
}
func (m *meshRemote) Link(from, to PID) error {
	return m.via(to.Node, func(w *fakeWire) error { return w.Link(from, to) })
}
func (m *meshRemote) Unlink(from, to PID) error {
	return m.via(to.Node, func(w *fakeWire) error { return w.Unlink(from, to) })
}
func (m *meshRemote) Monitor(from, to PID, ref Ref) error {
	return m.via(to.Node, func(w *fakeWire) error { return w.Monitor(from, to, ref) })
}
func (m *meshRemote) Demonitor(from, to PID, ref Ref) error {
	return m.via(to.Node, func(w *fakeWire) error { return w.Demonitor(from, to, ref) })
}
func (m *meshRemote) Down(from, to PID, ref Ref, reason Value) error {
	return m.via(to.Node, func(w *fakeWire) error { return w.Down(from, to, ref, reason) })
}
func (m *meshRemote) Spawn(from PID, node string, ref Ref, req SpawnRequest) error {
	return errFakeDown
}
func (m *meshRemote) GlobalRegister(node string, from PID, ref Ref, name string, pid PID) error {
	return m.via(node, func(w *fakeWire) error { return w.GlobalRegister(node, from, ref, name, pid) })
}
func (m *meshRemote) GlobalUnregister(node string, from PID, ref Ref, name string, pid PID) error {
	return m.via(node, func(w *fakeWire) error { return w.GlobalUnregister(node, from, ref, name, pid) })
}
func (m *meshRemote) GlobalReply(to PID, ref Ref, ok bool) error {
	return m.via(to.Node, func(w *fakeWire) error { return w.GlobalReply(to, ref, ok) })
}
func (m *meshRemote) GlobalSync(node string, set map[string]PID, del []string, merge bool) error {
	return m.via(node, func(w *fakeWire) error { return w.GlobalSync(node, set, del, merge) })
}
func (m *meshRemote) Nodes() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var names []string
	for name, w := range m.wires {
		if len(w.Nodes()) > 0 {
			names = append(names, name)
		}
	}
	return names
}

// mesh connects the nodes pairwise; the returned func cuts every wire to
// and from the node called name (it goes down for the others).
func mesh(t *testing.T, nodes ...*Node) (cut func(name string)) {
	rs := make(map[string]*meshRemote, len(nodes))
	for _, n := range nodes {
		rs[n.Name()] = &meshRemote{wires: make(map[string]*fakeWire)}
	}
	for _, a := range nodes {
		for _, b := range nodes {
			if a != b {
				rs[a.Name()].wires[b.Name()] = newWire(a, b)
			}
		}
	}
	for _, n := range nodes {
		n.SetRemote(rs[n.Name()])
	}
	for _, a := range nodes {
		for _, b := range nodes {
			if a != b {
				a.NodeUp(b.Name())
			}
		}
	}
	cut = func(name string) {
		for _, r := range rs {
			r.mu.Lock()
			var ws []*fakeWire
			for peer, w := range r.wires {
				if peer == name || w.self.Name() == name {
					ws = append(ws, w)
				}
			}
			r.mu.Unlock()
			for _, w := range ws {
				w.cut()
			}
		}
	}
	t.Cleanup(func() {
		for _, n := range nodes {
			cut(n.Name())
		}
	})
	return cut
}

func three(t *testing.T) (a, b, c *Node, cut func(string)) {
	a = newNode(t, Config{Name: "a"})
	b = newNode(t, Config{Name: "b"})
	c = newNode(t, Config{Name: "c"})
	return a, b, c, mesh(t, a, b, c)
}

// sleeper runs until it receives a message.
func sleeper(t *testing.T, n *Node) PID {
	return spawn(t, n, nil, SpawnOpts{}, func(p *Process) Value {
		_, _ = p.Receive(-1, nil)
		return Normal
	})
}

// globalReg registers name for pid from a fresh process on n.
func globalReg(t *testing.T, n *Node, name string, pid PID) bool {
	t.Helper()
	var ok bool
	var err error
	run(t, n, func(p *Process) Value {
		ok, err = p.GlobalRegister(name, pid)
		return Normal
	})
	if err != nil {
		t.Fatalf("GlobalRegister(%q) on %s: %v", name, n.Name(), err)
	}
	return ok
}

func whereIs(n *Node, name string) PID {
	pid, _ := n.GlobalWhereIs(name)
	return pid
}

func TestGlobalRegister(t *testing.T) {
	a, b, c, _ := three(t)
	if got := c.GlobalArbiter(); got != "a" {
		t.Fatalf("arbiter = %s", got)
	}
	owner := sleeper(t, c)
	if !globalReg(t, c, "svc", owner) { // through the arbiter a
		t.Fatal("register: false")
	}
	// c's own replica is updated when register returns
	if got := whereIs(c, "svc"); got != owner {
		t.Fatalf("whereis on c = %v", got)
	}
	for _, n := range []*Node{a, b} {
		eventually(t, "whereis on "+n.Name(), func() bool { return whereIs(n, "svc") == owner })
	}
	other := sleeper(t, b)
	if globalReg(t, b, "svc", other) {
		t.Fatal("register of a taken name: true")
	}
	if !globalReg(t, a, "svc", owner) { // the same pid again: true
		t.Fatal("re-register by the owner: false")
	}
	// send to it from a
	got := make(chan Value, 1)
	target := spawn(t, c, nil, SpawnOpts{}, func(p *Process) Value {
		e, _ := p.Receive(bound, nil)
		got <- e.V
		return Normal
	})
	if !globalReg(t, c, "target", target) {
		t.Fatal("register target")
	}
	eventually(t, "target on a", func() bool { return whereIs(a, "target") == target })
	a.Send(whereIs(a, "target"), "hi")
	select {
	case v := <-got:
		if v != "hi" {
			t.Fatalf("got %v", v)
		}
	case <-time.After(bound):
		t.Fatal("no message")
	}
	// unregister from b frees it everywhere
	var freed bool
	run(t, b, func(p *Process) Value { freed, _ = p.GlobalUnregister("svc"); return Normal })
	if !freed {
		t.Fatal("unregister: false")
	}
	if _, ok := b.GlobalWhereIs("svc"); ok {
		t.Fatal("b still knows svc after unregister returned")
	}
	for _, n := range []*Node{a, c} {
		eventually(t, "svc freed on "+n.Name(), func() bool { _, ok := n.GlobalWhereIs("svc"); return !ok })
	}
	if !globalReg(t, b, "svc", other) {
		t.Fatal("register after unregister: false")
	}
}

func TestGlobalFreedOnExit(t *testing.T) {
	for _, owner := range []string{"a", "c"} { // on the arbiter, elsewhere
		t.Run(owner, func(t *testing.T) {
			a, b, c, _ := three(t)
			nodes := map[string]*Node{"a": a, "b": b, "c": c}
			on := nodes[owner]
			pid := sleeper(t, on)
			if !globalReg(t, b, "x", pid) {
				t.Fatal("register: false")
			}
			for _, n := range nodes {
				eventually(t, "x on "+n.Name(), func() bool { return whereIs(n, "x") == pid })
			}
			on.Send(pid, "stop")
			for _, n := range nodes {
				eventually(t, "x freed on "+n.Name(), func() bool { _, ok := n.GlobalWhereIs("x"); return !ok })
			}
			if !globalReg(t, b, "x", sleeper(t, b)) {
				t.Fatal("register after the owner exited: false")
			}
		})
	}
}

func TestGlobalDeadPidRefused(t *testing.T) {
	a, _, c, _ := three(t)
	pid := sleeper(t, c)
	c.Send(pid, "stop")
	eventually(t, "exit", func() bool { return c.lookup(pid) == nil })
	globalReg(t, a, "ghost", pid) // may be accepted: a cannot see c's pids
	eventually(t, "ghost freed", func() bool {
		_, ok1 := a.GlobalWhereIs("ghost")
		_, ok2 := c.GlobalWhereIs("ghost")
		return !ok1 && !ok2
	})
}

func TestGlobalFreedOnNodeDown(t *testing.T) {
	for _, down := range []string{"a", "c"} { // the arbiter, another node
		t.Run(down, func(t *testing.T) {
			a, b, c, cut := three(t)
			nodes := map[string]*Node{"a": a, "b": b, "c": c}
			pid := sleeper(t, nodes[down])
			keep := sleeper(t, b)
			if !globalReg(t, b, "x", pid) || !globalReg(t, b, "keep", keep) {
				t.Fatal("register: false")
			}
			for _, n := range nodes {
				eventually(t, "x on "+n.Name(), func() bool { return whereIs(n, "x") == pid && whereIs(n, "keep") == keep })
			}
			cut(down)
			for name, n := range nodes {
				if name == down {
					continue
				}
				eventually(t, "x dropped on "+name, func() bool { _, ok := n.GlobalWhereIs("x"); return !ok })
				if whereIs(n, "keep") != keep {
					t.Fatalf("keep lost on %s", name)
				}
			}
			// the remaining nodes go on with the new arbiter
			if !globalReg(t, c, "x", sleeper(t, c)) && down != "c" {
				t.Fatal("register after node down: false")
			}
		})
	}
}

func TestGlobalNodeUpSync(t *testing.T) {
	b := newNode(t, Config{Name: "b"})
	c := newNode(t, Config{Name: "c"})
	cutBC := mesh(t, b, c)
	_ = cutBC
	pid := sleeper(t, c)
	if !globalReg(t, c, "x", pid) { // b is the arbiter
		t.Fatal("register: false")
	}
	// a fresh node sorting first joins: it becomes the arbiter and must
	// learn the table.
	a := newNode(t, Config{Name: "a"})
	ra := &meshRemote{wires: map[string]*fakeWire{"b": newWire(a, b), "c": newWire(a, c)}}
	a.SetRemote(ra)
	for _, n := range []*Node{b, c} {
		r := n.getRemote().(*meshRemote)
		r.mu.Lock()
		r.wires["a"] = newWire(n, a)
		r.mu.Unlock()
	}
	a.NodeUp("b")
	a.NodeUp("c")
	b.NodeUp("a")
	c.NodeUp("a")
	t.Cleanup(func() {
		for _, w := range ra.wires {
			w.cut()
		}
		for _, n := range []*Node{b, c} {
			n.getRemote().(*meshRemote).wire("a").cut()
		}
	})
	eventually(t, "a learns x", func() bool { return whereIs(a, "x") == pid })
	if globalReg(t, b, "x", sleeper(t, b)) {
		t.Fatal("the new arbiter gave away a taken name")
	}
}

func TestGlobalConcurrent(t *testing.T) {
	for range 20 {
		a, b, c, _ := three(t)
		_ = a
		pb, pc := sleeper(t, b), sleeper(t, c)
		var okB, okC bool
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); okB = globalReg(t, b, "race", pb) }()
		go func() { defer wg.Done(); okC = globalReg(t, c, "race", pc) }()
		wg.Wait()
		if okB == okC {
			t.Fatalf("register from b: %v, from c: %v; want exactly one true", okB, okC)
		}
		want := pb
		if okC {
			want = pc
		}
		for _, n := range []*Node{a, b, c} {
			eventually(t, "agreement on "+n.Name(), func() bool { return whereIs(n, "race") == want })
		}
	}
}
