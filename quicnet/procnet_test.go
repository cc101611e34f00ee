package quicnet

import (
	"context"
	"errors"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/dlua/dlua/proc"
)

// boundNode is a proc node joined to others through Bind.
type boundNode struct {
	pn   *proc.Node
	qn   *Node
	hole *blackhole
}

func newBound(t *testing.T, name string) *boundNode {
	t.Helper()
	pn := proc.NewNode(proc.Config{Name: name})
	qn, err := Bind(pn, Config{
		Cookie:      testCookie,
		Listen:      "127.0.0.1:0",
		IdleTimeout: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	b := &boundNode{pn: pn, qn: qn, hole: &blackhole{}}
	qn.wrapConn = func(pc net.PacketConn) net.PacketConn {
		b.hole.PacketConn = pc
		return b.hole
	}
	if err := qn.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := pn.Shutdown(ctx, proc.Shutdown); err != nil {
			t.Errorf("proc shutdown of %s: %v", name, err)
		}
		qn.Close()
	})
	return b
}

// waitFor receives a message matching tag from p, bounded.
func waitFor(p *proc.Process, tag string) (*proc.Table, error) {
	e, err := p.Receive(10*time.Second, func(e *proc.Entry) bool {
		m, ok := e.V.(*proc.Table)
		return ok && m.Get("tag") == tag
	})
	if err != nil {
		return nil, err
	}
	return e.V.(*proc.Table), nil
}

func TestBindAcrossNodes(t *testing.T) {
	a, b := newBound(t, "a"), newBound(t, "b")
	if _, err := a.qn.Join(t.Context(), b.qn.Addr().String()); err != nil {
		t.Fatal(err)
	}
	if got := a.pn.Nodes(); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("a.Nodes() = %v", got)
	}
	echo, _, err := b.pn.Spawn(nil, proc.SpawnOpts{Name: "echo"}, func(p *proc.Process) proc.Value {
		for {
			e, err := p.Receive(-1, nil)
			if err != nil {
				return proc.Normal
			}
			m := e.V.(*proc.Table)
			p.Send(m.Get("from").(proc.PID), &proc.Table{Hash: []proc.Field{{Key: "tag", Val: "reply"}, {Key: "n", Val: m.Get("n")}}})
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	_, _, err = a.pn.Spawn(nil, proc.SpawnOpts{}, func(p *proc.Process) proc.Value {
		done <- func() error {
			p.SendName("echo", "b", &proc.Table{Hash: []proc.Field{{Key: "from", Val: p.PID()}, {Key: "n", Val: 1.0}}})
			p.Send(echo, &proc.Table{Hash: []proc.Field{{Key: "from", Val: p.PID()}, {Key: "n", Val: 2.0}}})
			for want := 1.0; want <= 2; want++ {
				m, err := waitFor(p, "reply")
				if err != nil {
					return err
				}
				if m.Get("n") != want {
					return errors.New("replies out of order")
				}
			}
			p.TrapExit(true)
			ref := p.Monitor(echo)
			p.Link(echo)
			p.MonitorNode("b")
			b.hole.on.Store(true) // b goes silent, as if killed
			m, err := waitFor(p, "DOWN")
			if err != nil {
				return err
			}
			if m.Get("ref") != ref || m.Get("reason") != proc.NoConnection {
				return errors.New("bad DOWN")
			}
			if m, err = waitFor(p, "EXIT"); err != nil {
				return err
			}
			if m.Get("from") != echo || m.Get("reason") != proc.NoConnection {
				return errors.New("bad EXIT")
			}
			if m, err = waitFor(p, "nodedown"); err != nil {
				return err
			}
			if m.Get("node") != "b" {
				return errors.New("bad nodedown")
			}
			return nil
		}()
		return proc.Normal
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
