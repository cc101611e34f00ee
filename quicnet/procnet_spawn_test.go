package quicnet

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dlua/dlua/proc"
)

func TestBindRemoteSpawn(t *testing.T) {
	a, b := newBound(t, "a"), newBound(t, "b")
	if _, err := a.qn.Join(t.Context(), b.qn.Addr().String()); err != nil {
		t.Fatal(err)
	}
	b.pn.SetSpawner(func(from proc.PID, req proc.SpawnRequest) (proc.Body, proc.SpawnOpts, error) {
		switch req.Fn {
		case "hello":
			limits := req.Limits
			return func(p *proc.Process) proc.Value {
				p.Send(req.Args[0].(proc.PID), &proc.Table{Hash: []proc.Field{
					{Key: "tag", Val: "hello"}, {Key: "node", Val: p.Node().Name()}, {Key: "limits", Val: limits},
				}})
				return proc.Normal
			}, proc.SpawnOpts{}, nil
		case "crash":
			return func(p *proc.Process) proc.Value { return "boom" }, proc.SpawnOpts{}, nil
		}
		return nil, proc.SpawnOpts{}, fmt.Errorf("no function %v", req.Fn)
	})
	done := make(chan string, 1)
	_, _, err := a.pn.Spawn(nil, proc.SpawnOpts{}, func(p *proc.Process) proc.Value {
		done <- func() string {
			pid, _, err := p.SpawnOn("b", proc.SpawnRequest{Fn: "hello", Args: []proc.Value{p.PID()}, Limits: "lim"})
			if err != nil || pid.Node != "b" {
				return fmt.Sprintf("spawn hello: %v %v", pid, err)
			}
			m, err := waitFor(p, "hello")
			if err != nil || m.Get("node") != "b" || m.Get("limits") != "lim" {
				return fmt.Sprintf("hello: %v %v", m, err)
			}
			pid, ref, err := p.SpawnOn("b", proc.SpawnRequest{Fn: "crash", Monitor: true})
			if err != nil {
				return err.Error()
			}
			d, err := waitFor(p, "DOWN")
			if err != nil || d.Get("ref") != ref || d.Get("pid") != pid || d.Get("reason") != "boom" {
				return fmt.Sprintf("DOWN: %v %v", d, err)
			}
			if _, _, err := p.SpawnOn("b", proc.SpawnRequest{Fn: "nope"}); err == nil || !strings.Contains(err.Error(), "no function nope") {
				return fmt.Sprintf("refusal: %v", err)
			}
			if _, _, err := p.SpawnOn("c", proc.SpawnRequest{Fn: "hello"}); err == nil || err.Error() != "node c is not connected" {
				return fmt.Sprintf("unknown node: %v", err)
			}
			return ""
		}()
		return proc.Normal
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case msg := <-done:
		if msg != "" {
			t.Error(msg)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("timed out")
	}
}
