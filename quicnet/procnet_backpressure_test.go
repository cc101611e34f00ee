package quicnet

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dlua/dlua/proc"
)

// newBoundQueue is newBound with a send queue of size bytes; full is
// closed once a message waits for room in a queue of the node.
func newBoundQueue(t *testing.T, name string, size int) (*boundNode, chan struct{}) {
	t.Helper()
	pn := proc.NewNode(proc.Config{Name: name})
	qn, err := Bind(pn, Config{
		Cookie:        testCookie,
		Listen:        "127.0.0.1:0",
		IdleTimeout:   5 * time.Second,
		SendQueueSize: size,
	})
	if err != nil {
		t.Fatal(err)
	}
	full := make(chan struct{})
	var once sync.Once
	qn.onQueueFull = func(string, class) { once.Do(func() { close(full) }) }
	if err := qn.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		qn.Close() // first: unblocks any sender stuck on a full queue
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := pn.Shutdown(ctx, proc.Kill); err != nil {
			t.Errorf("proc shutdown of %s: %v", name, err)
		}
	})
	return &boundNode{pn: pn, qn: qn}, full
}

// Two nodes with a tiny send queue flood each other with big messages
// while their processes link to and monitor dead pids of the other node:
// every noproc reply is sent from the receiving node's reader, and must
// arrive although both queues are full all the time (a reader that
// waited for room in its own peer's queue could block both readers, and
// then both writers on flow control, for good).
func TestBackPressureRepliesFromReader(t *testing.T) {
	const (
		queue    = 1 << 10 // one big message fills it
		payload  = 4 << 10
		flooders = 3
		watchers = 3
		each     = 300 // monitors and links per watcher
	)
	a, fullA := newBoundQueue(t, "a", queue)
	b, fullB := newBoundQueue(t, "b", queue)
	if _, err := a.qn.Join(t.Context(), b.qn.Addr().String()); err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", payload)
	var stop atomic.Bool
	defer stop.Store(true)
	sink := func(n *boundNode) proc.PID {
		pid, _, err := n.pn.Spawn(nil, proc.SpawnOpts{}, func(p *proc.Process) proc.Value {
			for {
				if _, err := p.Receive(-1, nil); err != nil {
					return proc.Normal
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		return pid
	}
	sinkA, sinkB := sink(a), sink(b)
	flood := func(n *boundNode, to proc.PID) {
		for range flooders {
			_, _, err := n.pn.Spawn(nil, proc.SpawnOpts{}, func(p *proc.Process) proc.Value {
				for !stop.Load() {
					p.Send(to, big)
				}
				return proc.Normal
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	flood(a, sinkB)
	flood(b, sinkA)
	// The queues are full (flooders wait for room) before the replies are
	// needed, and stay full while they are: the flooders never stop.
	recv(t, fullA)
	recv(t, fullB)

	var wg sync.WaitGroup
	errs := make(chan error, 2*watchers)
	watch := func(n, other *boundNode) {
		for w := range watchers {
			wg.Add(1)
			_, _, err := n.pn.Spawn(nil, proc.SpawnOpts{}, func(p *proc.Process) proc.Value {
				defer wg.Done()
				p.TrapExit(true)
				dead := func(i int) proc.PID {
					return proc.PID{Node: other.pn.Name(), ID: uint64(1<<40 + w*each + i), Creation: other.pn.Creation()}
				}
				for i := range each {
					p.Monitor(dead(i))
					p.Link(dead(i))
				}
				downs, exits := 0, 0
				end := time.Now().Add(20 * time.Second)
				for downs < each || exits < each {
					left := time.Until(end)
					if left <= 0 {
						errs <- fmt.Errorf("%s watcher %d: %d/%d DOWN, %d/%d EXIT after 20s", n.pn.Name(), w, downs, each, exits, each)
						return proc.Normal
					}
					e, err := p.Receive(left, nil)
					if err != nil {
						continue
					}
					m, ok := e.V.(*proc.Table)
					if !ok {
						continue
					}
					switch m.Get("tag") {
					case "DOWN":
						if m.Get("reason") != proc.NoProc {
							errs <- fmt.Errorf("DOWN reason %v", m.Get("reason"))
							return proc.Normal
						}
						downs++
					case "EXIT":
						if m.Get("reason") != proc.NoProc {
							errs <- fmt.Errorf("EXIT reason %v", m.Get("reason"))
							return proc.Normal
						}
						exits++
					}
				}
				return proc.Normal
			})
			if err != nil {
				wg.Done()
				t.Fatal(err)
			}
		}
	}
	watch(a, b)
	watch(b, a)
	wg.Wait()
	stop.Store(true)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := a.pn.Nodes(); len(got) != 1 {
		t.Errorf("a.Nodes() after the flood = %v", got)
	}
}
