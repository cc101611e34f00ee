package proc

import (
	"context"
	"testing"
)

// benchNode returns a node that the benchmark shuts down when it ends.
func benchNode(b *testing.B) *Node {
	n := NewNode(Config{History: -1})
	b.Cleanup(func() {
		if err := n.Shutdown(context.Background(), Shutdown); err != nil {
			b.Error(err)
		}
	})
	return n
}

// BenchmarkSpawnExit spawns processes that return at once: the cost of one
// process's life, from Spawn to the end of its exit.
func BenchmarkSpawnExit(b *testing.B) {
	n := benchNode(b)
	body := func(*Process) Value { return Normal }
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := n.Spawn(nil, SpawnOpts{}, body); err != nil {
			b.Fatal(err)
		}
	}
	// Every process has ended (not only been started) before the clock stops.
	if err := n.Shutdown(context.Background(), Shutdown); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkPingPong: one round trip between two processes per op.
func BenchmarkPingPong(b *testing.B) {
	n := benchNode(b)
	ponger := spawn(b, n, nil, SpawnOpts{}, func(p *Process) Value {
		for {
			e, err := p.Receive(-1, nil)
			if err != nil {
				return Normal
			}
			from, ok := e.V.(PID)
			if !ok {
				return Normal
			}
			p.Send(from, "pong")
		}
	})
	start, done := make(chan struct{}), make(chan struct{})
	rounds := b.N
	spawn(b, n, nil, SpawnOpts{}, func(p *Process) Value {
		defer close(done)
		<-start
		for range rounds {
			p.Send(ponger, p.PID())
			if _, err := p.Receive(-1, nil); err != nil {
				b.Error(err)
				return err.Error()
			}
		}
		p.Send(ponger, "stop")
		return Normal
	})
	b.ReportAllocs()
	b.ResetTimer()
	close(start)
	<-done
	b.StopTimer()
}

// BenchmarkRing passes a token around a ring of 1000 processes: one hop
// (a send and a receive on another process) per op.
func BenchmarkRing(b *testing.B) {
	const size = 1000
	n := benchNode(b)
	done := make(chan struct{})
	pids := make([]PID, size)
	for i := range pids {
		pids[i] = spawn(b, n, nil, SpawnOpts{}, func(p *Process) Value {
			e, err := p.Receive(-1, nil)
			if err != nil {
				return err.Error()
			}
			next := e.V.(PID)
			for {
				e, err := p.Receive(-1, nil)
				if err != nil {
					return Normal // shut down
				}
				hops := e.V.(float64)
				if hops == 0 {
					close(done)
					continue
				}
				p.Send(next, hops-1)
			}
		})
	}
	for i, pid := range pids {
		n.Send(pid, pids[(i+1)%size])
	}
	b.ReportAllocs()
	b.ResetTimer()
	n.Send(pids[0], float64(b.N-1)) // the first hop is the injection itself
	<-done
	b.StopTimer()
}

// BenchmarkSendReceive: one-way messages from one process to another, one
// message per op.
func BenchmarkSendReceive(b *testing.B) {
	n := benchNode(b)
	count := b.N
	start, done := make(chan struct{}), make(chan struct{})
	recv := spawn(b, n, nil, SpawnOpts{}, func(p *Process) Value {
		defer close(done)
		for range count {
			if _, err := p.Receive(-1, nil); err != nil {
				b.Error(err)
				return err.Error()
			}
		}
		return Normal
	})
	spawn(b, n, nil, SpawnOpts{}, func(p *Process) Value {
		<-start
		for i := range count {
			p.Send(recv, float64(i))
		}
		return Normal
	})
	b.ReportAllocs()
	b.ResetTimer()
	close(start)
	<-done
	b.StopTimer()
}
