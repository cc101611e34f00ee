package proc

import (
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"
)

func TestSendAfter(t *testing.T) {
	inBubble(t, Config{}, func(t *testing.T, n *Node) {
		r := run(t, n, func(p *Process) Value {
			start := time.Now()
			ref := n.SendAfter(100*time.Millisecond, p.PID(), "tick")
			if ref.Node != n.Name() || ref.ID == 0 {
				return fmt.Sprint("ref = ", ref)
			}
			e, err := p.Receive(bound, nil)
			if err != nil || e.V != "tick" {
				return fmt.Sprint("Receive = ", e.V, err)
			}
			if d := time.Since(start); d != 100*time.Millisecond {
				return fmt.Sprint("delivered after ", d)
			}
			if n.CancelTimer(ref) {
				return "CancelTimer after firing = true"
			}
			return Normal
		})
		if r != Normal {
			t.Error(r)
		}
	})
}

func TestCancelTimer(t *testing.T) {
	tests := []struct {
		name string
		arm  func(n *Node, p *Process) Ref
	}{
		{"SendAfter", func(n *Node, p *Process) Ref { return n.SendAfter(50*time.Millisecond, p.PID(), "tick") }},
		{"SendNameAfter", func(n *Node, p *Process) Ref { return n.SendNameAfter(50*time.Millisecond, "me", "tick") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inBubble(t, Config{}, func(t *testing.T, n *Node) {
				r := waitReason(t, n, spawn(t, n, nil, SpawnOpts{Name: "me"}, func(p *Process) Value {
					ref := tt.arm(n, p)
					if !n.CancelTimer(ref) {
						return "CancelTimer before firing = false"
					}
					if n.CancelTimer(ref) {
						return "second CancelTimer = true"
					}
					// Well past the time it would have fired (fake time).
					if _, err := p.Receive(time.Second, nil); !errors.Is(err, ErrTimeout) {
						return fmt.Sprint("after CancelTimer: Receive = ", err)
					}
					return Normal
				}))
				if r != Normal {
					t.Error(r)
				}
			})
		})
	}
	t.Run("unknown ref", func(t *testing.T) {
		n := newNode(t, Config{})
		if n.CancelTimer(n.NewRef()) {
			t.Error("CancelTimer(unknown) = true")
		}
	})
}

func TestSendNameAfter(t *testing.T) {
	inBubble(t, Config{}, func(t *testing.T, n *Node) {
		// The name is resolved when the timer fires, not when it is set.
		n.SendNameAfter(100*time.Millisecond, "late", "tick")
		n.SendNameAfter(10*time.Millisecond, "late", "too early") // nobody holds it yet: dropped
		time.Sleep(50 * time.Millisecond)
		got := make(chan Value, 1)
		spawn(t, n, nil, SpawnOpts{Name: "late"}, func(p *Process) Value {
			e, err := p.Receive(bound, nil)
			if err != nil {
				return err.Error()
			}
			got <- e.V
			return Normal
		})
		if v := <-got; v != "tick" {
			t.Errorf("got %v, want tick", v)
		}
	})
}

func TestTimerToDeadProcess(t *testing.T) {
	inBubble(t, Config{}, func(t *testing.T, n *Node) {
		pid := spawn(t, n, nil, SpawnOpts{}, func(*Process) Value { return Normal })
		ref := n.SendAfter(10*time.Millisecond, pid, "lost")
		waitReason(t, n, pid)
		time.Sleep(20 * time.Millisecond)
		synctest.Wait()
		if n.CancelTimer(ref) {
			t.Error("CancelTimer after firing at a dead process = true")
		}
	})
}

func TestShutdownStopsTimers(t *testing.T) {
	inBubble(t, Config{}, func(t *testing.T, n *Node) {
		pid := spawn(t, n, nil, SpawnOpts{}, blockForever)
		ref := n.SendAfter(time.Hour, pid, "never")
		shutdown(t, n)
		if n.CancelTimer(ref) {
			t.Error("timer still pending after Shutdown")
		}
	})
}
