package quicnet

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/dlua/dlua/proc"
)

// TestSourceOnce: the receiver asks for a chunk's source once, however
// many of its functions arrive, and can forward them to a third node.
func TestSourceOnce(t *testing.T) {
	ca, cb, cc := newFetchingCodec(), newFetchingCodec(), newFetchingCodec()
	a := newNode(t, "a", func(c *Config) { c.CodeCodec = ca })
	b := newNode(t, "b", func(c *Config) { c.CodeCodec = cb })
	c := newNode(t, "c", func(c *Config) { c.CodeCodec = cc })
	join(t, b, a)
	join(t, c, b)
	waitNodes(t, a, "c")
	f := &proc.Func{Code: fakeCode{"function f() end"}}
	g := &proc.Func{Code: fakeCode{"function f() end"}, Upvalues: cells(1.0)}
	for range 3 {
		exchange(t, a, b, tbl(f, g))
	}
	if got := cb.added.Load(); got != 1 {
		t.Errorf("b was sent %d sources, want 1", got)
	}
	exchange(t, a, b, &proc.Func{Code: fakeCode{"another chunk"}})
	if got := cb.added.Load(); got != 2 {
		t.Errorf("b was sent %d sources, want 2", got)
	}
	// b forwards a function it received: c asks b, not a.
	exchange(t, b, c, f)
	if got := cc.added.Load(); got != 1 {
		t.Errorf("c was sent %d sources, want 1", got)
	}
}

// TestSourceMissing: a peer that sends a function whose source it cannot
// give is disconnected; the frame is not delivered half-made.
func TestSourceMissing(t *testing.T) {
	a := newNode(t, "a", func(c *Config) { c.CodeCodec = newFetchingCodec() })
	b := newNode(t, "b", func(c *Config) { c.CodeCodec = newFetchingCodec() })
	join(t, b, a)
	raw := rawFrame(t, map[int]any{1: int(KindSend), 7: objRef(0),
		11: []any{[]any{objFunc, nil, nil, "", []byte("ref"), []byte("k:never sent")}}})
	inject(t, a, "b", appendFrame(nil, raw))
	ev := b.rec.waitEvent(t, NodeDown, "a")
	if !errors.Is(ev.Err, ErrNoSource) {
		t.Errorf("NodeDown reason %v, want ErrNoSource", ev.Err)
	}
}

// TestCompilerRefused: peers whose compilers differ refuse each other; a
// node without a CodeCodec (a console) is admitted by any.
func TestCompilerRefused(t *testing.T) {
	a := newNode(t, "a", func(c *Config) { c.CodeCodec = fakeCodec{compiler: "gopher-lua v1; dlua chunk 1"} })
	b := newNode(t, "b", func(c *Config) { c.CodeCodec = fakeCodec{compiler: "gopher-lua v2; dlua chunk 1"} })
	if _, err := b.Join(t.Context(), a.addr()); !errors.Is(err, ErrRefused) {
		t.Fatalf("join: %v, want ErrRefused", err)
	}
	a.rec.waitWarn(t, "peer refused", ErrCompiler)
	none := newNode(t, "none", func(c *Config) { c.CodeCodec = nil })
	join(t, none, a)
}

// TestBigMessages: messages far over the frame size cross whole and in
// order with the small frames around them; one over the receiver's
// limit is refused to the sender, and the connection goes on.
func TestBigMessages(t *testing.T) {
	small := func(c *Config) { c.MaxFrameSize = 64 << 10; c.MaxMessageSize = 80 << 20 }
	a := newNode(t, "a", small)
	b := newNode(t, "b", small)
	join(t, b, a)
	many := &proc.Table{}
	for i := range 1 << 10 {
		many.Array = append(many.Array, strings.Repeat(string(rune('a'+i%26)), 64<<10))
	}
	msgs := []proc.Value{"before", strings.Repeat("x", 20<<20), "between", many, "after"}
	for _, m := range msgs {
		f := &Frame{Kind: KindSend, From: pidOf(a, 1), To: pidOf(b, 2), Msg: m}
		if err := a.Send(t.Context(), "b", f); err != nil {
			t.Fatal(err)
		}
	}
	for i, m := range msgs {
		r := recv(t, b.rec.frames)
		if err := sameShape(m, r.f.Msg); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	err := a.Send(t.Context(), "b", &Frame{Kind: KindSend, To: pidOf(b, 2), Msg: strings.Repeat("y", 81<<20)})
	var fe *FrameError
	if !errors.As(err, &fe) || !errors.Is(err, ErrFrameTooBig) {
		t.Fatalf("a message over b's limit: %v, want a *FrameError wrapping ErrFrameTooBig", err)
	}
	exchange(t, a, b, "still connected")
}

// TestReassemblyBudget: two peers send big messages at once to a node
// whose budget holds one: the second waits for the first, and both
// arrive.
func TestReassemblyBudget(t *testing.T) {
	limits := func(c *Config) {
		c.MaxFrameSize = 64 << 10
		c.MaxMessageSize = 8 << 20
		c.MaxReassembly = 8 << 20
	}
	r := newNode(t, "r", limits)
	s1 := newNode(t, "s1", limits)
	s2 := newNode(t, "s2", limits)
	join(t, s1, r)
	join(t, s2, r)
	var wg sync.WaitGroup
	for _, s := range []*testNode{s1, s2} {
		wg.Go(func() {
			for range 3 {
				f := &Frame{Kind: KindSend, To: pidOf(r, 1), Msg: strings.Repeat(s.Name(), 3<<20)}
				if err := s.Send(t.Context(), "r", f); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	got := map[string]int{}
	for range 6 {
		f := recv(t, r.rec.frames)
		if f.from.Name == "s1" || f.from.Name == "s2" {
			got[f.from.Name]++
		}
	}
	if got["s1"] != 3 || got["s2"] != 3 {
		t.Errorf("received %v, want 3 of each", got)
	}
	if free := r.reasm.free; free != 8<<20 {
		t.Errorf("budget left %d bytes, want all %d back", free, 8<<20)
	}
}

// TestHandlerPanic: a handler that panics on a frame closes that
// connection, with the stack in the log; the node goes on.
func TestHandlerPanic(t *testing.T) {
	a := newNode(t, "a", func(c *Config) {
		rec := c.Handler.(*recorder)
		c.Handler = HandlerFuncs{
			Frame: func(from Peer, f *Frame) {
				if f.Msg == "boom" {
					panic("handler bug")
				}
				rec.HandleFrame(from, f)
			},
			Event: rec.HandleNodeEvent,
		}
	})
	b := newNode(t, "b")
	c := newNode(t, "c")
	join(t, b, a)
	join(t, c, a)
	if err := b.Send(t.Context(), "a", &Frame{Kind: KindSend, To: pidOf(a, 1), Msg: "boom"}); err != nil {
		t.Fatal(err)
	}
	ev := a.rec.waitEvent(t, NodeDown, "b")
	if !errors.Is(ev.Err, ErrPanic) {
		t.Errorf("NodeDown reason %v, want ErrPanic", ev.Err)
	}
	rec := a.rec.waitWarn(t, "closing connection: panic", ErrPanic)
	var stack string
	rec.Attrs(func(at slog.Attr) bool {
		if at.Key == "stack" {
			stack = at.Value.String()
		}
		return true
	})
	if !strings.Contains(stack, "TestHandlerPanic") {
		t.Errorf("no stack in the log: %q", stack)
	}
	exchange(t, c, a, "a goes on")
}

// TestHandshakesPerAddress: one address cannot hold more than
// maxHandshakesPerAddr handshakes at once; the next one is refused at
// once, and a node joins once they are gone.
func TestHandshakesPerAddress(t *testing.T) {
	// The held handshakes must not time out while the test makes more.
	a := newNode(t, "a", func(c *Config) { c.HandshakeTimeout = 10 * time.Minute })
	tlsConf := &tls.Config{InsecureSkipVerify: true, NextProtos: []string{ALPN}}
	var held []*quic.Conn
	defer func() {
		for _, c := range held {
			c.CloseWithError(0, "")
		}
	}()
	for range maxHandshakesPerAddr {
		c, err := quic.DialAddr(t.Context(), a.addr(), tlsConf, nil)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
		if _, err := c.OpenStreamSync(t.Context()); err != nil { // says nothing
			t.Fatal(err)
		}
	}
	c, err := quic.DialAddr(t.Context(), a.addr(), tlsConf, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.OpenStreamSync(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	s.Write([]byte{0})
	_, err = s.Read(make([]byte, 1))
	var ae *quic.ApplicationError
	if !errors.As(err, &ae) || ae.ErrorCode != codeRefused || ae.ErrorMessage != "busy" {
		t.Errorf("handshake %d from one address: %v, want refused as busy", maxHandshakesPerAddr+1, err)
	}
	for _, c := range held {
		c.CloseWithError(0, "")
	}
	held = nil
	b := newNode(t, "b")
	join(t, b, a)
}

// TestJoinMesh: JoinMesh returns once the node is connected to every
// node the joined one knew of.
func TestJoinMesh(t *testing.T) {
	nodes := []*testNode{newNode(t, "a"), newNode(t, "b"), newNode(t, "c")}
	join(t, nodes[1], nodes[0])
	join(t, nodes[2], nodes[0])
	waitNodes(t, nodes[1], "c")
	d := newNode(t, "d")
	if _, err := d.JoinMesh(t.Context(), nodes[1].addr()); err != nil {
		t.Fatal(err)
	}
	if got := d.Nodes(); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("d.Nodes() right after JoinMesh = %v, want a b c", got)
	}
	// A node alone: nothing to wait for.
	e, f := newNode(t, "e"), newNode(t, "f")
	if _, err := f.JoinMesh(t.Context(), e.addr()); err != nil {
		t.Fatal(err)
	}
	// The wait is bounded: a node that never tells of its nodes.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := newNode(t, "g").JoinMesh(ctx, e.addr()); err == nil {
		t.Error("JoinMesh with an ended context: no error")
	}
}

// TestSimultaneousDialsQuiet: nodes that dial each other at once, as a
// joining cluster does, settle on one connection without a warning.
func TestSimultaneousDialsQuiet(t *testing.T) {
	nodes := []*testNode{newNode(t, "a"), newNode(t, "b"), newNode(t, "c"), newNode(t, "d")}
	var wg sync.WaitGroup
	for _, n := range nodes[1:] {
		wg.Go(func() {
			if _, err := n.JoinMesh(t.Context(), nodes[0].addr()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, n := range nodes {
		for _, m := range nodes {
			if n != m {
				exchange(t, n, m, "mesh")
			}
		}
	}
	for _, n := range nodes {
		select {
		case rec := <-n.rec.warns:
			t.Errorf("%s warned: %s", n.Name(), rec.Message)
		default:
		}
	}
}

// TestHiddenNode: a hidden node (a console) is in no one's Nodes, is not
// gossiped about, gets no gossip, and receives no process signals; it can
// still reach another node on purpose.
func TestHiddenNode(t *testing.T) {
	a := newBound(t, "a")
	b := newBound(t, "b")
	if _, err := b.qn.JoinMesh(t.Context(), a.qn.Addr().String()); err != nil {
		t.Fatal(err)
	}
	h, err := NewInspectClient(Config{Name: "~console", Cookie: testCookie, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Node().Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Node().Close() })
	if _, err := h.Node().JoinMesh(t.Context(), a.qn.Addr().String()); err != nil {
		t.Fatal(err)
	}
	if got := a.pn.Nodes(); !slices.Equal(got, []string{"b"}) {
		t.Errorf("proc.nodes() on a = %v, want b only", got)
	}
	if ps := a.qn.Peers(); len(ps) != 2 || !slices.ContainsFunc(ps, func(p Peer) bool { return p.Hidden && p.Name == "~console" }) {
		t.Errorf("a.Peers() = %+v, want b and the hidden console", ps)
	}
	if got := h.Node().Nodes(); !slices.Equal(got, []string{"a"}) {
		t.Errorf("the console's Nodes() = %v, want a (no gossip)", got)
	}
	// spawn_opt{node = "~console"} fails at once: proc does not know it.
	done := make(chan error, 1)
	a.pn.Spawn(nil, proc.SpawnOpts{}, func(p *proc.Process) proc.Value {
		_, _, err := p.SpawnOn("~console", proc.SpawnRequest{Fn: "m.f"})
		done <- err
		return proc.Normal
	})
	if err := recv(t, done); err == nil || !strings.Contains(err.Error(), "not connected") {
		t.Errorf("spawn on the hidden node: %v", err)
	}
	// The console reaches b on purpose, through a's directory; b still
	// does not count it.
	if _, err := h.Node().Connect(t.Context(), "b"); err != nil {
		t.Fatal(err)
	}
	if got := b.pn.Nodes(); !slices.Equal(got, []string{"a"}) {
		t.Errorf("proc.nodes() on b = %v, want a only", got)
	}
	if _, err := h.Node().Connect(t.Context(), "nowhere"); !errors.Is(err, ErrNotConnected) {
		t.Errorf("Connect to an unknown node: %v", err)
	}
}

// TestSignalReasonTooBig: an exit signal whose reason is too big for the
// receiving node still reaches it, with a reason that says so: a link
// must not stay silent.
func TestSignalReasonTooBig(t *testing.T) {
	small := func(c *Config) { c.MaxFrameSize = 64 << 10; c.MaxMessageSize = 1 << 20 }
	a, b := newBoundWith(t, "a", small), newBoundWith(t, "b", small)
	if _, err := a.qn.JoinMesh(t.Context(), b.qn.Addr().String()); err != nil {
		t.Fatal(err)
	}
	got := make(chan proc.Value, 1)
	watcher, _, err := b.pn.Spawn(nil, proc.SpawnOpts{}, func(p *proc.Process) proc.Value {
		p.TrapExit(true)
		if m, err := waitFor(p, "EXIT"); err == nil {
			got <- m.Get("reason")
		}
		return proc.Normal
	})
	if err != nil {
		t.Fatal(err)
	}
	a.pn.Spawn(nil, proc.SpawnOpts{}, func(p *proc.Process) proc.Value {
		p.Exit(watcher, strings.Repeat("r", 2<<20))
		return proc.Normal
	})
	reason, _ := recv(t, got).(string)
	if !strings.Contains(reason, "too big for node b") {
		t.Errorf("reason %q, want one that says the real one was too big", reason)
	}
}

// newBoundWith is newBound with changes to the Config.
func newBoundWith(t *testing.T, name string, mod func(*Config)) *boundNode {
	t.Helper()
	pn := proc.NewNode(proc.Config{Name: name})
	cfg := Config{Cookie: testCookie, Listen: "127.0.0.1:0"}
	mod(&cfg)
	qn, err := Bind(pn, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := qn.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		pn.Shutdown(ctx, proc.Kill)
		qn.Close()
	})
	return &boundNode{pn: pn, qn: qn}
}
