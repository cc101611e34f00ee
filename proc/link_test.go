package proc

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// survived is what a linker returns when it outlived its partner.
const survived = "survived"

// TestLinkPropagation runs a linker A that spawns B with Link and also
// monitors it. B ends with the case's reason. A's exit signal from the link
// is applied before the DOWN, so A either dies before it sees the DOWN, or
// sees (when trapping) the EXIT and then the DOWN, or sees the DOWN alone.
func TestLinkPropagation(t *testing.T) {
	table := &Table{Array: []Value{"custom"}}
	tests := []struct {
		name    string
		reason  Value // B's exit reason
		kill    bool  // B is killed by exit(B, "kill") instead
		trap    bool
		wantA   Value // A's exit reason
		wantMsg Value // reason of the EXIT message A gets, when trapping
	}{
		{name: "error kills", reason: "boom", wantA: "boom"},
		{name: "table reason kills", reason: table, wantA: table},
		{name: "normal is ignored", reason: Normal, wantA: survived},
		{name: "kill via link is ordinary", reason: Kill, wantA: Kill},
		{name: "killed propagates", kill: true, wantA: Killed},
		{name: "trap error", reason: "boom", trap: true, wantA: survived, wantMsg: "boom"},
		{name: "trap normal", reason: Normal, trap: true, wantA: survived, wantMsg: Normal},
		{name: "trap kill via link", reason: Kill, trap: true, wantA: survived, wantMsg: Kill},
		{name: "trap killed", kill: true, trap: true, wantA: survived, wantMsg: Killed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNode(t, Config{})
			g := newGate(t)
			pids := make(chan PID, 1)
			a := spawn(t, n, nil, SpawnOpts{}, func(p *Process) Value {
				p.TrapExit(tt.trap)
				b, _, err := n.Spawn(p, SpawnOpts{Link: true}, func(q *Process) Value {
					if tt.kill {
						return blockForever(q)
					}
					<-g.ch
					return tt.reason
				})
				if err != nil {
					return err.Error()
				}
				mref := p.Monitor(b)
				if in, _ := n.Info(p.PID()); !slices.Equal(in.Links, []PID{b}) {
					t.Errorf("A links = %v, want [%v]", in.Links, b)
				}
				pids <- b
				if tt.trap {
					m, err := recvTable(p, tagged("EXIT"))
					if err != nil {
						return "no EXIT: " + err.Error()
					}
					checkFields(t, "EXIT", m, map[string]Value{"tag": "EXIT", "from": b, "reason": tt.wantMsg})
				}
				m, err := recvTable(p, tagged("DOWN"))
				if errors.Is(err, ErrKilled) {
					return "ignored" // the signal's reason wins
				}
				if err != nil {
					return "no DOWN: " + err.Error()
				}
				checkFields(t, "DOWN", m, map[string]Value{"ref": mref, "pid": b})
				if in, _ := n.Info(p.PID()); len(in.Links) != 0 {
					t.Errorf("A still links %v after B exited", in.Links)
				}
				return survived
			})
			b := <-pids
			if tt.kill {
				n.Exit(a, b, Kill)
			}
			g.open()
			if r := waitReason(t, n, a); r != tt.wantA {
				t.Errorf("A ended with %v, want %v", r, tt.wantA)
			}
		})
	}
}

// TestLinkIsMutual checks that the spawned side's death reaches the spawner
// as well as the other way around.
func TestLinkIsMutual(t *testing.T) {
	n := newNode(t, Config{})
	g := newGate(t)
	child := make(chan PID, 1)
	parent := spawn(t, n, nil, SpawnOpts{}, func(p *Process) Value {
		c := spawn(t, n, p, SpawnOpts{Link: true}, blockForever)
		child <- c
		<-g.ch
		return "parent died"
	})
	c := <-child
	g.open()
	if r := waitReason(t, n, parent); r != "parent died" {
		t.Errorf("parent ended with %v", r)
	}
	if r := waitReason(t, n, c); r != "parent died" {
		t.Errorf("child ended with %v, want the parent's reason", r)
	}
}

func TestLinkChain(t *testing.T) {
	// a - b - c, linked in a chain: killing a kills all three.
	n := newNode(t, Config{})
	pids := make(chan PID, 3)
	a := spawn(t, n, nil, SpawnOpts{}, func(p *Process) Value {
		spawn(t, n, p, SpawnOpts{Link: true}, func(q *Process) Value {
			pids <- q.PID()
			spawn(t, n, q, SpawnOpts{Link: true}, func(r *Process) Value {
				pids <- r.PID()
				return blockForever(r)
			})
			return blockForever(q)
		})
		return blockForever(p)
	})
	b, c := <-pids, <-pids
	n.Exit(PID{}, a, Kill)
	for _, tt := range []struct {
		name string
		pid  PID
		want Value
	}{{"a", a, Killed}, {"b", b, Killed}, {"c", c, Killed}} {
		if r := waitReason(t, n, tt.pid); r != tt.want {
			t.Errorf("%s ended with %v, want %v", tt.name, r, tt.want)
		}
	}
}

func TestUnlink(t *testing.T) {
	tests := []struct {
		name   string
		unlink func(a, b *Process)
	}{
		{"by the linker", func(a, b *Process) { a.Unlink(b.PID()) }},
		{"by the linked", func(a, b *Process) { b.Unlink(a.PID()) }},
		{"twice", func(a, b *Process) { a.Unlink(b.PID()); a.Unlink(b.PID()) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNode(t, Config{})
			gb, ga := newGate(t), newGate(t)
			procs := make(chan *Process, 1)
			b := spawn(t, n, nil, SpawnOpts{}, func(q *Process) Value {
				procs <- q
				<-gb.ch
				return "boom"
			})
			bp := <-procs
			a := spawn(t, n, nil, SpawnOpts{}, func(p *Process) Value {
				p.Link(b)
				mref := p.Monitor(b)
				procs <- p
				<-ga.ch
				m, err := recvTable(p, tagged("DOWN"))
				if err != nil {
					return err.Error()
				}
				checkFields(t, "DOWN", m, map[string]Value{"ref": mref, "reason": "boom"})
				return survived
			})
			ap := <-procs
			tt.unlink(ap, bp)
			for _, pid := range []PID{a, b} {
				if in, _ := n.Info(pid); len(in.Links) != 0 {
					t.Errorf("after Unlink: %v links %v", pid, in.Links)
				}
			}
			ga.open()
			gb.open()
			if r := waitReason(t, n, a); r != survived {
				t.Errorf("A ended with %v, want %v", r, survived)
			}
		})
	}
}

func TestLinkToDeadPID(t *testing.T) {
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
		t.Run(tt.name+"/dies", func(t *testing.T) {
			r := run(t, n, func(p *Process) Value {
				p.Link(tt.target)
				if !p.Killed() {
					return "not killed at once"
				}
				if _, err := p.Receive(0, nil); !errors.Is(err, ErrKilled) {
					return fmt.Sprint("Receive = ", err)
				}
				return "ignored"
			})
			if r != tt.want {
				t.Errorf("reason = %v, want %v", r, tt.want)
			}
		})
		t.Run(tt.name+"/trapped", func(t *testing.T) {
			r := run(t, n, func(p *Process) Value {
				p.TrapExit(true)
				p.Link(tt.target)
				m, err := p.Receive(0, nil) // at once
				if err != nil {
					return err.Error()
				}
				checkFields(t, "EXIT", m.V.(*Table), map[string]Value{"tag": "EXIT", "from": tt.target, "reason": tt.want})
				if in, _ := n.Info(p.PID()); len(in.Links) != 0 {
					t.Errorf("stale link %v", in.Links)
				}
				return Normal
			})
			if r != Normal {
				t.Errorf("reason = %v", r)
			}
		})
	}
	t.Run("self is a no-op", func(t *testing.T) {
		r := run(t, n, func(p *Process) Value {
			p.Link(p.PID())
			if in, _ := n.Info(p.PID()); len(in.Links) != 0 || p.Killed() {
				return fmt.Sprint("links ", in.Links, " killed ", p.Killed())
			}
			return Normal
		})
		if r != Normal {
			t.Error(r)
		}
	})
}

// TestLinksClearedOnExit checks both sides of a link after either side
// exits, whatever happens to the survivor's signal (ignored or trapped).
func TestLinksClearedOnExit(t *testing.T) {
	tests := []struct {
		name   string
		reason Value
		trap   bool
	}{
		{"normal ignored", Normal, false},
		{"normal trapped", Normal, true},
		{"error trapped", "boom", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inBubble(t, Config{}, func(t *testing.T, n *Node) {
				g := newGate(t)
				var peers []PID
				for range 3 {
					peers = append(peers, spawn(t, n, nil, SpawnOpts{}, blockForever))
				}
				dying := spawn(t, n, nil, SpawnOpts{}, gated(g, tt.reason))
				survivor := spawn(t, n, nil, SpawnOpts{}, func(p *Process) Value {
					p.TrapExit(tt.trap)
					for _, q := range append([]PID{dying}, peers...) {
						p.Link(q)
					}
					for p.Sleep(time.Hour) == nil { // leaves the mailbox alone
					}
					return Normal
				})
				synctest.Wait()
				if in, _ := n.Info(dying); !slices.Equal(in.Links, []PID{survivor}) {
					t.Errorf("dying links = %v, want [%v]", in.Links, survivor)
				}
				g.open()
				waitReason(t, n, dying)
				synctest.Wait()
				in, _ := n.Info(survivor)
				if in.Status == Exited {
					t.Fatalf("survivor exited: %v", in.Reason)
				}
				if !slices.Equal(in.Links, peers) {
					t.Errorf("survivor links = %v, want %v", in.Links, peers)
				}
				if tt.trap && in.Mailbox != 1 {
					t.Errorf("survivor mailbox = %d, want the EXIT message", in.Mailbox)
				}
				// Now the survivor dies: every peer loses its link too, and
				// since none traps, all die with it.
				n.Exit(PID{}, survivor, Kill)
				for _, q := range peers {
					if r := waitReason(t, n, q); r != Killed {
						t.Errorf("peer %v ended with %v", q, r)
					}
				}
			})
		})
	}
}

func TestLinkedSignalAfterMessages(t *testing.T) {
	// Signals from one process to another keep their order: a message sent
	// before exiting arrives before the EXIT.
	n := newNode(t, Config{})
	r := run(t, n, func(p *Process) Value {
		p.TrapExit(true)
		me := p.PID()
		child := spawn(t, n, p, SpawnOpts{Link: true}, func(q *Process) Value {
			for i := range 100 {
				q.Send(me, float64(i))
			}
			return "done"
		})
		for i := range 100 {
			e, err := p.Receive(bound, nil)
			if err != nil || e.V != float64(i) {
				return fmt.Sprint("message ", i, " = ", e.V, err)
			}
		}
		m, err := recvTable(p, nil)
		if err != nil {
			return err.Error()
		}
		checkFields(t, "EXIT", m, map[string]Value{"tag": "EXIT", "from": child, "reason": "done"})
		return Normal
	})
	if r != Normal {
		t.Error(r)
	}
}

func TestExitSignals(t *testing.T) {
	tests := []struct {
		name    string
		trap    bool
		sleep   bool  // the target sleeps instead of receiving
		reason  Value // sent by exit(target, reason) from another process
		want    Value // target's exit reason, or survived
		wantMsg bool  // the trapping target got an EXIT message
	}{
		{name: "kill in receive", reason: Kill, want: Killed},
		{name: "kill in sleep", sleep: true, reason: Kill, want: Killed},
		{name: "kill while trapping in receive", trap: true, reason: Kill, want: Killed},
		{name: "kill while trapping in sleep", trap: true, sleep: true, reason: Kill, want: Killed},
		{name: "error in receive", reason: "boom", want: "boom"},
		{name: "error in sleep", sleep: true, reason: "boom", want: "boom"},
		{name: "normal ignored", reason: Normal, want: survived},
		{name: "normal ignored in sleep", sleep: true, reason: Normal, want: survived},
		{name: "error trapped", trap: true, reason: "boom", want: survived, wantMsg: true},
		{name: "normal trapped", trap: true, reason: Normal, want: survived, wantMsg: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inBubble(t, Config{}, func(t *testing.T, n *Node) {
				killer := spawn(t, n, nil, SpawnOpts{}, blockForever)
				target := spawn(t, n, nil, SpawnOpts{}, func(p *Process) Value {
					p.TrapExit(tt.trap)
					if tt.sleep {
						if err := p.Sleep(time.Second); err != nil {
							return "ignored"
						}
						return "slept through"
					}
					e, err := p.Receive(-1, nil)
					if err != nil {
						return "ignored"
					}
					if e.V == "ping" {
						return survived
					}
					if !tt.wantMsg {
						return fmt.Sprint("unexpected message ", e.V)
					}
					checkFields(t, "EXIT", e.V.(*Table), map[string]Value{"tag": "EXIT", "from": killer, "reason": tt.reason})
					return survived
				})
				synctest.Wait() // the target is blocked
				if in, _ := n.Info(target); in.Status != Waiting {
					t.Errorf("target status %v, want waiting", in.Status)
				}
				n.Exit(killer, target, tt.reason)
				synctest.Wait()
				if tt.want == survived {
					if in, _ := n.Info(target); in.Status == Exited && !tt.wantMsg {
						t.Fatalf("target ended with %v", in.Reason)
					}
					n.Send(target, "ping") // only read if the signal was ignored
				}
				r := waitReason(t, n, target)
				if tt.sleep && tt.want == survived {
					tt.want = "slept through"
				}
				if r != tt.want {
					t.Errorf("target ended with %v, want %v", r, tt.want)
				}
			})
		})
	}
}

func TestExitSelf(t *testing.T) {
	tests := []struct {
		name   string
		trap   bool
		reason Value
		want   Value
	}{
		{"normal", false, Normal, Normal},
		{"error", false, "boom", "boom"},
		{"kill", false, Kill, Killed},
		{"kill while trapping", true, Kill, Killed},
		{"normal while trapping is a message", true, Normal, "got EXIT"},
		{"error while trapping is a message", true, "boom", "got EXIT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNode(t, Config{})
			r := run(t, n, func(p *Process) Value {
				p.TrapExit(tt.trap)
				p.Exit(p.PID(), tt.reason)
				e, err := p.Receive(0, nil)
				if errors.Is(err, ErrKilled) {
					if !p.Killed() {
						t.Error("ErrKilled but Killed() = false")
					}
					return "body result is ignored"
				}
				if err != nil {
					return err.Error()
				}
				checkFields(t, "EXIT", e.V.(*Table), map[string]Value{"tag": "EXIT", "from": p.PID(), "reason": tt.reason})
				return "got EXIT"
			})
			if r != tt.want {
				t.Errorf("reason = %v, want %v", r, tt.want)
			}
		})
	}
}

func TestTrapExitReturnsPrevious(t *testing.T) {
	n := newNode(t, Config{})
	r := run(t, n, func(p *Process) Value {
		steps := []struct{ set, was bool }{{true, false}, {true, true}, {false, true}, {false, false}}
		for i, s := range steps {
			if was := p.TrapExit(s.set); was != s.was {
				return fmt.Sprintf("step %d: TrapExit(%v) = %v, want %v", i, s.set, was, s.was)
			}
			if in, _ := n.Info(p.PID()); in.TrapExit != s.set {
				return fmt.Sprintf("step %d: Info.TrapExit = %v", i, in.TrapExit)
			}
		}
		return Normal
	})
	if r != Normal {
		t.Error(r)
	}
}
