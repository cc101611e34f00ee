package quicnet

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/testutils/simnet"
)

// Transport timeouts are tested on quic-go's simulated network inside a
// synctest bubble: time is the bubble's, so a timeout of seconds passes
// at once and exactly.

// cutRouter is a router whose links to some addresses can be cut.
type cutRouter struct {
	simnet.PerfectRouter
	mu  sync.Mutex
	cut map[string]bool
}

func (r *cutRouter) SendPacket(p simnet.Packet) error {
	r.mu.Lock()
	drop := r.cut[p.From.String()] || r.cut[p.To.String()]
	r.mu.Unlock()
	if drop {
		return nil
	}
	return r.PerfectRouter.SendPacket(p)
}

// isolate drops every packet from and to addr, as a killed or partitioned
// node would.
func (r *cutRouter) isolate(addr string) {
	r.mu.Lock()
	r.cut[addr] = true
	r.mu.Unlock()
}

// simNet is a simulated network for the nodes of one bubble.
type simNet struct {
	t      *testing.T
	router *cutRouter
	net    *simnet.Simnet
	next   byte
}

func newSimNet(t *testing.T) *simNet {
	r := &cutRouter{cut: map[string]bool{}}
	s := &simNet{t: t, router: r, net: &simnet.Simnet{Router: r}, next: 1}
	t.Cleanup(func() { s.net.Close() })
	return s
}

// endpoint returns a new address on the network and its packet conn.
func (s *simNet) endpoint() (*net.UDPAddr, *simnet.SimConn) {
	addr := &net.UDPAddr{IP: net.IPv4(10, 0, 0, s.next), Port: 7000}
	s.next++
	c := s.net.NewEndpoint(addr, simnet.NodeBiDiLinkSettings{Latency: time.Millisecond})
	return addr, c
}

// node starts a node on the network; call start after every endpoint is
// made.
func (s *simNet) node(name string, mods ...func(*Config)) *testNode {
	t := s.t
	rec := newRecorder()
	addr, conn := s.endpoint()
	cfg := Config{
		Name: name, Cookie: testCookie, Listen: addr.String(), Handler: rec, CodeCodec: fakeCodec{},
		Logger: slog.New(logHandler{slog.NewTextHandler(t.Output(), nil), rec}),
	}
	for _, m := range mods {
		m(&cfg)
	}
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	n.listenPacket = func() (net.PacketConn, error) { return conn, nil }
	tn := &testNode{Node: n, rec: rec}
	t.Cleanup(func() { n.Close() })
	return tn
}

func (s *simNet) start(nodes ...*testNode) {
	if err := s.net.Start(); err != nil {
		s.t.Fatal(err)
	}
	for _, n := range nodes {
		if err := n.Start(s.t.Context()); err != nil {
			s.t.Fatal(err)
		}
	}
}

// TestNodeDownSilent: a peer that goes silent (killed, partitioned) is
// reported down once the idle timeout has passed, and the node goes on.
func TestNodeDownSilent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sn := newSimNet(t)
		idle := func(c *Config) { c.IdleTimeout = 3 * time.Second }
		a, b, c := sn.node("a", idle), sn.node("b", idle), sn.node("c", idle)
		sn.start(a, b, c)
		join(t, b, a)
		join(t, c, a)
		synctest.Wait()
		cut := time.Now()
		sn.router.isolate(b.Addr().String())
		ev := a.rec.waitEvent(t, NodeDown, "b")
		var idleErr *quic.IdleTimeoutError
		if !errors.As(ev.Err, &idleErr) {
			t.Errorf("reason %v, want an idle timeout", ev.Err)
		}
		if d := time.Since(cut); d < 2*time.Second || d > 4*time.Second {
			t.Errorf("NodeDown %v after the cut, want about the idle timeout (3s)", d)
		}
		if _, err := a.Ping(t.Context(), "b"); !errors.Is(err, ErrNotConnected) {
			t.Errorf("ping b: %v", err)
		}
		exchange(t, c, a, "a goes on")
	})
}

// TestHandshakeTimeout: a QUIC client with the right ALPN that never says
// hello is refused once the handshake timeout passes.
func TestHandshakeTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sn := newSimNet(t)
		a := sn.node("a", func(c *Config) { c.HandshakeTimeout = 2 * time.Second })
		b := sn.node("b")
		_, conn := sn.endpoint()
		sn.start(a, b)
		tr := &quic.Transport{Conn: conn}
		defer tr.Close()
		tlsConf := &tls.Config{InsecureSkipVerify: true, NextProtos: []string{ALPN}}
		start := time.Now()
		c, err := tr.Dial(t.Context(), a.Addr(), tlsConf, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseWithError(0, "")
		s, err := c.OpenStreamSync(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Write([]byte{0, 0}); err != nil { // half a length prefix
			t.Fatal(err)
		}
		a.rec.waitWarn(t, "peer refused", context.DeadlineExceeded)
		// The timeout runs from the first packet, a Retry's round trip
		// after the dial started.
		if d := time.Since(start); d < 2*time.Second || d > 2*time.Second+10*time.Millisecond {
			t.Errorf("refused %v after the dial, want the handshake timeout (2s)", d)
		}
		join(t, b, a)
	})
}

// TestBusyPeerSim: a peer whose reader stops is disconnected after
// BusyTimeout without progress, not before; its senders are released.
func TestBusyPeerSim(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sn := newSimNet(t)
		release := make(chan struct{})
		a := sn.node("a", func(c *Config) {
			c.BusyTimeout = 10 * time.Second
			c.SendQueueSize = 64 << 10
			c.IdleTimeout = time.Minute
		})
		b := sn.node("b", func(c *Config) {
			rec := c.Handler.(*recorder)
			c.IdleTimeout = time.Minute
			c.Handler = HandlerFuncs{
				Frame: func(Peer, *Frame) { <-release },
				Event: rec.HandleNodeEvent,
			}
		})
		sn.start(a, b)
		defer close(release)
		join(t, a, b)
		big := strings.Repeat("z", 256<<10)
		sendErr := make(chan error, 1)
		go func() {
			var err error
			for err == nil {
				err = a.Send(t.Context(), "b", &Frame{Kind: KindSend, To: pidOf(b, 1), Msg: big})
			}
			sendErr <- err
		}()
		synctest.Wait() // a's writer is stuck on flow control, its sender on the queue
		stuck := time.Now()
		ev := a.rec.waitEvent(t, NodeDown, "b")
		if !errors.Is(ev.Err, ErrBusy) {
			t.Errorf("NodeDown reason %v, want ErrBusy", ev.Err)
		}
		if d := time.Since(stuck); d < 9*time.Second {
			t.Errorf("disconnected %v after the peer stopped reading, want the busy timeout (10s)", d)
		}
		if err := recv(t, sendErr); !errors.Is(err, ErrNotConnected) {
			t.Errorf("the blocked sender got %v, want ErrNotConnected", err)
		}
	})
}
