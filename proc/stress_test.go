package proc

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestStress runs many processes that send to each other, link and unlink,
// monitor and demonitor, trap exits, kill each other, spawn linked children,
// take names and set timers, all at once, while an observer inspects the
// node. Run it with -race. It checks that the collector hears every worker's
// DOWN (no deadlock, no lost DOWN) and that no process or goroutine is left.
func TestStress(t *testing.T) {
	const workers, ops = 64, 1000
	for seed := range uint64(3) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			base := runtime.NumGoroutine()
			n := newNode(t, Config{})

			stop := make(chan struct{})
			var observer sync.WaitGroup
			observer.Go(func() {
				rng := rand.New(rand.NewPCG(seed, 1<<32))
				for {
					select {
					case <-stop:
						return
					default:
					}
					for _, in := range n.Processes() {
						_ = in.Status.String()
					}
					n.Info(PID{Node: n.Name(), ID: rng.Uint64N(workers * 4), Creation: n.creation})
					n.WhereIs(fmt.Sprint("name", rng.IntN(4)))
					runtime.Gosched()
				}
			})

			var opsDone atomic.Int64
			collector := spawn(t, n, nil, SpawnOpts{}, func(p *Process) Value {
				refs := map[Ref]PID{}
				peers := &Table{}
				for i := range workers {
					pid, ref, err := n.Spawn(p, SpawnOpts{Monitor: true, MaxMailbox: 1000}, stressWorker(n, seed, i, ops, &opsDone))
					if err != nil {
						return err.Error()
					}
					refs[ref] = pid
					peers.Array = append(peers.Array, pid)
				}
				for _, w := range peers.Array {
					p.Send(w.(PID), peers)
				}
				for len(refs) > 0 {
					m, err := recvTable(p, tagged("DOWN"))
					if err != nil {
						return fmt.Sprintf("%d workers never went DOWN: %v", len(refs), err)
					}
					ref := m.Get("ref").(Ref)
					if refs[ref] != m.Get("pid") {
						return fmt.Sprintf("DOWN %v for %v: unknown or mismatched", ref, m.Get("pid"))
					}
					delete(refs, ref)
				}
				return Normal
			})
			if r := waitReason(t, n, collector); r != Normal {
				t.Fatal(r)
			}
			close(stop)
			observer.Wait()
			t.Logf("%d of %d operations done before the workers ended", opsDone.Load(), workers*ops)
			eventually(t, "every process to leave", func() bool { return n.Count() == 0 })
			if ps := n.Processes(); len(ps) != 0 {
				t.Errorf("processes left: %v", ps)
			}
			eventually(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= base })
		})
	}
}

func stressWorker(n *Node, seed uint64, i, ops int, opsDone *atomic.Int64) Body {
	return func(p *Process) Value {
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		m, err := recvTable(p, func(e *Entry) bool {
			t, ok := e.V.(*Table)
			return ok && len(t.Array) > 0
		})
		if err != nil {
			return Normal // killed before it started
		}
		// Most workers trap exits, so that a crash does not take every
		// linked worker down at once.
		p.TrapExit(i%4 != 0)
		peers := m.Array
		peer := func() PID { return peers[rng.IntN(len(peers))].(PID) }
		var refs []Ref
		var timers []Ref
		for op := range ops {
			if p.Killed() {
				return Normal
			}
			opsDone.Add(1)
			switch rng.IntN(16) {
			case 0, 1, 2, 3:
				p.Send(peer(), float64(op))
			case 4:
				p.Link(peer())
			case 5:
				p.Unlink(peer())
			case 6:
				refs = append(refs, p.Monitor(peer()))
			case 7:
				if len(refs) > 0 {
					p.Demonitor(refs[rng.IntN(len(refs))])
				}
			case 8:
				p.TrapExit(rng.IntN(8) != 0)
			case 9:
				for range 8 {
					if _, err := p.Receive(0, nil); err != nil {
						break
					}
				}
			case 10:
				// A short selective wait: only a bound, whatever arrives.
				_, err := p.Receive(time.Duration(rng.IntN(50))*time.Microsecond, tagged("DOWN"))
				if errors.Is(err, ErrKilled) {
					return Normal
				}
			case 11:
				if rng.IntN(32) == 0 {
					p.Exit(peer(), []Value{"boom", Normal, Kill}[rng.IntN(3)])
				}
			case 12:
				to := peer()
				reason := []Value{Normal, "child crashed"}[rng.IntN(2)]
				_, _, _ = n.Spawn(p, SpawnOpts{Link: rng.IntN(2) == 0, Monitor: rng.IntN(2) == 0}, func(c *Process) Value {
					c.Send(to, "from a child")
					return reason
				})
			case 13:
				name := fmt.Sprint("name", rng.IntN(4))
				switch rng.IntN(4) {
				case 0:
					_ = n.Register(name, p.PID())
				case 1:
					n.Unregister(name)
				case 2:
					_ = n.SendName(name, "by name")
				default:
					n.WhereIs(name)
				}
			case 14:
				timers = append(timers, n.SendAfter(time.Duration(rng.IntN(100))*time.Microsecond, peer(), "timer"))
				if rng.IntN(2) == 0 {
					n.CancelTimer(timers[rng.IntN(len(timers))])
				}
			case 15:
				p.Send(p.PID(), "self")
				p.MailboxLen()
				n.Info(peer())
			}
		}
		for {
			if _, err := p.Receive(0, nil); err != nil {
				break
			}
		}
		if rng.IntN(10) == 0 {
			return "crashed at the end"
		}
		return Normal
	}
}
