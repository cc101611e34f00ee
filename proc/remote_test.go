package proc

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// fakeWire is one direction of an in-memory transport between two nodes:
// signals are queued in order and applied to the peer by one goroutine, as
// quicnet's reader does. cut stops it; the peer then gets NodeDown after
// the last signal, as from quicnet.
type fakeWire struct {
	self, peer *Node

	mu     sync.Mutex
	cond   *sync.Cond
	queue  []func()
	down   bool
	closed chan struct{}
}

// connect joins a and b with two fakeWires and returns them (a→b, b→a).
func connect(t testing.TB, a, b *Node) (*fakeWire, *fakeWire) {
	ab, ba := newWire(a, b), newWire(b, a)
	a.SetRemote(ab)
	b.SetRemote(ba)
	a.NodeUp(b.Name())
	b.NodeUp(a.Name())
	t.Cleanup(func() { ab.cut(); ba.cut() })
	return ab, ba
}

func newWire(self, peer *Node) *fakeWire {
	w := &fakeWire{self: self, peer: peer, closed: make(chan struct{})}
	w.cond = sync.NewCond(&w.mu)
	go w.run()
	return w
}

func (w *fakeWire) run() {
	defer close(w.closed)
	for {
		w.mu.Lock()
		for len(w.queue) == 0 && !w.down {
			w.cond.Wait()
		}
		q := w.queue
		w.queue = nil
		down := w.down
		w.mu.Unlock()
		for _, f := range q {
			f()
		}
		if down && len(q) == 0 {
			w.peer.NodeDown(w.self.Name(), w.self.Creation())
			return
		}
	}
}

// cut ends the connection: what is queued is still applied, then the peer
// sees NodeDown. The other direction must be cut too (quicnet cuts both).
func (w *fakeWire) cut() {
	w.mu.Lock()
	w.down = true
	w.cond.Signal()
	w.mu.Unlock()
	<-w.closed
}

var errFakeDown = errors.New("fake: not connected")

func (w *fakeWire) put(node string, f func()) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.down || node != w.peer.Name() {
		return errFakeDown
	}
	w.queue = append(w.queue, f)
	w.cond.Signal()
	return nil
}

func (w *fakeWire) Send(from, to PID, v Value) error {
	return w.put(to.Node, func() { w.peer.RemoteSend(from, to, v) })
}

func (w *fakeWire) SendName(from PID, name, node string, v Value) error {
	return w.put(node, func() { w.peer.RemoteSendName(from, name, v) })
}

func (w *fakeWire) Exit(from, to PID, reason Value, viaLink bool) error {
	return w.put(to.Node, func() { w.peer.RemoteExit(from, to, reason, viaLink) })
}

func (w *fakeWire) Link(from, to PID) error {
	return w.put(to.Node, func() { w.peer.RemoteLink(from, to) })
}

func (w *fakeWire) Unlink(from, to PID) error {
	return w.put(to.Node, func() { w.peer.RemoteUnlink(from, to) })
}

func (w *fakeWire) Monitor(from, to PID, ref Ref) error {
	return w.put(to.Node, func() { w.peer.RemoteMonitor(from, to, ref) })
}

func (w *fakeWire) Demonitor(from, to PID, ref Ref) error {
	return w.put(to.Node, func() { w.peer.RemoteDemonitor(from, to, ref) })
}

func (w *fakeWire) Down(from, to PID, ref Ref, reason Value) error {
	return w.put(to.Node, func() { w.peer.RemoteDown(from, to, ref, reason) })
}

func (w *fakeWire) Spawn(from PID, node string, ref Ref, req SpawnRequest) error {
	return w.put(node, func() {
		w.peer.RemoteSpawn(from, ref, req, func(pid PID, err error) {
			var reason Value
			if err != nil {
				reason = err.Error()
			}
			// the peer's wire back to this node carries the reply
			back := w.peer.getRemote().(*fakeWire)
			_ = back.put(from.Node, func() { back.peer.RemoteSpawnReply(from, ref, pid, reason) })
		})
	})
}

func (w *fakeWire) Nodes() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.down {
		return nil
	}
	return []string{w.peer.Name()}
}

// pair returns two connected nodes "a" and "b".
func pair(t *testing.T) (a, b *Node, ab, ba *fakeWire) {
	a = newNode(t, Config{Name: "a"})
	b = newNode(t, Config{Name: "b"})
	ab, ba = connect(t, a, b)
	return a, b, ab, ba
}

// echo registers as "echo" and answers every {from=pid, n=...} with n.
func echo(t *testing.T, n *Node) PID {
	return spawn(t, n, nil, SpawnOpts{Name: "echo"}, func(p *Process) Value {
		for {
			e, err := p.Receive(-1, nil)
			if err != nil {
				return Normal
			}
			m := e.V.(*Table)
			p.Send(m.Get("from").(PID), m.Get("n"))
		}
	})
}

func TestRemoteSend(t *testing.T) {
	tests := []struct {
		name string
		send func(p *Process, echo PID, v Value)
	}{
		{"pid", func(p *Process, echo PID, v Value) { p.Send(echo, v) }},
		{"name", func(p *Process, _ PID, v Value) { p.SendName("echo", "b", v) }},
		{"node send", func(p *Process, echo PID, v Value) { p.Node().Send(echo, v) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b, _, _ := pair(t)
			e := echo(t, b)
			if got := a.Nodes(); !slices.Equal(got, []string{"b"}) {
				t.Errorf("a.Nodes() = %v", got)
			}
			r := run(t, a, func(p *Process) Value {
				const count = 100
				for i := range count {
					tt.send(p, e, &Table{Hash: []Field{{"from", p.PID()}, {"n", float64(i)}}})
				}
				for i := range count { // in order
					m, err := p.Receive(bound, nil)
					if err != nil {
						return err.Error()
					}
					if m.V != float64(i) {
						return fmt.Sprintf("message %d = %v", i, m.V)
					}
				}
				return Normal
			})
			if r != Normal {
				t.Error(r)
			}
		})
	}
}

func TestRemoteSendNotConnected(t *testing.T) {
	a := newNode(t, Config{Name: "a"})
	r := run(t, a, func(p *Process) Value {
		p.Send(PID{Node: "z", ID: 1, Creation: 1}, "lost")
		p.SendName("x", "z", "lost")
		if len(p.Node().Nodes()) != 0 {
			return "Nodes() not empty"
		}
		return Normal
	})
	if r != Normal {
		t.Error(r)
	}
}

func TestRemoteLinkExit(t *testing.T) {
	tests := []struct {
		name   string
		trap   bool
		reason Value
		want   Value // the watcher's exit reason, or the EXIT message's reason
	}{
		{"error kills", false, "boom", "boom"},
		{"normal ignored", false, Normal, nil},
		{"trapped", true, "boom", "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b, _, _ := pair(t)
			g := newGate(t)
			linked := make(chan struct{})
			target := spawn(t, b, nil, SpawnOpts{}, func(q *Process) Value {
				<-g.ch
				return tt.reason
			})
			pid := spawn(t, a, nil, SpawnOpts{}, func(p *Process) Value {
				p.TrapExit(tt.trap)
				p.Link(target)
				close(linked)
				m, err := recvTable(p, tagged("EXIT"))
				if err != nil {
					return "no EXIT: " + err.Error()
				}
				checkFields(t, "EXIT", m, map[string]Value{"from": target, "reason": tt.want})
				return "trapped"
			})
			<-linked
			eventually(t, "link on b", func() bool {
				in, _ := b.Info(target)
				return slices.Contains(in.Links, pid)
			})
			g.open()
			waitReason(t, b, target)
			if tt.want == nil {
				eventually(t, "link dropped on a", func() bool {
					in, _ := a.Info(pid)
					return len(in.Links) == 0
				})
				if in, _ := a.Info(pid); in.Status == Exited {
					t.Errorf("normal exit killed the linked process: %v", in.Reason)
				}
				a.Exit(PID{}, pid, Kill)
				return
			}
			got := waitReason(t, a, pid)
			if want := map[bool]Value{true: "trapped", false: tt.want}[tt.trap]; got != want {
				t.Errorf("linked process ended with %v, want %v", got, want)
			}
		})
	}
}

func TestRemoteLinkBothWays(t *testing.T) {
	a, b, _, _ := pair(t)
	// A local process that dies takes its remote link partner with it.
	target := spawn(t, b, nil, SpawnOpts{}, blockForever)
	linked := make(chan struct{})
	g := newGate(t)
	pid := spawn(t, a, nil, SpawnOpts{}, func(p *Process) Value {
		p.Link(target)
		close(linked)
		<-g.ch
		return "crash"
	})
	<-linked
	eventually(t, "link on b", func() bool {
		in, _ := b.Info(target)
		return slices.Contains(in.Links, pid)
	})
	g.open()
	if got := waitReason(t, a, pid); got != "crash" {
		t.Errorf("a's process: %v", got)
	}
	if got := waitReason(t, b, target); got != "crash" {
		t.Errorf("b's process: %v, want crash", got)
	}
}

func TestRemoteUnlink(t *testing.T) {
	a, b, _, _ := pair(t)
	target := spawn(t, b, nil, SpawnOpts{}, blockForever)
	r := run(t, a, func(p *Process) Value {
		p.Link(target)
		p.Unlink(target)
		return "crash"
	})
	if r != "crash" {
		t.Fatal(r)
	}
	eventually(t, "unlink on b", func() bool {
		in, _ := b.Info(target)
		return len(in.Links) == 0
	})
	if in, _ := b.Info(target); in.Status == Exited {
		t.Errorf("unlinked process ended: %v", in.Reason)
	}
}

func TestRemoteNoProc(t *testing.T) {
	a, b, _, _ := pair(t)
	dead := spawn(t, b, nil, SpawnOpts{}, func(*Process) Value { return Normal })
	waitReason(t, b, dead)
	r := run(t, a, func(p *Process) Value {
		ref := p.Monitor(dead)
		m, err := recvTable(p, tagged("DOWN"))
		if err != nil {
			return err.Error()
		}
		checkFields(t, "DOWN", m, map[string]Value{"ref": ref, "pid": dead, "reason": NoProc})
		p.TrapExit(true)
		p.Link(dead)
		m, err = recvTable(p, tagged("EXIT"))
		if err != nil {
			return err.Error()
		}
		checkFields(t, "EXIT", m, map[string]Value{"from": dead, "reason": NoProc})
		return Normal
	})
	if r != Normal {
		t.Error(r)
	}
}

func TestRemoteMonitor(t *testing.T) {
	a, b, _, _ := pair(t)
	g := newGate(t)
	target := spawn(t, b, nil, SpawnOpts{}, gated(g, "bye"))
	r := run(t, a, func(p *Process) Value {
		ref := p.Monitor(target)
		ref2 := p.Monitor(target)
		if !p.Demonitor(ref2) {
			return "Demonitor = false"
		}
		eventually(t, "one monitor on b", func() bool {
			in, _ := b.Info(target)
			return slices.Equal(in.MonitoredBy, []PID{p.PID()})
		})
		g.open()
		m, err := recvTable(p, tagged("DOWN"))
		if err != nil {
			return err.Error()
		}
		checkFields(t, "DOWN", m, map[string]Value{"ref": ref, "pid": target, "reason": "bye"})
		if _, err := p.Receive(0, tagged("DOWN")); !errors.Is(err, ErrTimeout) {
			return "a second DOWN, for the demonitored ref"
		}
		if in, _ := a.Info(p.PID()); len(in.Monitors) != 0 {
			return fmt.Sprint("Monitors after DOWN: ", in.Monitors)
		}
		return Normal
	})
	if r != Normal {
		t.Error(r)
	}
}

// A watcher that ends removes its monitor from the remote target.
func TestRemoteMonitorWatcherEnds(t *testing.T) {
	a, b, _, _ := pair(t)
	target := spawn(t, b, nil, SpawnOpts{}, blockForever)
	run(t, a, func(p *Process) Value {
		p.Monitor(target)
		return Normal
	})
	eventually(t, "no monitor on b", func() bool {
		in, _ := b.Info(target)
		return len(in.MonitoredBy) == 0
	})
}

func TestNodeDown(t *testing.T) {
	a, b, ab, ba := pair(t)
	target := spawn(t, b, nil, SpawnOpts{}, blockForever)
	// b's process monitors and links a's: those must be dropped on a.
	type result struct {
		down, exit, nodedown *Table
		err                  error
	}
	ready := make(chan struct{})
	res := make(chan result, 1)
	watcher := spawn(t, a, nil, SpawnOpts{}, func(p *Process) Value {
		var r result
		defer func() { res <- r }()
		p.TrapExit(true)
		ref := p.Monitor(target)
		p.Link(target)
		p.MonitorNode("b")
		close(ready)
		if r.down, r.err = recvTable(p, tagged("DOWN")); r.err != nil {
			return Normal
		}
		checkFields(t, "DOWN", r.down, map[string]Value{"ref": ref, "pid": target, "reason": NoConnection})
		if r.exit, r.err = recvTable(p, tagged("EXIT")); r.err != nil {
			return Normal
		}
		checkFields(t, "EXIT", r.exit, map[string]Value{"from": target, "reason": NoConnection})
		if r.nodedown, r.err = recvTable(p, tagged("nodedown")); r.err != nil {
			return Normal
		}
		checkFields(t, "nodedown", r.nodedown, map[string]Value{"node": "b"})
		return Normal
	})
	<-ready
	eventually(t, "link and monitor on b", func() bool {
		in, _ := b.Info(target)
		return slices.Contains(in.Links, watcher) && slices.Contains(in.MonitoredBy, watcher)
	})
	ab.cut()
	ba.cut()
	if r := <-res; r.err != nil {
		t.Fatal(r.err)
	}
	waitReason(t, a, watcher)
	// On b, the target (not trapping) dies of the link; on a, nothing of b
	// is left.
	if got := waitReason(t, b, target); got != NoConnection {
		t.Errorf("b's linked process ended with %v, want noconnection", got)
	}
	if len(a.Nodes()) != 0 {
		t.Errorf("a.Nodes() after cut = %v", a.Nodes())
	}
}

func TestMonitorNodeNotConnected(t *testing.T) {
	a, _, _, _ := pair(t)
	r := run(t, a, func(p *Process) Value {
		p.MonitorNode("a") // this node: nothing
		p.MonitorNode("zz")
		m, err := recvTable(p, nil)
		if err != nil {
			return err.Error()
		}
		checkFields(t, "nodedown", m, map[string]Value{"tag": "nodedown", "node": "zz"})
		if _, err := p.Receive(0, nil); !errors.Is(err, ErrTimeout) {
			return "a second message"
		}
		return Normal
	})
	if r != Normal {
		t.Error(r)
	}
}

// Link and monitor towards a node that is not connected fire at once.
func TestRemoteNoConnection(t *testing.T) {
	a, _, _, _ := pair(t)
	far := PID{Node: "zz", ID: 1, Creation: 1}
	r := run(t, a, func(p *Process) Value {
		p.TrapExit(true)
		ref := p.Monitor(far)
		m, err := recvTable(p, tagged("DOWN"))
		if err != nil {
			return err.Error()
		}
		checkFields(t, "DOWN", m, map[string]Value{"ref": ref, "reason": NoConnection})
		p.Link(far)
		m, err = recvTable(p, tagged("EXIT"))
		if err != nil {
			return err.Error()
		}
		checkFields(t, "EXIT", m, map[string]Value{"from": far, "reason": NoConnection})
		if in, _ := a.Info(p.PID()); len(in.Links)+len(in.Monitors) != 0 {
			return fmt.Sprint("left: ", in.Links, in.Monitors)
		}
		return Normal
	})
	if r != Normal {
		t.Error(r)
	}
}

func TestRemoteExitSignal(t *testing.T) {
	a, b, _, _ := pair(t)
	target := spawn(t, b, nil, SpawnOpts{}, blockForever)
	run(t, a, func(p *Process) Value {
		p.Exit(target, Kill)
		return Normal
	})
	if got := waitReason(t, b, target); got != Killed {
		t.Errorf("target ended with %v, want killed", got)
	}
}

func (w *fakeWire) GlobalRegister(node string, from PID, ref Ref, name string, pid PID) error {
	return w.put(node, func() {
		w.peer.RemoteGlobalRegister(from, ref, name, pid, func(ok bool) {
			_ = w.peer.getRemote().GlobalReply(from, ref, ok)
		})
	})
}

func (w *fakeWire) GlobalUnregister(node string, from PID, ref Ref, name string, pid PID) error {
	return w.put(node, func() {
		w.peer.RemoteGlobalUnregister(from, ref, name, pid, func(ok bool) {
			_ = w.peer.getRemote().GlobalReply(from, ref, ok)
		})
	})
}

func (w *fakeWire) GlobalReply(to PID, ref Ref, ok bool) error {
	return w.put(to.Node, func() { w.peer.RemoteGlobalReply(ref, ok) })
}

func (w *fakeWire) GlobalSync(node string, set map[string]PID, del []string, merge bool) error {
	self := w.self.Name()
	return w.put(node, func() { w.peer.RemoteGlobalSync(self, set, del, merge) })
}

// A restarted node (same name, new creation) replaces its old connection
// before the old one's NodeDown is applied: links and monitors already made
// to the new incarnation must survive that NodeDown; those to the old one
// fire with noconnection.
func TestNodeDownPerIncarnation(t *testing.T) {
	a := newNode(t, Config{Name: "a"})
	b1 := newNode(t, Config{Name: "b", Creation: 1})
	b2 := newNode(t, Config{Name: "b", Creation: 2})
	ab1, b1a := connect(t, a, b1)
	old := spawn(t, b1, nil, SpawnOpts{}, blockForever)

	type result struct {
		down, exit *Table
		extra      *Entry
		err        error
	}
	linkedOld, linkNew := make(chan struct{}), make(chan PID)
	ready := make(chan struct{})
	res := make(chan result, 1)
	watcher := spawn(t, a, nil, SpawnOpts{}, func(p *Process) Value {
		var r result
		defer func() { res <- r }()
		p.TrapExit(true)
		refOld := p.Monitor(old)
		p.Link(old)
		close(linkedOld)
		nw := <-linkNew // a's Remote now reaches b2
		p.Monitor(nw)
		p.Link(nw)
		close(ready)
		if r.down, r.err = recvTable(p, tagged("DOWN")); r.err != nil {
			return Normal
		}
		checkFields(t, "DOWN", r.down, map[string]Value{"ref": refOld, "pid": old, "reason": NoConnection})
		if r.exit, r.err = recvTable(p, tagged("EXIT")); r.err != nil {
			return Normal
		}
		checkFields(t, "EXIT", r.exit, map[string]Value{"from": old, "reason": NoConnection})
		if e, err := p.Receive(50*time.Millisecond, nil); err == nil {
			r.extra = &e
		}
		return Normal
	})
	<-linkedOld
	eventually(t, "link on b1", func() bool {
		in, _ := b1.Info(old)
		return slices.Contains(in.Links, watcher) && slices.Contains(in.MonitoredBy, watcher)
	})
	// b restarts: its new incarnation's connection replaces the old one on
	// a before the old one's NodeDown comes.
	nw := spawn(t, b2, nil, SpawnOpts{}, blockForever)
	ab2, b2a := newWire(a, b2), newWire(b2, a)
	t.Cleanup(func() { ab2.cut(); b2a.cut() })
	a.SetRemote(ab2)
	b2.SetRemote(b2a)
	linkNew <- nw
	<-ready
	eventually(t, "link on b2", func() bool {
		in, _ := b2.Info(nw)
		return slices.Contains(in.Links, watcher) && slices.Contains(in.MonitoredBy, watcher)
	})
	ab1.cut()
	b1a.cut() // a gets NodeDown("b", 1)
	r := <-res
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.extra != nil {
		t.Errorf("NodeDown of b's old incarnation fired for its new one: %v", r.extra.V)
	}
	if got := waitReason(t, a, watcher); got != Normal {
		t.Fatalf("watcher ended with %v", got)
	}
	// the watcher's normal exit reached b2 over the live connection: the
	// link is gone and b2's process lives on
	eventually(t, "link dropped on b2", func() bool {
		in, ok := b2.Info(nw)
		return ok && in.Status != Exited && len(in.Links) == 0 && len(in.MonitoredBy) == 0
	})
}

// NodeDown of one incarnation leaves the pids of another alone, checked
// directly on the process tables.
func TestNodeDownOtherCreationIgnored(t *testing.T) {
	a := newNode(t, Config{Name: "a"})
	b := newNode(t, Config{Name: "b", Creation: 7})
	connect(t, a, b)
	target := spawn(t, b, nil, SpawnOpts{}, blockForever)
	ready := make(chan struct{})
	watcher := spawn(t, a, nil, SpawnOpts{}, func(p *Process) Value {
		p.TrapExit(true)
		p.Link(target)
		p.Monitor(target)
		close(ready)
		return blockForever(p)
	})
	<-ready
	a.NodeDown("b", 6) // an earlier incarnation
	in, _ := a.Info(watcher)
	if !slices.Contains(in.Links, target) || !slices.Contains(in.Monitors, target) {
		t.Fatalf("links %v monitors %v: NodeDown of creation 6 dropped creation 7's", in.Links, in.Monitors)
	}
	if in.Mailbox != 0 {
		t.Fatalf("%d messages after NodeDown of another creation", in.Mailbox)
	}
	a.NodeDown("b", 7)
	eventually(t, "link dropped", func() bool {
		in, _ := a.Info(watcher)
		return len(in.Links) == 0 && len(in.Monitors) == 0
	})
}
