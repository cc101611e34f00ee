package proc

import (
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
)

func TestRegister(t *testing.T) {
	n := newNode(t, Config{})
	a := spawn(t, n, nil, SpawnOpts{}, blockForever)
	b := spawn(t, n, nil, SpawnOpts{}, blockForever)
	dead := spawn(t, n, nil, SpawnOpts{}, func(*Process) Value { return Normal })
	waitReason(t, n, dead)

	steps := []struct {
		name string
		do   func() error
		want error
	}{
		{"register a", func() error { return n.Register("svc", a) }, nil},
		{"taken name", func() error { return n.Register("svc", b) }, ErrNameTaken},
		{"taken by itself", func() error { return n.Register("svc", a) }, ErrNameTaken},
		{"second name", func() error { return n.Register("other", a) }, ErrAlreadyNamed},
		{"empty name", func() error { return n.Register("", b) }, ErrBadName},
		{"dead pid", func() error { return n.Register("ghost", dead) }, ErrNoProc},
		{"unknown pid", func() error { return n.Register("ghost", PID{Node: "local", ID: 1 << 40}) }, ErrNoProc},
		{"remote pid", func() error { return n.Register("ghost", PID{Node: "beta", ID: 1}) }, ErrNoProc},
		{"register b elsewhere", func() error { return n.Register("other", b) }, nil},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if err := s.do(); !errors.Is(err, s.want) || (s.want == nil && err != nil) {
				t.Errorf("got %v, want %v", err, s.want)
			}
		})
	}
	for _, w := range []struct {
		name string
		pid  PID
		ok   bool
	}{{"svc", a, true}, {"other", b, true}, {"ghost", PID{}, false}, {"", PID{}, false}} {
		t.Run("whereis "+w.name, func(t *testing.T) {
			pid, ok := n.WhereIs(w.name)
			if pid != w.pid || ok != w.ok {
				t.Errorf("WhereIs(%q) = %v, %v; want %v, %v", w.name, pid, ok, w.pid, w.ok)
			}
		})
	}
	t.Run("info name", func(t *testing.T) {
		if in, _ := n.Info(a); in.Name != "svc" {
			t.Errorf("Info.Name = %q", in.Name)
		}
	})
	t.Run("unregister", func(t *testing.T) {
		if !n.Unregister("svc") {
			t.Error("Unregister(svc) = false")
		}
		if n.Unregister("svc") {
			t.Error("second Unregister(svc) = true")
		}
		if _, ok := n.WhereIs("svc"); ok {
			t.Error("svc still registered")
		}
		if in, _ := n.Info(a); in.Name != "" {
			t.Errorf("Info.Name = %q after Unregister", in.Name)
		}
		// a may take a new name, and b the old one.
		if err := n.Register("renamed", a); err != nil {
			t.Errorf("Register after Unregister: %v", err)
		}
		if ok := n.Unregister("other"); !ok {
			t.Error("Unregister(other) = false")
		}
		if err := n.Register("svc", b); err != nil {
			t.Errorf("Register(svc, b): %v", err)
		}
	})
	t.Run("unregistered name is not freed by the old holder", func(t *testing.T) {
		// a held "renamed"; after Unregister, c takes it; a's exit must not
		// free c's name.
		if !n.Unregister("renamed") {
			t.Fatal("Unregister(renamed) = false")
		}
		c := spawn(t, n, nil, SpawnOpts{Name: "renamed"}, blockForever)
		n.Exit(PID{}, a, Kill)
		waitReason(t, n, a)
		if pid, ok := n.WhereIs("renamed"); !ok || pid != c {
			t.Errorf("WhereIs(renamed) = %v, %v; want %v", pid, ok, c)
		}
	})
}

func TestNameFreedOnExit(t *testing.T) {
	n := newNode(t, Config{})
	g := newGate(t)
	target := spawn(t, n, nil, SpawnOpts{Name: "svc"}, gated(g, "boom"))
	type seen struct {
		name string
		ok   bool
	}
	results := make(chan seen, 2)
	// One watcher by monitor, one by a trapped link: each looks the name up
	// as soon as it hears of the exit. (The linker takes the name itself
	// once it has looked, so the watcher may find the linker there.)
	ready := make(chan struct{}, 2)
	watcher := spawn(t, n, nil, SpawnOpts{}, func(p *Process) Value {
		p.Monitor(target)
		ready <- struct{}{}
		if _, err := recvTable(p, tagged("DOWN")); err != nil {
			return err.Error()
		}
		pid, ok := n.WhereIs("svc")
		results <- seen{"DOWN", ok && pid == target}
		return Normal
	})
	linker := spawn(t, n, nil, SpawnOpts{}, func(p *Process) Value {
		p.TrapExit(true)
		p.Link(target)
		ready <- struct{}{}
		if _, err := recvTable(p, tagged("EXIT")); err != nil {
			return err.Error()
		}
		pid, ok := n.WhereIs("svc")
		results <- seen{"EXIT", ok && pid == target}
		// The name can be taken again at once.
		if err := n.Register("svc", p.PID()); err != nil {
			return fmt.Sprint("Register after EXIT: ", err)
		}
		return Normal
	})
	<-ready
	<-ready
	g.open()
	for range 2 {
		if s := <-results; s.ok {
			t.Errorf("%s handler: WhereIs(svc) still finds the dead process", s.name)
		}
	}
	for _, pid := range []PID{watcher, linker} {
		if r := waitReason(t, n, pid); r != Normal {
			t.Error(r)
		}
	}
	if in, _ := n.Info(target); in.Name != "svc" {
		t.Errorf("history Name = %q, want svc", in.Name)
	}
}

func TestSpawnName(t *testing.T) {
	n := newNode(t, Config{})
	t.Run("registered before Spawn returns", func(t *testing.T) {
		g := newGate(t)
		pid := spawn(t, n, nil, SpawnOpts{Name: "early"}, gated(g, Normal))
		if got, ok := n.WhereIs("early"); !ok || got != pid {
			t.Errorf("WhereIs(early) = %v, %v; want %v", got, ok, pid)
		}
		if err := n.SendName("early", "hi"); err != nil {
			t.Errorf("SendName: %v", err)
		}
		if in, _ := n.Info(pid); in.Mailbox != 1 || in.Name != "early" {
			t.Errorf("info = %+v", in)
		}
		g.open()
		waitReason(t, n, pid)
	})
	t.Run("taken name spawns nothing", func(t *testing.T) {
		holder := spawn(t, n, nil, SpawnOpts{Name: "taken"}, blockForever)
		before := n.Count()
		ran := make(chan struct{}, 1)
		_, _, err := n.Spawn(nil, SpawnOpts{Name: "taken"}, func(*Process) Value {
			ran <- struct{}{}
			return Normal
		})
		if !errors.Is(err, ErrNameTaken) {
			t.Errorf("Spawn with a taken name: %v", err)
		}
		if n.Count() != before {
			t.Errorf("Count() = %d, want %d", n.Count(), before)
		}
		select {
		case <-ran:
			t.Error("the body ran")
		default:
		}
		if pid, _ := n.WhereIs("taken"); pid != holder {
			t.Errorf("WhereIs(taken) = %v, want %v", pid, holder)
		}
	})
}

func TestSendName(t *testing.T) {
	n := newNode(t, Config{})
	if err := n.SendName("nobody", "x"); !errors.Is(err, ErrNotRegistered) {
		t.Errorf("SendName(nobody) = %v, want ErrNotRegistered", err)
	}
	got := make(chan Value, 1)
	pid := spawn(t, n, nil, SpawnOpts{Name: "echo"}, func(p *Process) Value {
		e, err := p.Receive(bound, nil)
		if err != nil {
			return err.Error()
		}
		got <- e.V
		return Normal
	})
	if err := n.SendName("echo", "x"); err != nil {
		t.Fatal(err)
	}
	if v := <-got; v != "x" {
		t.Errorf("got %v", v)
	}
	waitReason(t, n, pid)
	inBubble(t, Config{}, func(t *testing.T, n *Node) {
		spawn(t, n, nil, SpawnOpts{Name: "short"}, func(*Process) Value { return Normal })
		synctest.Wait()
		if err := n.SendName("short", "x"); !errors.Is(err, ErrNotRegistered) {
			t.Errorf("SendName to an exited holder = %v, want ErrNotRegistered", err)
		}
	})
}
