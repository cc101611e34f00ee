package quicnet

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/dlua/dlua/proc"
)

var testCookie = []byte("test cookie: 32 bytes of secret.")

type received struct {
	from Peer
	f    *Frame
}

// recorder is a Handler that records what it receives on channels, and a
// slog.Handler that records warnings.
type recorder struct {
	events chan NodeEvent
	frames chan received
	warns  chan slog.Record
}

func newRecorder() *recorder {
	return &recorder{
		events: make(chan NodeEvent, 100),
		frames: make(chan received, 100000),
		warns:  make(chan slog.Record, 100),
	}
}

func (r *recorder) HandleFrame(from Peer, f *Frame) { r.frames <- received{from, f} }
func (r *recorder) HandleNodeEvent(ev NodeEvent)    { r.events <- ev }

// waitEvent returns the next event of kind k about node name, skipping
// others.
func (r *recorder) waitEvent(t *testing.T, k EventKind, name string) NodeEvent {
	t.Helper()
	for {
		ev := recv(t, r.events)
		if ev.Kind == k && ev.Peer.Name == name {
			return ev
		}
		t.Logf("skipping event %v %s (%v)", ev.Kind, ev.Peer.Name, ev.Err)
	}
}

// hangGuard turns a wait that never ends into a test failure. It is not
// an assertion on timing: every wait in these tests ends in milliseconds.
const hangGuard = time.Minute

// recv receives from ch, failing the test if nothing comes within the
// hang guard.
func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(hangGuard):
		t.Fatalf("nothing received within %v", hangGuard)
		panic("unreachable")
	}
}

// waitWarn returns the next warning whose reason wraps target.
func (r *recorder) waitWarn(t *testing.T, msg string, target error) slog.Record {
	t.Helper()
	for {
		rec := recv(t, r.warns)
		if rec.Message != msg {
			continue
		}
		var match bool
		rec.Attrs(func(a slog.Attr) bool {
			if err, ok := a.Value.Any().(error); ok && a.Key == "reason" && errors.Is(err, target) {
				match = true
			}
			return true
		})
		if match {
			return rec
		}
		t.Logf("skipping warning %s", rec.Message)
	}
}

// logHandler passes records to the test log, and warnings to a recorder.
type logHandler struct {
	slog.Handler
	r *recorder
}

func (h logHandler) Handle(ctx context.Context, rec slog.Record) error {
	if rec.Level >= slog.LevelWarn {
		select {
		case h.r.warns <- rec.Clone():
		default:
		}
	}
	return h.Handler.Handle(ctx, rec)
}

func (h logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return logHandler{h.Handler.WithAttrs(as), h.r}
}

type testNode struct {
	*Node
	rec  *recorder
	hole *blackhole
}

// newNode starts a node on 127.0.0.1:0, closed when the test ends.
func newNode(t *testing.T, name string, mods ...func(*Config)) *testNode {
	t.Helper()
	rec := newRecorder()
	cfg := Config{
		Name:      name,
		Cookie:    testCookie,
		Listen:    "127.0.0.1:0",
		Handler:   rec,
		CodeCodec: fakeCodec{},
		Logger: slog.New(logHandler{slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}), rec}).
			With("at", name),
	}
	for _, m := range mods {
		m(&cfg)
	}
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tn := &testNode{Node: n, rec: rec, hole: &blackhole{}}
	n.wrapConn = func(pc net.PacketConn) net.PacketConn {
		tn.hole.PacketConn = pc
		return tn.hole
	}
	if err := n.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return tn
}

func (n *testNode) addr() string { return n.Addr().String() }

// blackhole is a PacketConn that can silently drop everything, as a
// killed or partitioned node would.
type blackhole struct {
	net.PacketConn
	on atomic.Bool
}

func (b *blackhole) WriteTo(p []byte, addr net.Addr) (int, error) {
	if b.on.Load() {
		return len(p), nil
	}
	return b.PacketConn.WriteTo(p, addr)
}

// SetReadBuffer and SetWriteBuffer let quic-go size the socket's buffers.
func (b *blackhole) SetReadBuffer(n int) error  { return b.PacketConn.(*net.UDPConn).SetReadBuffer(n) }
func (b *blackhole) SetWriteBuffer(n int) error { return b.PacketConn.(*net.UDPConn).SetWriteBuffer(n) }

func (b *blackhole) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, addr, err := b.PacketConn.ReadFrom(p)
		if err != nil || !b.on.Load() {
			return n, addr, err
		}
	}
}

// join joins b to a and waits until both sides saw NodeUp.
func join(t *testing.T, b, a *testNode) {
	t.Helper()
	p, err := b.Join(t.Context(), a.addr())
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != a.Name() || p.Creation != a.Creation() {
		t.Fatalf("joined %+v, want %s", p, a.Name())
	}
	a.rec.waitEvent(t, NodeUp, b.Name())
	b.rec.waitEvent(t, NodeUp, a.Name())
}

func pidOf(n *testNode, id uint64) proc.PID {
	return proc.PID{Node: n.Name(), ID: id, Creation: n.Creation()}
}

// exchange sends a frame from a to b and waits for it.
func exchange(t *testing.T, a, b *testNode, msg proc.Value) {
	t.Helper()
	f := &Frame{Kind: KindSend, From: pidOf(a, 1), To: pidOf(b, 2), Msg: msg}
	if err := a.Send(t.Context(), b.Name(), f); err != nil {
		t.Fatal(err)
	}
	for {
		r := recv(t, b.rec.frames)
		if r.from.Name != a.Name() {
			continue
		}
		if err := sameFrame(f, r.f); err != nil {
			t.Fatal(err)
		}
		return
	}
}

func TestConfig(t *testing.T) {
	t.Run("problems", func(t *testing.T) {
		_, err := New(Config{Name: "bad name", Cluster: "\x01", Listen: "nowhere:x", Advertise: "x",
			Cookie: []byte("short"), IdleTimeout: -1, KeepAlivePeriod: -1, HandshakeTimeout: -1,
			MaxFrameSize: 10, MaxDepth: -1, SendQueueSize: -1})
		var ce *ConfigError
		if !errors.As(err, &ce) {
			t.Fatalf("got %v", err)
		}
		if len(ce.Problems) != 11 {
			t.Errorf("got %d problems, want 11: %v", len(ce.Problems), err)
		}
	})
	t.Run("defaults", func(t *testing.T) {
		cookie := []byte("0123456789abcdef")
		n, err := New(Config{Name: "a", Cookie: cookie})
		if err != nil {
			t.Fatal(err)
		}
		cookie[0] = 'X' // the node keeps its own copy
		c := n.cfg
		if c.Cluster != DefaultCluster || c.Listen != DefaultListen || c.IdleTimeout != DefaultIdleTimeout ||
			c.KeepAlivePeriod != DefaultIdleTimeout/3 || c.HandshakeTimeout != DefaultHandshakeTimeout ||
			c.MaxFrameSize != DefaultMaxFrameSize || c.MaxDepth != DefaultMaxDepth ||
			c.SendQueueSize != DefaultSendQueueSize || c.Creation == 0 || c.Cookie[0] != '0' {
			t.Errorf("defaults not filled: %+v", c)
		}
		if _, err := n.Join(t.Context(), "127.0.0.1:1"); !errors.Is(err, ErrNotStarted) {
			t.Errorf("Join before Start: %v", err)
		}
		if err := n.Close(); err != nil {
			t.Error(err)
		}
		if err := n.Start(t.Context()); !errors.Is(err, ErrClosed) {
			t.Errorf("Start after Close: %v", err)
		}
	})
}

func TestHandshake(t *testing.T) {
	a := newNode(t, "a")
	b := newNode(t, "b")
	join(t, b, a)
	if got := a.Nodes(); len(got) != 1 || got[0] != "b" {
		t.Errorf("a.Nodes() = %v", got)
	}
	if got := b.Peers(); len(got) != 1 || got[0].Name != "a" || got[0].Addr != a.addr() || got[0].Creation != a.Creation() {
		t.Errorf("b.Peers() = %+v", got)
	}
	exchange(t, a, b, "hello")
	exchange(t, b, a, tbl("hi", pidOf(b, 9)))
	if _, err := a.Ping(t.Context(), "b"); err != nil {
		t.Error(err)
	}
	// Joining again is a no-op.
	p, err := b.Join(t.Context(), a.addr())
	if err != nil || p.Name != "a" {
		t.Errorf("second join: %+v, %v", p, err)
	}
	exchange(t, a, b, "still one connection")
	if got := len(b.Nodes()); got != 1 {
		t.Errorf("b has %d peers", got)
	}
}

// TestRefused checks that peers that fail the handshake are refused with a
// logged reason, never reach the handler, and that the node goes on.
func TestRefused(t *testing.T) {
	tests := []struct {
		name    string
		mod     func(*Config)
		joinErr error // what the joiner gets
		logged  error // what the acceptor logs
	}{
		{"wrong cookie", func(c *Config) { c.Cookie = []byte("another cookie of 32 bytes......") }, ErrRefused, ErrAuth},
		{"wrong cluster", func(c *Config) { c.Cluster = "other" }, ErrRefused, ErrCluster},
		{"same name", func(c *Config) { c.Name = "a" }, ErrRefused, ErrSelf},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newNode(t, "a")
			bad := newNode(t, "bad", tt.mod)
			_, err := bad.Join(t.Context(), a.addr())
			if !errors.Is(err, tt.joinErr) {
				t.Fatalf("join: %v, want %v", err, tt.joinErr)
			}
			var he *HandshakeError
			if !errors.As(err, &he) {
				t.Errorf("join error is %T", err)
			}
			a.rec.waitWarn(t, "peer refused", tt.logged)
			good := newNode(t, "good")
			join(t, good, a)
			exchange(t, good, a, "after the refusal")
			if got := a.Nodes(); len(got) != 1 || got[0] != "good" {
				t.Errorf("a.Nodes() = %v", got)
			}
			// The first event a saw was good's NodeUp: bad never reached it.
			select {
			case ev := <-a.rec.events:
				t.Errorf("unexpected event %v %s", ev.Kind, ev.Peer.Name)
			default:
			}
		})
	}
}

// TestWrongALPN: a plain QUIC client with another ALPN is refused in the
// TLS handshake, and logged.
func TestWrongALPN(t *testing.T) {
	a := newNode(t, "a")
	tlsConf := &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h3"}}
	c, err := quic.DialAddr(t.Context(), a.addr(), tlsConf, nil)
	if err == nil {
		c.CloseWithError(0, "")
		t.Fatal("dial with ALPN h3 succeeded")
	}
	a.rec.waitWarn(t, "peer refused", ErrVersion)
	b := newNode(t, "b")
	join(t, b, a)
	exchange(t, b, a, "after ALPN")
}

// TestHandshakeGarbage: a QUIC client with the right ALPN that sends
// garbage instead of a hello is refused.
func TestHandshakeGarbage(t *testing.T) {
	a := newNode(t, "a")
	tlsConf := &tls.Config{InsecureSkipVerify: true, NextProtos: []string{ALPN}}
	for _, raw := range [][]byte{
		{0, 0, 0, 3, 0xff, 0xff, 0xff},                // not CBOR
		{0xff, 0xff, 0xff, 0xff},                      // a 4 GiB hello
		appendFrame(nil, []byte{0xa1, 0x01, 0x18, 2}), // hello of version 2, nothing else
	} {
		c, err := quic.DialAddr(t.Context(), a.addr(), tlsConf, nil)
		if err != nil {
			t.Fatal(err)
		}
		s, err := c.OpenStreamSync(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		s.Write(raw)
		_, err = s.Read(make([]byte, 1))
		var ae *quic.ApplicationError
		if !errors.As(err, &ae) || ae.ErrorCode != codeRefused {
			t.Errorf("read after % x: %v", raw, err)
		}
		c.CloseWithError(0, "")
	}
	b := newNode(t, "b")
	join(t, b, a)
}

// inject queues raw bytes (not length-prefixed) on n's connection to peer.
func inject(t *testing.T, n *testNode, peer string, raw []byte) {
	t.Helper()
	n.mu.Lock()
	p := n.peers[peer]
	n.mu.Unlock()
	if p == nil {
		t.Fatalf("%s has no peer %s", n.Name(), peer)
	}
	p.mu.Lock()
	p.segs = append(p.segs, raw)
	p.queued += len(raw)
	p.mu.Unlock()
	p.wake <- struct{}{}
}

// TestBadFrames: a peer that sends a bad frame is disconnected with a
// *FrameError, and the node goes on with its other peers.
func TestBadFrames(t *testing.T) {
	frameOf := func(f *Frame) []byte {
		b, err := testCodec(t).encodeT(f)
		if err != nil {
			t.Fatal(err)
		}
		return appendFrame(nil, b)
	}
	var chain proc.Value = "deep"
	for range 10 {
		chain = tbl(chain)
	}
	tests := []struct {
		name string
		raw  func(a, b *testNode) []byte
		want error
	}{
		{"garbage", func(a, b *testNode) []byte { return appendFrame(nil, []byte("garbage!")) }, ErrMalformed},
		{"empty frame", func(a, b *testNode) []byte { return appendFrame(nil, nil) }, ErrMalformed},
		{"unknown kind", func(a, b *testNode) []byte { return appendFrame(nil, rawFrame(t, map[int]any{1: 77})) }, ErrUnknownKind},
		{"too big", func(a, b *testNode) []byte { return []byte{0x7f, 0xff, 0xff, 0xff} }, ErrFrameTooBig},
		{"too deep", func(a, b *testNode) []byte {
			return frameOf(&Frame{Kind: KindSend, To: pidOf(a, 1), Msg: chain}) // a allows 5
		}, ErrTooDeep},
		{"forged sender", func(a, b *testNode) []byte {
			return frameOf(&Frame{Kind: KindSend, From: proc.PID{Node: "c", ID: 1, Creation: 1}, To: pidOf(a, 1)})
		}, ErrForeign},
		{"old incarnation as sender", func(a, b *testNode) []byte {
			return frameOf(&Frame{Kind: KindSend, From: proc.PID{Node: "b", ID: 1, Creation: b.Creation() + 1}, To: pidOf(a, 1)})
		}, ErrForeign},
		{"receiver elsewhere", func(a, b *testNode) []byte {
			return frameOf(&Frame{Kind: KindSend, To: proc.PID{Node: "c", ID: 1, Creation: 1}})
		}, ErrForeign},
		{"bad gossip", func(a, b *testNode) []byte {
			return appendFrame(nil, rawFrame(t, map[int]any{1: int(KindNodes), 13: []any{[]any{"x", "no port"}}}))
		}, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newNode(t, "a", func(c *Config) { c.MaxDepth = 5; c.MaxFrameSize = 64 << 10 })
			b := newNode(t, "b")
			c := newNode(t, "c")
			join(t, b, a)
			join(t, c, a)
			b.rec.waitEvent(t, NodeUp, "c") // gossip: the mesh is complete
			exchange(t, b, a, "before")
			inject(t, b, "a", tt.raw(a, b))
			ev := a.rec.waitEvent(t, NodeDown, "b")
			var fe *FrameError
			if !errors.As(ev.Err, &fe) || !errors.Is(ev.Err, tt.want) {
				t.Fatalf("NodeDown reason %v, want a *FrameError wrapping %v", ev.Err, tt.want)
			}
			if fe.Peer != "b" || !fe.Decode {
				t.Errorf("FrameError %+v", fe)
			}
			a.rec.waitWarn(t, "closing connection: bad frame", tt.want)
			b.rec.waitEvent(t, NodeDown, "a")
			exchange(t, c, a, "a goes on")
			exchange(t, a, c, "both ways")
			exchange(t, b, c, "b and c go on")
			// b may be back already: gossip from c tells it of a again, and
			// it dials a fresh connection. c must never have left.
			if got := a.Nodes(); !slices.Contains(got, "c") {
				t.Errorf("a.Nodes() = %v, want c among them", got)
			}
		})
	}
}

// waitNodes waits until n has seen NodeUp of every name.
func waitNodes(t *testing.T, n *testNode, names ...string) {
	t.Helper()
	want := map[string]bool{}
	for _, name := range names {
		want[name] = true
	}
	for len(want) > 0 {
		ev := recv(t, n.rec.events)
		if ev.Kind != NodeUp {
			t.Fatalf("%s: unexpected %v %s: %v", n.Name(), ev.Kind, ev.Peer.Name, ev.Err)
		}
		if !want[ev.Peer.Name] {
			t.Fatalf("%s: unexpected or second NodeUp %s", n.Name(), ev.Peer.Name)
		}
		delete(want, ev.Peer.Name)
	}
}

func TestFullMesh(t *testing.T) {
	nodes := []*testNode{newNode(t, "a"), newNode(t, "b"), newNode(t, "c"), newNode(t, "d")}
	// b joins a; c joins b; d joins c: each learns the rest by gossip.
	for i := 1; i < len(nodes); i++ {
		if _, err := nodes[i].Join(t.Context(), nodes[i-1].addr()); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range nodes {
		var others []string
		for _, m := range nodes {
			if m != n {
				others = append(others, m.Name())
			}
		}
		waitNodes(t, n, others...)
	}
	for _, n := range nodes {
		for _, m := range nodes {
			if n != m {
				exchange(t, n, m, "mesh")
			}
		}
		if got := n.Nodes(); len(got) != len(nodes)-1 {
			t.Errorf("%s.Nodes() = %v", n.Name(), got)
		}
	}
}

// TestSimultaneousJoin: two nodes joining each other at once end with one
// connection, the same on both sides.
func TestSimultaneousJoin(t *testing.T) {
	for i := range 10 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			a := newNode(t, "a")
			b := newNode(t, "b")
			var wg sync.WaitGroup
			errs := make([]error, 2)
			wg.Go(func() { _, errs[0] = a.Join(t.Context(), b.addr()) })
			wg.Go(func() { _, errs[1] = b.Join(t.Context(), a.addr()) })
			wg.Wait()
			if errs[0] != nil && errs[1] != nil {
				t.Fatalf("both joins failed: %v; %v", errs[0], errs[1])
			}
			waitNodes(t, a, "b")
			waitNodes(t, b, "a")
			exchange(t, a, b, "one")
			exchange(t, b, a, "two")
			if _, err := a.Ping(t.Context(), "b"); err != nil {
				t.Fatal(err)
			}
			select {
			case ev := <-a.rec.events:
				t.Errorf("a: unexpected %v %s: %v", ev.Kind, ev.Peer.Name, ev.Err)
			case ev := <-b.rec.events:
				t.Errorf("b: unexpected %v %s: %v", ev.Kind, ev.Peer.Name, ev.Err)
			default:
			}
		})
	}
}

// TestNodeDownClose: a peer that closes is reported down at once.
func TestNodeDownClose(t *testing.T) {
	a := newNode(t, "a")
	b := newNode(t, "b")
	join(t, b, a)
	b.Close()
	ev := a.rec.waitEvent(t, NodeDown, "b")
	if !errors.Is(ev.Err, ErrPeerShutdown) {
		t.Errorf("reason %v", ev.Err)
	}
	ev = b.rec.waitEvent(t, NodeDown, "a")
	if !errors.Is(ev.Err, ErrClosed) {
		t.Errorf("b's own reason %v", ev.Err)
	}
	if err := a.Send(t.Context(), "b", &Frame{Kind: KindSend}); !errors.Is(err, ErrNotConnected) {
		t.Errorf("send to b: %v", err)
	}
	if err := b.Send(t.Context(), "a", &Frame{Kind: KindSend}); !errors.Is(err, ErrClosed) {
		t.Errorf("send from closed b: %v", err)
	}
}

// TestNewIncarnation: a restarted node (same name, new creation) replaces
// the old connection that the other side has not seen die yet.
func TestNewIncarnation(t *testing.T) {
	a := newNode(t, "a")
	b1 := newNode(t, "b", func(c *Config) { c.Creation = 1 })
	join(t, b1, a)
	b1.hole.on.Store(true) // b1 dies silently; a has not noticed
	b2 := newNode(t, "b", func(c *Config) { c.Creation = 2 })
	if _, err := b2.Join(t.Context(), a.addr()); err != nil {
		t.Fatal(err)
	}
	ev := a.rec.waitEvent(t, NodeDown, "b")
	if ev.Peer.Creation != 1 || !errors.Is(ev.Err, ErrReplaced) {
		t.Errorf("NodeDown %+v", ev)
	}
	ev = a.rec.waitEvent(t, NodeUp, "b")
	if ev.Peer.Creation != 2 {
		t.Errorf("NodeUp %+v", ev)
	}
	exchange(t, b2, a, "new life")
}

// TestOrdering: frames from one sender arrive in the order sent, with
// several senders at once.
func TestOrdering(t *testing.T) {
	const senders, perSender = 4, 5000
	a := newNode(t, "a")
	b := newNode(t, "b")
	join(t, b, a)
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			for i := range perSender {
				f := &Frame{Kind: KindSend, From: pidOf(b, uint64(s+1)), To: pidOf(a, 1), Msg: tbl(float64(i), "payload")}
				if err := b.Send(t.Context(), "a", f); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	next := make([]int, senders)
	for range senders * perSender {
		r := recv(t, a.rec.frames)
		s := int(r.f.From.ID) - 1
		got := int(r.f.Msg.(*proc.Table).Array[0].(float64))
		if got != next[s] {
			t.Fatalf("sender %d: got frame %d, want %d", s, got, next[s])
		}
		next[s]++
	}
	wg.Wait()
}

// TestShutdownFlushes: Shutdown sends what is queued before closing.
func TestShutdownFlushes(t *testing.T) {
	const n = 2000
	a := newNode(t, "a")
	b := newNode(t, "b")
	join(t, b, a)
	for i := range n {
		if err := b.Send(t.Context(), "a", &Frame{Kind: KindSend, To: pidOf(a, 1), Msg: float64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		r := recv(t, a.rec.frames)
		if r.f.Msg != float64(i) {
			t.Fatalf("frame %d: %v", i, r.f.Msg)
		}
	}
	ev := a.rec.waitEvent(t, NodeDown, "b")
	if !errors.Is(ev.Err, ErrPeerShutdown) {
		t.Errorf("reason %v", ev.Err)
	}
}

// TestSendQueueBlocks: Send blocks while the queue is full (here: it
// returns the error of its already cancelled context), and goes on once
// the peer reads again.
func TestSendQueueBlocks(t *testing.T) {
	release := make(chan struct{})
	a := newNode(t, "a", func(c *Config) { c.SendQueueSize = 64 << 10 })
	// b's handler blocks, so a's frames pile up: in b's flow-control window,
	// then in a's queue.
	var blockOnce sync.Once
	b := newNode(t, "b", func(c *Config) {
		rec := c.Handler.(*recorder)
		c.Handler = HandlerFuncs{
			Frame: func(from Peer, f *Frame) {
				blockOnce.Do(func() { <-release })
				rec.HandleFrame(from, f)
			},
			Event: rec.HandleNodeEvent,
		}
	})
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	join(t, a, b)
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	big := string(make([]byte, 32<<10))
	sent := 0
	var err error
	for err == nil {
		err = a.Send(cancelled, "b", &Frame{Kind: KindSend, To: pidOf(b, 1), Msg: big})
		if err == nil {
			sent++
		}
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("send on a full queue: %v", err)
	}
	close(release)
	if err := a.Send(t.Context(), "b", &Frame{Kind: KindSend, To: pidOf(b, 1), Msg: "last"}); err != nil {
		t.Fatal(err)
	}
	for range sent {
		recv(t, b.rec.frames)
	}
	if r := recv(t, b.rec.frames); r.f.Msg != "last" {
		t.Errorf("last frame %v", r.f.Msg)
	}
}

func TestSendErrors(t *testing.T) {
	a := newNode(t, "a")
	b := newNode(t, "b", func(c *Config) { c.CodeCodec = nil })
	join(t, b, a)
	tests := []struct {
		name string
		node string
		f    *Frame
		want error
	}{
		{"unknown node", "zz", &Frame{Kind: KindSend}, ErrNotConnected},
		{"internal kind", "a", &Frame{Kind: KindPing}, ErrUnsendable},
		{"unknown kind", "a", &Frame{Kind: 99}, ErrUnknownKind},
		{"foreign sender", "a", &Frame{Kind: KindSend, From: proc.PID{Node: "a", ID: 1, Creation: 1}}, ErrForeign},
		{"receiver elsewhere", "a", &Frame{Kind: KindSend, To: proc.PID{Node: "b", ID: 1}}, ErrForeign},
		{"code without codec", "a", &Frame{Kind: KindSend, Msg: &proc.Func{Code: fakeCode{"f"}}}, ErrUnsendable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := b.Send(t.Context(), tt.node, tt.f)
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
	exchange(t, b, a, &proc.Func{Name: "print"}) // builtins travel without a codec
}

func TestFunctionsTravel(t *testing.T) {
	a := newNode(t, "a")
	b := newNode(t, "b")
	join(t, b, a)
	f := &proc.Func{Code: fakeCode{"return n"}}
	v := &proc.Cell{V: tbl("shared variable")}
	f.Upvalues = []*proc.Cell{{V: f}, v}
	g := &proc.Func{Code: fakeCode{"return v"}, Upvalues: []*proc.Cell{v}}
	exchange(t, b, a, tbl(f, f, g))
}

// TestUDPGarbage: datagrams that are not QUIC, or QUIC-looking garbage,
// are dropped; the node goes on.
func TestUDPGarbage(t *testing.T) {
	a := newNode(t, "a")
	c, err := net.Dial("udp", a.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 500 {
		p := make([]byte, 1+i%1300)
		for j := range p {
			p[j] = byte(i*31 + j*7)
		}
		if i%2 == 0 {
			p[0] = 0xc0 // a long-header QUIC packet's first bits
		}
		c.Write(p)
	}
	b := newNode(t, "b")
	join(t, b, a)
	exchange(t, b, a, "after the flood")
}
