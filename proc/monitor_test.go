package proc

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
)

func TestMonitorDown(t *testing.T) {
	tests := []struct {
		name   string
		reason Value
		kill   bool
		want   Value
	}{
		{"normal", Normal, false, Normal},
		{"error", "boom", false, "boom"},
		{"killed", nil, true, Killed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNode(t, Config{})
			g := newGate(t)
			target := spawn(t, n, nil, SpawnOpts{}, func(q *Process) Value {
				if tt.kill {
					return blockForever(q)
				}
				<-g.ch
				return tt.reason
			})
			r := run(t, n, func(p *Process) Value {
				ref := p.Monitor(target)
				if in, _ := n.Info(p.PID()); !slices.Equal(in.Monitors, []PID{target}) {
					t.Errorf("watcher Monitors = %v", in.Monitors)
				}
				if in, _ := n.Info(target); !slices.Equal(in.MonitoredBy, []PID{p.PID()}) {
					t.Errorf("target MonitoredBy = %v", in.MonitoredBy)
				}
				if tt.kill {
					p.Exit(target, Kill)
				}
				g.open()
				m, err := recvTable(p, nil)
				if err != nil {
					return err.Error()
				}
				checkFields(t, "DOWN", m, map[string]Value{"tag": "DOWN", "ref": ref, "pid": target, "reason": tt.want})
				if in, _ := n.Info(p.PID()); len(in.Monitors) != 0 {
					t.Errorf("watcher Monitors after DOWN = %v", in.Monitors)
				}
				if p.Demonitor(ref) {
					t.Error("Demonitor after DOWN was received = true")
				}
				return Normal
			})
			if r != Normal {
				t.Error(r)
			}
		})
	}
}

func TestMonitorNotAlive(t *testing.T) {
	n := newNode(t, Config{Name: "alpha"})
	dead := spawn(t, n, nil, SpawnOpts{}, func(*Process) Value { return "gone" })
	waitReason(t, n, dead)
	tests := []struct {
		name   string
		target PID
		want   Value
	}{
		{"exited", dead, NoProc},
		{"never existed", PID{Node: "alpha", ID: 1 << 40, Creation: dead.Creation}, NoProc},
		{"earlier incarnation", PID{Node: "alpha", ID: dead.ID, Creation: dead.Creation + 1}, NoProc},
		{"unreachable node", PID{Node: "beta", ID: 1, Creation: 1}, NoConnection},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, n, func(p *Process) Value {
				ref := p.Monitor(tt.target)
				e, err := p.Receive(0, nil) // at once
				if err != nil {
					return err.Error()
				}
				checkFields(t, "DOWN", e.V.(*Table), map[string]Value{"tag": "DOWN", "ref": ref, "pid": tt.target, "reason": tt.want})
				if p.Demonitor(ref) {
					t.Error("Demonitor of a monitor that never was = true")
				}
				if in, _ := n.Info(p.PID()); len(in.Monitors) != 0 {
					t.Errorf("Monitors = %v", in.Monitors)
				}
				return Normal
			})
			if r != Normal {
				t.Error(r)
			}
		})
	}
	t.Run("again after DOWN", func(t *testing.T) {
		g := newGate(t)
		target := spawn(t, n, nil, SpawnOpts{}, gated(g, "first"))
		r := run(t, n, func(p *Process) Value {
			ref := p.Monitor(target)
			g.open()
			if _, err := recvTable(p, nil); err != nil {
				return err.Error()
			}
			ref2 := p.Monitor(target)
			if ref2 == ref {
				return "same ref twice"
			}
			e, err := p.Receive(0, nil)
			if err != nil {
				return err.Error()
			}
			checkFields(t, "second DOWN", e.V.(*Table), map[string]Value{"ref": ref2, "reason": NoProc})
			return Normal
		})
		if r != Normal {
			t.Error(r)
		}
	})
}

func TestMonitorTwice(t *testing.T) {
	n := newNode(t, Config{})
	g := newGate(t)
	target := spawn(t, n, nil, SpawnOpts{}, gated(g, "boom"))
	r := run(t, n, func(p *Process) Value {
		r1, r2 := p.Monitor(target), p.Monitor(target)
		if r1 == r2 {
			return "same ref"
		}
		g.open()
		got := map[Ref]bool{}
		for range 2 {
			m, err := recvTable(p, tagged("DOWN"))
			if err != nil {
				return err.Error()
			}
			got[m.Get("ref").(Ref)] = true
		}
		if !got[r1] || !got[r2] {
			return fmt.Sprint("DOWN refs ", got)
		}
		return Normal
	})
	if r != Normal {
		t.Error(r)
	}
}

func TestDemonitor(t *testing.T) {
	inBubble(t, Config{}, func(t *testing.T, n *Node) {
		g := newGate(t)
		step := make(chan struct{})
		target := spawn(t, n, nil, SpawnOpts{}, gated(g, "boom"))
		watcher := spawn(t, n, nil, SpawnOpts{}, func(p *Process) Value {
			ref := p.Monitor(target)
			if !p.Demonitor(ref) {
				t.Error("Demonitor of an active monitor = false")
			}
			if p.Demonitor(ref) {
				t.Error("second Demonitor = true")
			}
			if p.Demonitor(Ref{Node: "x", ID: 1}) {
				t.Error("Demonitor of an unknown ref = true")
			}
			<-step
			if _, err := p.Receive(0, nil); !errors.Is(err, ErrTimeout) {
				return fmt.Sprint("after Demonitor: Receive = ", err)
			}
			return Normal
		})
		synctest.Wait()
		if in, _ := n.Info(target); len(in.MonitoredBy) != 0 {
			t.Errorf("target MonitoredBy = %v after Demonitor", in.MonitoredBy)
		}
		if in, _ := n.Info(watcher); len(in.Monitors) != 0 {
			t.Errorf("watcher Monitors = %v after Demonitor", in.Monitors)
		}
		g.open()
		waitReason(t, n, target)
		synctest.Wait() // the target's exit has run to the end
		close(step)
		if r := waitReason(t, n, watcher); r != Normal {
			t.Error(r)
		}
	})
}

// TestDemonitorAfterDownDelivered: once the DOWN is in the mailbox, the
// monitor is no longer active. Demonitor keeps the DOWN (as documented) and,
// as Erlang's demonitor(Ref, [info]) does, should report false; the
// watcher's Info should not list the dead target either.
func TestDemonitorAfterDownDelivered(t *testing.T) {
	inBubble(t, Config{}, func(t *testing.T, n *Node) {
		g := newGate(t)
		step := make(chan struct{})
		target := spawn(t, n, nil, SpawnOpts{}, gated(g, "boom"))
		var ref Ref
		watcher := spawn(t, n, nil, SpawnOpts{}, func(p *Process) Value {
			ref = p.Monitor(target)
			<-step
			if p.Demonitor(ref) {
				t.Error("Demonitor after the DOWN was delivered = true, want false")
			}
			m, err := recvTable(p, nil)
			if err != nil {
				return "DOWN lost: " + err.Error()
			}
			checkFields(t, "DOWN", m, map[string]Value{"ref": ref, "reason": "boom"})
			return Normal
		})
		synctest.Wait() // the watcher monitors the target
		g.open()
		waitReason(t, n, target)
		synctest.Wait() // the DOWN is in the watcher's mailbox
		in, _ := n.Info(watcher)
		if in.Mailbox != 1 {
			t.Fatalf("watcher mailbox = %d, want the DOWN", in.Mailbox)
		}
		if len(in.Monitors) != 0 {
			t.Errorf("watcher Monitors = %v after the target's DOWN was delivered, want none", in.Monitors)
		}
		close(step)
		if r := waitReason(t, n, watcher); r != Normal {
			t.Error(r)
		}
	})
}

func TestSpawnMonitor(t *testing.T) {
	n := newNode(t, Config{})
	g := newGate(t)
	r := run(t, n, func(p *Process) Value {
		child, ref, err := n.Spawn(p, SpawnOpts{Monitor: true}, gated(g, "boom"))
		if err != nil {
			return err.Error()
		}
		if ref == (Ref{}) {
			return "zero ref"
		}
		if in, _ := n.Info(child); !slices.Equal(in.MonitoredBy, []PID{p.PID()}) || in.Parent != p.PID() {
			t.Errorf("child info = %+v", in)
		}
		if in, _ := n.Info(p.PID()); !slices.Equal(in.Monitors, []PID{child}) || len(in.Links) != 0 {
			t.Errorf("spawner info = %+v", in)
		}
		_, noRef, err := n.Spawn(p, SpawnOpts{}, func(*Process) Value { return Normal })
		if err != nil || noRef != (Ref{}) {
			return fmt.Sprint("Spawn without Monitor: ", noRef, err)
		}
		g.open()
		m, err := recvTable(p, tagged("DOWN"))
		if err != nil {
			return err.Error()
		}
		checkFields(t, "DOWN", m, map[string]Value{"ref": ref, "pid": child, "reason": "boom"})
		return Normal
	})
	if r != Normal {
		t.Error(r)
	}
}

func TestSpawnLinkAndMonitorWithoutSpawner(t *testing.T) {
	n := newNode(t, Config{})
	pid, ref, err := n.Spawn(nil, SpawnOpts{Link: true, Monitor: true}, func(*Process) Value { return Normal })
	if err != nil {
		t.Fatal(err)
	}
	if ref != (Ref{}) {
		t.Errorf("ref = %v without a spawner", ref)
	}
	if r := waitReason(t, n, pid); r != Normal {
		t.Error(r)
	}
}

// TestWatcherExitClearsMonitor: a watcher that ends takes its monitors off
// their targets.
func TestWatcherExitClearsMonitor(t *testing.T) {
	tests := []struct {
		name  string
		watch func(t *testing.T, n *Node, p *Process, target PID)
	}{
		{"Monitor", func(t *testing.T, n *Node, p *Process, target PID) { p.Monitor(target) }},
		{"Monitor twice", func(t *testing.T, n *Node, p *Process, target PID) { p.Monitor(target); p.Monitor(target) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inBubble(t, Config{}, func(t *testing.T, n *Node) {
				target := spawn(t, n, nil, SpawnOpts{}, blockForever)
				watcher := spawn(t, n, nil, SpawnOpts{}, func(p *Process) Value {
					tt.watch(t, n, p, target)
					return "done"
				})
				waitReason(t, n, watcher)
				synctest.Wait()
				if in, _ := n.Info(target); len(in.MonitoredBy) != 0 {
					t.Errorf("target MonitoredBy = %v after the watcher exited", in.MonitoredBy)
				}
			})
		})
	}
	t.Run("spawn monitor", func(t *testing.T) {
		inBubble(t, Config{}, func(t *testing.T, n *Node) {
			children := make(chan PID, 1)
			watcher := spawn(t, n, nil, SpawnOpts{}, func(p *Process) Value {
				c, _, _ := n.Spawn(p, SpawnOpts{Monitor: true}, blockForever)
				children <- c
				return "done"
			})
			child := <-children
			waitReason(t, n, watcher)
			synctest.Wait()
			in, _ := n.Info(child)
			if in.Status == Exited {
				t.Fatalf("child exited with %v", in.Reason)
			}
			if len(in.MonitoredBy) != 0 {
				t.Errorf("child MonitoredBy = %v after the spawner exited", in.MonitoredBy)
			}
		})
	})
}
