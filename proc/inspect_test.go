package proc

import (
	"fmt"
	"runtime"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

func TestInfoStatus(t *testing.T) {
	tests := []struct {
		name string
		body func(g *gate) Body
		want Status
	}{
		{"receiving", func(*gate) Body { return blockForever }, Waiting},
		{"selective receive", func(*gate) Body {
			return func(p *Process) Value {
				_, _ = p.Receive(-1, func(*Entry) bool { return false })
				return Normal
			}
		}, Waiting},
		{"receive with timeout", func(*gate) Body {
			return func(p *Process) Value { _, _ = p.Receive(time.Hour, nil); return Normal }
		}, Waiting},
		{"sleeping", func(*gate) Body {
			return func(p *Process) Value { _ = p.Sleep(time.Hour); return Normal }
		}, Waiting},
		{"running its own code", func(g *gate) Body { return gated(g, Normal) }, Running},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inBubble(t, Config{}, func(t *testing.T, n *Node) {
				g := newGate(t)
				pid := spawn(t, n, nil, SpawnOpts{}, tt.body(g))
				synctest.Wait()
				in, ok := n.Info(pid)
				if !ok || in.Status != tt.want {
					t.Errorf("Info = %v, %v; want status %v", in.Status, ok, tt.want)
				}
				n.Exit(PID{}, pid, Kill)
				g.open()
				waitReason(t, n, pid)
				if in, _ := n.Info(pid); in.Status != Exited || in.Reason != Killed {
					t.Errorf("after exit: %v %v", in.Status, in.Reason)
				}
			})
		})
	}
}

func TestInfoRunningAfterReceive(t *testing.T) {
	inBubble(t, Config{}, func(t *testing.T, n *Node) {
		g := newGate(t)
		pid := spawn(t, n, nil, SpawnOpts{}, func(p *Process) Value {
			if _, err := p.Receive(-1, nil); err != nil {
				return err.Error()
			}
			<-g.ch
			return Normal
		})
		synctest.Wait()
		if in, _ := n.Info(pid); in.Status != Waiting {
			t.Errorf("before the message: %v", in.Status)
		}
		n.Send(pid, "wake")
		synctest.Wait()
		if in, _ := n.Info(pid); in.Status != Running {
			t.Errorf("after the message: %v, want running", in.Status)
		}
		g.open()
	})
}

func TestInfoFields(t *testing.T) {
	inBubble(t, Config{Name: "alpha"}, func(t *testing.T, n *Node) {
		g := newGate(t)
		var parent, linked, watched PID
		var child PID
		parent = spawn(t, n, nil, SpawnOpts{}, func(p *Process) Value {
			linked = spawn(t, n, nil, SpawnOpts{}, blockForever)
			watched = spawn(t, n, nil, SpawnOpts{}, blockForever)
			child = spawn(t, n, p, SpawnOpts{Name: "kid", Initial: "worker.lua:12", Link: true}, func(q *Process) Value {
				q.TrapExit(true)
				q.Link(linked)
				q.Monitor(watched)
				q.SetStats(1234, 5678)
				for i := range 3 {
					q.Send(q.PID(), float64(i))
				}
				// Take one of three: the other two wait in the private queue.
				if _, err := q.Receive(0, func(e *Entry) bool { return e.V == 1.0 }); err != nil {
					return err.Error()
				}
				<-g.ch
				return "kid done"
			})
			p.Monitor(child)
			return blockForever(p)
		})
		synctest.Wait()
		in, ok := n.Info(child)
		if !ok {
			t.Fatal("no info")
		}
		want := Info{
			PID:          child,
			Parent:       parent,
			Name:         "kid",
			Status:       Running,
			TrapExit:     true,
			Links:        []PID{parent, linked},
			Monitors:     []PID{watched},
			MonitoredBy:  []PID{parent},
			Mailbox:      2,
			Received:     3, // taken from the inbox: the one received and the two left queued
			Instructions: 1234,
			Memory:       5678,
			Initial:      "worker.lua:12",
		}
		if got, w := fmt.Sprintf("%+v", in), fmt.Sprintf("%+v", want); got != w {
			t.Errorf("Info =\n%s\nwant\n%s", got, w)
		}
		if in, _ := n.Info(linked); !slices.Equal(in.Links, []PID{child}) || in.Parent != (PID{}) {
			t.Errorf("linked: links %v parent %v", in.Links, in.Parent)
		}
		if in, _ := n.Info(watched); !slices.Equal(in.MonitoredBy, []PID{child}) {
			t.Errorf("watched: MonitoredBy %v", in.MonitoredBy)
		}

		// Once exited, the history keeps the description and the reason.
		g.open()
		waitReason(t, n, child)
		synctest.Wait()
		in, ok = n.Info(child)
		if !ok || in.Status != Exited || in.Reason != "kid done" || in.Name != "kid" ||
			in.Parent != parent || in.Initial != "worker.lua:12" || in.Instructions != 1234 ||
			in.Mailbox != 0 || len(in.MonitoredBy) != 0 {
			t.Errorf("history Info = %+v", in)
		}
		// The trapping child's death reached the parent through the link.
		if in, _ := n.Info(parent); in.Status != Exited || in.Reason != "kid done" {
			t.Errorf("parent: %v %v", in.Status, in.Reason)
		}
		if in, _ := n.Info(linked); in.Status != Exited || in.Reason != "kid done" {
			t.Errorf("linked: %v %v", in.Status, in.Reason)
		}
		if in, _ := n.Info(watched); in.Status == Exited || len(in.MonitoredBy) != 0 {
			t.Errorf("watched: %v MonitoredBy %v", in.Status, in.MonitoredBy)
		}
	})
}

func TestInfoUnknown(t *testing.T) {
	n := newNode(t, Config{Name: "alpha"})
	for _, pid := range []PID{{}, {Node: "alpha", ID: 1 << 40}, {Node: "beta", ID: 1}} {
		if in, ok := n.Info(pid); ok {
			t.Errorf("Info(%v) = %+v, true", pid, in)
		}
	}
}

func TestHistory(t *testing.T) {
	tests := []struct {
		name    string
		history int
		exits   int
		kept    int // the last kept exits are known
	}{
		{"default keeps 256", 0, 300, 256},
		{"one", 1, 3, 1},
		{"three of five", 3, 5, 3},
		{"more room than exits", 10, 4, 4},
		{"none", -1, 3, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNode(t, Config{History: tt.history})
			var pids []PID
			for i := range tt.exits {
				// One at a time, so that the order of exits is known.
				pid := spawn(t, n, nil, SpawnOpts{}, func(*Process) Value { return float64(i) })
				if tt.history >= 0 {
					if r := waitReason(t, n, pid); r != float64(i) {
						t.Fatalf("exit %d: reason %v", i, r)
					}
				}
				pids = append(pids, pid)
				eventually(t, "the exit to finish", func() bool { return n.Count() == 0 })
			}
			for i, pid := range pids {
				in, ok := n.Info(pid)
				wantKept := i >= tt.exits-tt.kept
				if ok != wantKept {
					t.Errorf("exit %d: known = %v, want %v", i, ok, wantKept)
				}
				if ok && (in.Reason != float64(i) || in.Status != Exited || in.PID != pid) {
					t.Errorf("exit %d: %+v", i, in)
				}
			}
		})
	}
}

func TestProcesses(t *testing.T) {
	n := newNode(t, Config{})
	g := newGate(t)
	if ps := n.Processes(); len(ps) != 0 {
		t.Fatalf("empty node: %v", ps)
	}
	var pids []PID
	for i := range 20 {
		pids = append(pids, spawn(t, n, nil, SpawnOpts{Initial: fmt.Sprint(i)}, gated(g, Normal)))
	}
	done := spawn(t, n, nil, SpawnOpts{}, func(*Process) Value { return Normal })
	waitReason(t, n, done)
	eventually(t, "the short process to leave", func() bool { return n.Count() == len(pids) })
	ps := n.Processes()
	if len(ps) != len(pids) {
		t.Fatalf("Processes() has %d, want %d", len(ps), len(pids))
	}
	for i, in := range ps {
		if in.PID != pids[i] || in.Initial != fmt.Sprint(i) || in.Status == Exited {
			t.Errorf("Processes()[%d] = %+v, want %v", i, in, pids[i])
		}
	}
	g.open()
}

func TestStatsMessagesLogs(t *testing.T) {
	n := newNode(t, Config{LogLines: 3})
	got := make(chan []Value, 1)
	r := run(t, n, func(p *Process) Value {
		kid, _, _ := n.Spawn(p, SpawnOpts{}, func(c *Process) Value {
			_, err := c.Receive(-1, func(e *Entry) bool { return e.V == "never" })
			return err
		})
		p.Send(kid, "a")
		p.Send(kid, "b")
		for i := range 5 {
			n.Log(p.PID(), string(rune('0'+i)))
		}
		for {
			if in, _ := n.Info(kid); in.Received == 2 {
				msgs, _ := n.Messages(kid, 10)
				got <- msgs
				break
			}
			runtime.Gosched()
		}
		p.Exit(kid, Kill)
		return MailboxLimit // counted as a limit kill
	})
	if r != MailboxLimit {
		t.Fatalf("reason %v", r)
	}
	if msgs := <-got; msgs[0] != "a" || msgs[1] != "b" {
		t.Errorf("Messages = %v, want [a b] in order", msgs)
	}
	logs := n.Logs(0, 10)
	if len(logs) != 3 || logs[0].Text != "2" || logs[2].Text != "4" || logs[2].Seq != 5 {
		t.Errorf("Logs = %+v, want the last 3 lines 2, 3, 4", logs)
	}
	if l := n.Logs(4, 10); len(l) != 1 || l[0].Text != "4" {
		t.Errorf("Logs(after 4) = %+v", l)
	}
	if l := n.Logs(0, 1); len(l) != 1 || l[0].Text != "4" {
		t.Errorf("Logs(max 1) = %+v, want the newest", l)
	}
	if _, ok := n.Messages(PID{Node: n.Name(), ID: 999}, 1); ok {
		t.Error("Messages(unknown pid) reported a live process")
	}
	st := n.Stats()
	if st.Spawned != 2 || st.LimitKills != 1 || st.Messages < 2 {
		t.Errorf("Stats = %+v, want 2 spawned, 1 limit kill, >= 2 messages", st)
	}
}

func TestInfoLimits(t *testing.T) {
	n := newNode(t, Config{})
	size := func(Value) int64 { return 1 }
	gate := make(chan struct{})
	pid, _, err := n.Spawn(nil, SpawnOpts{MaxMailbox: 5, MaxMailboxBytes: 100, Size: size, MaxInstructions: 7},
		func(p *Process) Value { <-gate; return Normal })
	if err != nil {
		t.Fatal(err)
	}
	in, ok := n.Info(pid)
	close(gate)
	if !ok || in.MaxMailbox != 5 || in.MaxMailboxBytes != 100 || in.MaxInstructions != 7 {
		t.Errorf("Info limits = %d, %d, %d (ok %v), want 5, 100, 7", in.MaxMailbox, in.MaxMailboxBytes, in.MaxInstructions, ok)
	}
}
