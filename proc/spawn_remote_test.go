package proc

import (
	"fmt"
	"strings"
	"testing"
)

// bodySpawner is a Spawner for tests: Fn is a string naming one of bodies.
func bodySpawner(bodies map[string]Body) Spawner {
	return func(from PID, req SpawnRequest) (Body, SpawnOpts, error) {
		name, _ := req.Fn.(string)
		b, ok := bodies[name]
		if !ok {
			return nil, SpawnOpts{}, fmt.Errorf("no function %q", name)
		}
		args := req.Args
		return func(p *Process) Value {
			if len(args) > 0 {
				p.Send(args[0].(PID), &Table{Hash: []Field{{"tag", "hello"}, {"node", p.Node().Name()}, {"parent", from}}})
			}
			return b(p)
		}, SpawnOpts{Initial: name}, nil
	}
}

func TestSpawnOn(t *testing.T) {
	a, b, _, _ := pair(t)
	b.SetSpawner(bodySpawner(map[string]Body{
		"hello": func(p *Process) Value { return Normal },
		"crash": func(p *Process) Value { return "boom" },
		"wait":  blockForever,
	}))
	r := run(t, a, func(p *Process) Value {
		// plain spawn: runs on b, says hello
		pid, ref, err := p.SpawnOn("b", SpawnRequest{Fn: "hello", Args: []Value{p.PID()}})
		if err != nil || pid.Node != "b" || ref != (Ref{}) {
			return fmt.Sprintf("spawn: %v %v %v", pid, ref, err)
		}
		m, err := recvTable(p, tagged("hello"))
		if err != nil || m.Get("node") != "b" || m.Get("parent") != p.PID() {
			return fmt.Sprintf("hello: %v %v", m, err)
		}
		// monitor: a crash that happens at once still gives DOWN
		pid, ref, err = p.SpawnOn("b", SpawnRequest{Fn: "crash", Monitor: true})
		if err != nil || ref == (Ref{}) {
			return fmt.Sprintf("spawn crash: %v", err)
		}
		d, err := recvTable(p, tagged("DOWN"))
		if err != nil || d.Get("ref") != ref || d.Get("pid") != pid || d.Get("reason") != "boom" {
			return fmt.Sprintf("DOWN: %v %v", d, err)
		}
		// link: the linked child's crash reaches us as EXIT
		p.TrapExit(true)
		pid, _, err = p.SpawnOn("b", SpawnRequest{Fn: "crash", Link: true})
		if err != nil {
			return err.Error()
		}
		x, err := recvTable(p, tagged("EXIT"))
		if err != nil || x.Get("from") != pid || x.Get("reason") != "boom" {
			return fmt.Sprintf("EXIT: %v %v", x, err)
		}
		// name
		pid, _, err = p.SpawnOn("b", SpawnRequest{Fn: "wait", Name: "waiter"})
		if err != nil {
			return err.Error()
		}
		if got, ok := b.WhereIs("waiter"); !ok || got != pid {
			return fmt.Sprintf("whereis = %v %v", got, ok)
		}
		// refused, unknown node
		if _, _, err = p.SpawnOn("b", SpawnRequest{Fn: "nope"}); err == nil || !strings.Contains(err.Error(), `no function "nope"`) {
			return fmt.Sprintf("refusal: %v", err)
		}
		if _, _, err = p.SpawnOn("zz", SpawnRequest{Fn: "hello"}); err == nil || err.Error() != "node zz is not connected" {
			return fmt.Sprintf("unknown node: %v", err)
		}
		return Normal
	})
	if r != Normal {
		t.Error(r)
	}
}

func TestSpawnOnNoSpawner(t *testing.T) {
	a, _, _, _ := pair(t)
	r := run(t, a, func(p *Process) Value {
		_, _, err := p.SpawnOn("b", SpawnRequest{Fn: "x"})
		if err == nil || !strings.Contains(err.Error(), "does not accept remote spawns") {
			return fmt.Sprintf("err = %v", err)
		}
		return Normal
	})
	if r != Normal {
		t.Error(r)
	}
}

func TestSpawnOnNodeDown(t *testing.T) {
	a, _, ab, ba := pair(t)
	// b has no spawner goroutine answering: cut the wires before a reply
	ab.cut()
	ba.cut()
	r := run(t, a, func(p *Process) Value {
		_, _, err := p.SpawnOn("b", SpawnRequest{Fn: "x"})
		if err == nil || err.Error() != "node b is not connected" {
			return fmt.Sprintf("err = %v", err)
		}
		return Normal
	})
	if r != Normal {
		t.Error(r)
	}
}
