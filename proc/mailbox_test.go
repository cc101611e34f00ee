package proc

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestSendOrderOneSender(t *testing.T) {
	const count = 1000
	n := newNode(t, Config{})
	got := make(chan []Value, 1)
	recv := spawn(t, n, nil, SpawnOpts{}, func(p *Process) Value {
		var vs []Value
		for range count {
			e, err := p.Receive(bound, nil)
			if err != nil {
				t.Errorf("Receive: %v", err)
				break
			}
			vs = append(vs, e.V)
		}
		got <- vs
		return Normal
	})
	spawn(t, n, nil, SpawnOpts{}, func(p *Process) Value {
		for i := range count {
			p.Send(recv, float64(i))
		}
		return Normal
	})
	vs := <-got
	for i, v := range vs {
		if v != float64(i) {
			t.Fatalf("message %d = %v, want %d", i, v, i)
		}
	}
	if r := waitReason(t, n, recv); r != Normal {
		t.Errorf("receiver ended with %v", r)
	}
}

func TestSendOrderPerSender(t *testing.T) {
	const senders, count = 8, 300
	n := newNode(t, Config{})
	recv := spawn(t, n, nil, SpawnOpts{}, func(p *Process) Value {
		next := make([]float64, senders)
		for range senders * count {
			e, err := p.Receive(bound, nil)
			if err != nil {
				return err.Error()
			}
			m := e.V.(*Table)
			from, seq := int(m.Array[0].(float64)), m.Array[1].(float64)
			if seq != next[from] {
				return fmt.Sprintf("sender %d: got %v, want %v", from, seq, next[from])
			}
			next[from]++
		}
		return Normal
	})
	for s := range senders {
		spawn(t, n, nil, SpawnOpts{}, func(p *Process) Value {
			for i := range count {
				p.Send(recv, &Table{Array: []Value{float64(s), float64(i)}})
			}
			return Normal
		})
	}
	if r := waitReason(t, n, recv); r != Normal {
		t.Error(r)
	}
}

func TestReceiveTimeouts(t *testing.T) {
	t.Run("poll empty", func(t *testing.T) {
		inBubble(t, Config{}, func(t *testing.T, n *Node) {
			r := run(t, n, func(p *Process) Value {
				start := time.Now()
				_, err := p.Receive(0, nil)
				if !errors.Is(err, ErrTimeout) {
					return fmt.Sprint("Receive(0) = ", err)
				}
				if d := time.Since(start); d != 0 {
					return fmt.Sprint("a poll waited ", d)
				}
				return Normal
			})
			if r != Normal {
				t.Error(r)
			}
		})
	})
	t.Run("poll with message", func(t *testing.T) {
		n := newNode(t, Config{})
		r := run(t, n, func(p *Process) Value {
			p.Send(p.PID(), "hi")
			e, err := p.Receive(0, nil)
			if err != nil || e.V != "hi" {
				return fmt.Sprint("Receive(0) = ", e.V, err)
			}
			return Normal
		})
		if r != Normal {
			t.Error(r)
		}
	})
	t.Run("poll with no match", func(t *testing.T) {
		n := newNode(t, Config{})
		r := run(t, n, func(p *Process) Value {
			p.Send(p.PID(), "hi")
			if _, err := p.Receive(0, func(*Entry) bool { return false }); !errors.Is(err, ErrTimeout) {
				return fmt.Sprint("Receive(0, none) = ", err)
			}
			if l := p.MailboxLen(); l != 1 {
				return fmt.Sprint("MailboxLen() = ", l)
			}
			return Normal
		})
		if r != Normal {
			t.Error(r)
		}
	})
	t.Run("negative waits forever", func(t *testing.T) {
		inBubble(t, Config{}, func(t *testing.T, n *Node) {
			got := make(chan Value, 1)
			pid := spawn(t, n, nil, SpawnOpts{}, func(p *Process) Value {
				e, err := p.Receive(-1, nil)
				if err != nil {
					return err.Error()
				}
				got <- e.V
				return Normal
			})
			time.Sleep(time.Hour) // fake time: the receiver is still blocked
			synctest.Wait()
			if in, _ := n.Info(pid); in.Status != Waiting {
				t.Errorf("after an hour: status %v, want waiting", in.Status)
			}
			n.Send(pid, "late")
			if v := <-got; v != "late" {
				t.Errorf("got %v, want late", v)
			}
			if r := waitReason(t, n, pid); r != Normal {
				t.Error(r)
			}
		})
	})
	t.Run("positive times out", func(t *testing.T) {
		inBubble(t, Config{}, func(t *testing.T, n *Node) {
			r := run(t, n, func(p *Process) Value {
				start := time.Now()
				_, err := p.Receive(250*time.Millisecond, nil)
				if !errors.Is(err, ErrTimeout) {
					return fmt.Sprint("Receive = ", err)
				}
				if d := time.Since(start); d != 250*time.Millisecond {
					return fmt.Sprint("timed out after ", d)
				}
				return Normal
			})
			if r != Normal {
				t.Error(r)
			}
		})
	})
	t.Run("non-matching messages do not extend the timeout", func(t *testing.T) {
		inBubble(t, Config{}, func(t *testing.T, n *Node) {
			r := run(t, n, func(p *Process) Value {
				me := p.PID()
				stop := make(chan struct{})
				defer close(stop)
				spawn(t, n, nil, SpawnOpts{}, func(q *Process) Value {
					for {
						select {
						case <-stop:
							return Normal
						case <-time.After(30 * time.Millisecond):
							q.Send(me, "noise")
						}
					}
				})
				start := time.Now()
				_, err := p.Receive(100*time.Millisecond, func(e *Entry) bool { return e.V == "signal" })
				if !errors.Is(err, ErrTimeout) {
					return fmt.Sprint("Receive = ", err)
				}
				if d := time.Since(start); d != 100*time.Millisecond {
					return fmt.Sprint("timed out after ", d, ", want 100ms")
				}
				if l := p.MailboxLen(); l != 3 {
					return fmt.Sprint("MailboxLen() = ", l, ", want 3 noise messages")
				}
				return Normal
			})
			if r != Normal {
				t.Error(r)
			}
		})
	})
	t.Run("message arriving during the wait", func(t *testing.T) {
		inBubble(t, Config{}, func(t *testing.T, n *Node) {
			r := run(t, n, func(p *Process) Value {
				n.SendAfter(40*time.Millisecond, p.PID(), "x")
				start := time.Now()
				e, err := p.Receive(time.Second, nil)
				if err != nil || e.V != "x" {
					return fmt.Sprint("Receive = ", e.V, err)
				}
				if d := time.Since(start); d != 40*time.Millisecond {
					return fmt.Sprint("woke after ", d, ", want 40ms")
				}
				return Normal
			})
			if r != Normal {
				t.Error(r)
			}
		})
	})
}

// sendAll fills pid's mailbox from outside while its body waits on g, then
// opens g.
func sendAll(n *Node, pid PID, g *gate, vs ...Value) {
	for _, v := range vs {
		n.Send(pid, v)
	}
	g.open()
}

func TestSelectiveReceive(t *testing.T) {
	isNum := func(want float64) func(*Entry) bool {
		return func(e *Entry) bool { return e.V == want }
	}
	even := func(e *Entry) bool {
		f, ok := e.V.(float64)
		return ok && int(f)%2 == 0
	}
	tests := []struct {
		name    string
		matches []func(*Entry) bool // nil entries take the oldest
		want    []Value             // ErrTimeout for none
	}{
		{"oldest of all", []func(*Entry) bool{nil, nil}, []Value{1.0, 2.0}},
		{"middle", []func(*Entry) bool{isNum(3), nil, nil, nil, nil, nil}, []Value{3.0, 1.0, 2.0, 4.0, 5.0, ErrTimeout}},
		{"oldest matching", []func(*Entry) bool{even, even, even, nil}, []Value{2.0, 4.0, ErrTimeout, 1.0}},
		{"last then head", []func(*Entry) bool{isNum(5), isNum(1), nil}, []Value{5.0, 1.0, 2.0}},
		{"no match leaves all", []func(*Entry) bool{isNum(9), nil, nil, nil, nil, nil}, []Value{ErrTimeout, 1.0, 2.0, 3.0, 4.0, 5.0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNode(t, Config{})
			g := newGate(t)
			pid := spawn(t, n, nil, SpawnOpts{}, func(p *Process) Value {
				<-g.ch
				for i, match := range tt.matches {
					e, err := p.Receive(0, match)
					got := e.V
					if err != nil {
						got = err
					}
					if got != tt.want[i] {
						return fmt.Sprintf("receive %d = %v, want %v", i, got, tt.want[i])
					}
				}
				return Normal
			})
			sendAll(n, pid, g, 1.0, 2.0, 3.0, 4.0, 5.0)
			if r := waitReason(t, n, pid); r != Normal {
				t.Error(r)
			}
		})
	}
}

func TestSelectiveReceiveWaitsForMatch(t *testing.T) {
	inBubble(t, Config{}, func(t *testing.T, n *Node) {
		got := make(chan []Value, 1)
		pid := spawn(t, n, nil, SpawnOpts{}, func(p *Process) Value {
			e, err := p.Receive(-1, func(e *Entry) bool { return e.V == "wanted" })
			if err != nil {
				return err.Error()
			}
			vs := []Value{e.V}
			for {
				e, err := p.Receive(0, nil)
				if err != nil {
					break
				}
				vs = append(vs, e.V)
			}
			got <- vs
			return Normal
		})
		n.Send(pid, "a")
		synctest.Wait()
		n.Send(pid, "b")
		synctest.Wait()
		if in, _ := n.Info(pid); in.Status != Waiting || in.Mailbox != 2 {
			t.Errorf("info = %v/%d, want waiting with 2 messages", in.Status, in.Mailbox)
		}
		n.Send(pid, "wanted")
		vs := <-got
		if fmt.Sprint(vs) != "[wanted a b]" {
			t.Errorf("received %v, want [wanted a b]", vs)
		}
	})
}

func TestPanickingMatchLeavesMailbox(t *testing.T) {
	n := newNode(t, Config{})
	g := newGate(t)
	pid := spawn(t, n, nil, SpawnOpts{}, func(p *Process) Value {
		<-g.ch
		// A panic half-way through a scan, and one after a refill.
		p.Send(p.PID(), "d")
		recovered := func() (r any) {
			defer func() { r = recover() }()
			_, _ = p.Receive(bound, func(e *Entry) bool {
				if e.V == "c" {
					panic("bad pattern")
				}
				return false
			})
			return nil
		}()
		if recovered != "bad pattern" {
			return fmt.Sprint("recovered ", recovered)
		}
		if l := p.MailboxLen(); l != 4 {
			return fmt.Sprint("MailboxLen() = ", l, ", want 4")
		}
		var vs []string
		for {
			e, err := p.Receive(0, nil)
			if err != nil {
				break
			}
			vs = append(vs, e.V.(string))
		}
		if s := strings.Join(vs, ""); s != "abcd" {
			return "mailbox after panic: " + s
		}
		return Normal
	})
	sendAll(n, pid, g, "a", "b", "c")
	if r := waitReason(t, n, pid); r != Normal {
		t.Error(r)
	}
}

func TestEntryLocalCache(t *testing.T) {
	n := newNode(t, Config{})
	g := newGate(t)
	pid := spawn(t, n, nil, SpawnOpts{}, func(p *Process) Value {
		<-g.ch
		converted := map[string]int{}
		match := func(want string) func(*Entry) bool {
			return func(e *Entry) bool {
				if e.Local == nil {
					converted[e.V.(string)]++
					e.Local = strings.ToUpper(e.V.(string))
				}
				return e.Local == want
			}
		}
		e, err := p.Receive(0, match("C"))
		if err != nil || e.Local != "C" {
			return fmt.Sprint("first receive: ", e, err)
		}
		p.Send(p.PID(), "d") // a refill between the receives
		if e, err = p.Receive(0, match("D")); err != nil || e.V != "d" {
			return fmt.Sprint("second receive: ", e, err)
		}
		if e, err = p.Receive(0, match("B")); err != nil || e.V != "b" {
			return fmt.Sprint("third receive: ", e, err)
		}
		if e, err = p.Receive(0, nil); err != nil || e.Local != "A" {
			return fmt.Sprint("plain receive keeps Local: ", e, err)
		}
		for k, c := range converted {
			if c != 1 {
				return fmt.Sprintf("%q converted %d times", k, c)
			}
		}
		if len(converted) != 4 {
			return fmt.Sprint("converted ", converted)
		}
		return Normal
	})
	sendAll(n, pid, g, "a", "b", "c")
	if r := waitReason(t, n, pid); r != Normal {
		t.Error(r)
	}
}

func TestSendToSelfAndNowhere(t *testing.T) {
	n := newNode(t, Config{Name: "alpha"})
	dead := spawn(t, n, nil, SpawnOpts{}, func(*Process) Value { return Normal })
	waitReason(t, n, dead)
	r := run(t, n, func(p *Process) Value {
		p.Send(dead, "lost")                                  // dead: silent
		p.Send(PID{Node: "alpha", ID: 1 << 40}, "lost")       // unknown: silent
		p.Send(PID{Node: "beta", ID: 1, Creation: 1}, "lost") // remote: silent
		n.Send(PID{}, "lost")
		p.Send(p.PID(), "mine")
		if l := p.MailboxLen(); l != 1 {
			return fmt.Sprint("MailboxLen() = ", l)
		}
		e, err := p.Receive(0, nil)
		if err != nil || e.V != "mine" {
			return fmt.Sprint("Receive = ", e.V, err)
		}
		return Normal
	})
	if r != Normal {
		t.Error(r)
	}
}

func TestSleep(t *testing.T) {
	inBubble(t, Config{}, func(t *testing.T, n *Node) {
		r := run(t, n, func(p *Process) Value {
			p.Send(p.PID(), "early")
			n.SendAfter(10*time.Millisecond, p.PID(), "during")
			start := time.Now()
			if err := p.Sleep(50 * time.Millisecond); err != nil {
				return fmt.Sprint("Sleep = ", err)
			}
			if d := time.Since(start); d != 50*time.Millisecond {
				return fmt.Sprint("slept ", d)
			}
			if l := p.MailboxLen(); l != 2 {
				return fmt.Sprint("MailboxLen() after Sleep = ", l, ", want 2")
			}
			for _, want := range []string{"early", "during"} {
				if e, err := p.Receive(0, nil); err != nil || e.V != want {
					return fmt.Sprint("Receive = ", e.V, err, ", want ", want)
				}
			}
			return Normal
		})
		if r != Normal {
			t.Error(r)
		}
	})
}

func TestMaxMailbox(t *testing.T) {
	const limit = 3
	tests := []struct {
		name string
		sent int
		want Value
	}{
		{"below limit", limit - 1, Normal},
		{"at limit", limit, Normal},
		{"over limit", limit + 1, MailboxLimit},
		{"far over limit", 10 * limit, MailboxLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNode(t, Config{})
			g := newGate(t)
			killed := make(chan bool, 1)
			pid := spawn(t, n, nil, SpawnOpts{MaxMailbox: limit}, func(p *Process) Value {
				<-g.ch // does not receive while the messages arrive
				killed <- p.Killed()
				for range tt.sent {
					if _, err := p.Receive(0, nil); err != nil {
						return err.Error()
					}
				}
				return Normal
			})
			for i := range tt.sent {
				n.Send(pid, float64(i))
			}
			in, _ := n.Info(pid)
			if want := min(tt.sent, limit); in.Mailbox != want && tt.want == Normal {
				t.Errorf("Info.Mailbox = %d, want %d", in.Mailbox, want)
			}
			g.open()
			if k := <-killed; k != (tt.want == MailboxLimit) {
				t.Errorf("Killed() = %v", k)
			}
			if r := waitReason(t, n, pid); r != tt.want {
				t.Errorf("reason = %v, want %v", r, tt.want)
			}
		})
	}
	t.Run("counts the private queue", func(t *testing.T) {
		n := newNode(t, Config{})
		pid := spawn(t, n, nil, SpawnOpts{MaxMailbox: limit}, func(p *Process) Value {
			// Three messages moved to the queue by a receive that matches
			// none of them still count.
			for i := range limit {
				p.Send(p.PID(), float64(i))
			}
			if _, err := p.Receive(0, func(*Entry) bool { return false }); !errors.Is(err, ErrTimeout) {
				return fmt.Sprint("Receive = ", err)
			}
			p.Send(p.PID(), "one too many")
			if !p.Killed() {
				return "not killed"
			}
			if _, err := p.Receive(0, nil); !errors.Is(err, ErrKilled) {
				return fmt.Sprint("Receive after the limit = ", err)
			}
			return Normal
		})
		if r := waitReason(t, n, pid); r != MailboxLimit {
			t.Errorf("reason = %v, want %v", r, MailboxLimit)
		}
	})
	t.Run("trapped exit messages count", func(t *testing.T) {
		n := newNode(t, Config{})
		g := newGate(t)
		trapping := make(chan struct{})
		pid := spawn(t, n, nil, SpawnOpts{MaxMailbox: 1}, func(p *Process) Value {
			p.TrapExit(true)
			close(trapping)
			<-g.ch
			return Normal
		})
		<-trapping
		n.Exit(PID{}, pid, "one")
		n.Exit(PID{}, pid, "two")
		g.open()
		if r := waitReason(t, n, pid); r != MailboxLimit {
			t.Errorf("reason = %v, want %v", r, MailboxLimit)
		}
	})
}

func TestMaxMailboxBytes(t *testing.T) {
	n := newNode(t, Config{})
	size := func(v Value) int64 { return int64(len(v.(string))) }
	r := run(t, n, func(p *Process) Value {
		kid, ref, err := n.Spawn(p, SpawnOpts{Monitor: true, MaxMailboxBytes: 10, Size: size}, func(c *Process) Value {
			_, err := c.Receive(-1, func(e *Entry) bool { return e.V == "never" })
			return err
		})
		if err != nil {
			return err.Error()
		}
		p.Send(kid, "12345")
		p.Send(kid, "12345") // 10 bytes: at the limit, not past it
		p.Send(kid, "x")     // past it
		e, err := p.Receive(-1, func(e *Entry) bool { return e.V.(*Table).Get("ref") == ref })
		if err != nil {
			return err.Error()
		}
		return e.V.(*Table).Get("reason")
	})
	if r != MemoryLimit {
		t.Errorf("reason %v, want %s", r, MemoryLimit)
	}
	if _, _, err := n.Spawn(nil, SpawnOpts{MaxMailboxBytes: 1}, func(*Process) Value { return Normal }); err == nil {
		t.Error("Spawn with MaxMailboxBytes and no Size: no error")
	}
}
