package quicnet

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dlua/dlua/proc"
)

// benchPair starts nodes a and b on loopback, b joined to a; ha and hb
// handle their frames.
func benchPair(b *testing.B, ha, hb func(from Peer, f *Frame)) (na, nb *Node) {
	b.Helper()
	ups := make(chan string, 2)
	start := func(name string, h func(Peer, *Frame)) *Node {
		n, err := New(Config{
			Name: name, Cookie: testCookie, Listen: "127.0.0.1:0",
			Handler: HandlerFuncs{Frame: h, Event: func(ev NodeEvent) {
				if ev.Kind == NodeUp {
					ups <- name
				}
			}},
		})
		if err != nil {
			b.Fatal(err)
		}
		if err := n.Start(b.Context()); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { n.Close() })
		return n
	}
	na = start("a", ha)
	nb = start("b", hb)
	if _, err := nb.Join(b.Context(), na.Addr().String()); err != nil {
		b.Fatal(err)
	}
	<-ups
	<-ups
	return na, nb
}

// BenchmarkSend measures one-way throughput of small send frames from a
// to b: queued by Send, delivered to b's handler.
func BenchmarkSend(b *testing.B) {
	for _, bc := range []struct {
		name string
		msg  func(i int) proc.Value
	}{
		{"string", func(int) proc.Value { return "hello" }},
		{"table", func(i int) proc.Value {
			return &proc.Table{Hash: []proc.Field{{Key: "tag", Val: "data"}, {Key: "n", Val: float64(i)}}}
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var got atomic.Int64
			var want atomic.Int64
			want.Store(-1)
			done := make(chan struct{}, 1)
			na, nb := benchPair(b, nil, func(Peer, *Frame) {
				if got.Add(1) == want.Load() {
					done <- struct{}{}
				}
			})
			from := proc.PID{Node: "a", ID: 1, Creation: na.Creation()}
			to := proc.PID{Node: "b", ID: 2, Creation: nb.Creation()}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			want.Store(int64(b.N))
			for i := range b.N {
				if err := na.Send(ctx, "b", &Frame{Kind: KindSend, From: from, To: to, Msg: bc.msg(i)}); err != nil {
					b.Fatal(err)
				}
			}
			if got.Load() < int64(b.N) {
				<-done
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "frames/s")
		})
	}
}

// BenchmarkPing measures the round trip of a ping and its pong (both
// handled inside quicnet), with its median and 99th percentile.
func BenchmarkPing(b *testing.B) {
	na, _ := benchPair(b, nil, nil)
	rtts := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		rtt, err := na.Ping(b.Context(), "b")
		if err != nil {
			b.Fatal(err)
		}
		rtts = append(rtts, rtt)
	}
	b.StopTimer()
	slices.Sort(rtts)
	b.ReportMetric(float64(rtts[len(rtts)/2])/1e3, "p50-µs")
	b.ReportMetric(float64(rtts[len(rtts)*99/100])/1e3, "p99-µs")
}

// BenchmarkRoundTrip measures a send from a to b whose handler sends a
// reply back to a: a remote ping-pong as processes would see it.
func BenchmarkRoundTrip(b *testing.B) {
	replies := make(chan struct{}, 1)
	var nb atomic.Pointer[Node]
	na, n := benchPair(b,
		func(Peer, *Frame) { replies <- struct{}{} },
		func(from Peer, f *Frame) {
			reply := &Frame{Kind: KindSend, From: f.To, To: f.From, Msg: f.Msg}
			if err := nb.Load().Send(context.Background(), from.Name, reply); err != nil {
				b.Error(err)
			}
		})
	nb.Store(n)
	f := &Frame{Kind: KindSend, From: proc.PID{Node: "a", ID: 1, Creation: na.Creation()},
		To: proc.PID{Node: "b", ID: 2, Creation: n.Creation()}, Msg: "ping"}
	rtts := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if err := na.Send(b.Context(), "b", f); err != nil {
			b.Fatal(err)
		}
		<-replies
		rtts = append(rtts, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(rtts)
	b.ReportMetric(float64(rtts[len(rtts)/2])/1e3, "p50-µs")
	b.ReportMetric(float64(rtts[len(rtts)*99/100])/1e3, "p99-µs")
}

func benchFrame() *Frame {
	return &Frame{Kind: KindSend, From: proc.PID{Node: "a", ID: 1, Creation: 1}, To: proc.PID{Node: "b", ID: 2, Creation: 1},
		Msg: &proc.Table{Hash: []proc.Field{{Key: "tag", Val: "data"}, {Key: "n", Val: 42.0}}}}
}

func BenchmarkEncodeFrame(b *testing.B) {
	c := testCodec(b)
	f := benchFrame()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.encodeT(f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeFrame(b *testing.B) {
	c := testCodec(b)
	body, err := c.encodeT(benchFrame())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := c.decodeT(body); err != nil {
			b.Fatal(err)
		}
	}
}
