package tui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dlua/dlua/proc"
)

// recordLua is a Lua that records what it is asked and prints values with
// fmt.
type recordLua struct {
	mu    sync.Mutex
	calls []string
}

func (r *recordLua) record(s string) {
	r.mu.Lock()
	r.calls = append(r.calls, s)
	r.mu.Unlock()
}

func (r *recordLua) Eval(_ context.Context, line string) (EvalResult, error) {
	r.record("eval " + line)
	return EvalResult{Values: []string{"2"}}, nil
}

func (r *recordLua) SendExpr(_ context.Context, p proc.PID, expr string) error {
	r.record(fmt.Sprintf("send %s %s", p, expr))
	return nil
}

func (r *recordLua) ExitExpr(_ context.Context, p proc.PID, expr string) error {
	r.record(fmt.Sprintf("exit %s %s", p, expr))
	return nil
}

func (r *recordLua) FormatValue(v proc.Value) string {
	if t, ok := v.(*proc.Table); ok {
		return fmt.Sprintf("{%d fields}", len(t.Hash))
	}
	return fmt.Sprint(v)
}

// TestLocal checks Local against a real node whose processes are Go
// functions.
func TestLocal(t *testing.T) {
	node := proc.NewNode(proc.Config{})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := node.Shutdown(ctx, proc.Killed); err != nil {
			t.Error(err)
		}
	})
	lua := &recordLua{}
	l := &Local{Node: node, Lua: lua, Limits: Limits{MaxMailbox: 7}}
	ctx := t.Context()

	// A process that waits for a message that never comes: what is sent
	// to it stays in its mailbox.
	started := make(chan struct{})
	waiter, _, err := node.Spawn(nil, proc.SpawnOpts{Name: "waiter", Initial: "test:1"}, func(p *proc.Process) proc.Value {
		close(started)
		p.Receive(-1, func(*proc.Entry) bool { return false })
		return proc.Normal
	})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	node.Send(waiter, "hello")
	node.Send(waiter, &proc.Table{Hash: []proc.Field{{Key: "n", Val: 1.0}}})
	node.Log(waiter, "a line")

	t.Run("Snapshot", func(t *testing.T) {
		s, err := l.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if s.Node != "local" || s.Stats.Processes != 1 || len(s.Processes) != 1 || s.Limits.MaxMailbox != 7 {
			t.Fatalf("snapshot %+v", s)
		}
		if in := s.Processes[0]; in.PID != waiter || in.Name != "waiter" || in.Mailbox != 2 {
			t.Errorf("process %+v", in)
		}
	})
	t.Run("Messages", func(t *testing.T) {
		got, err := l.Messages(ctx, waiter, 10)
		if want := []string{`"hello"`, "{1 fields}"}; err != nil || !slices.Equal(got, want) {
			t.Errorf("Messages = %q, %v; want %q", got, err, want)
		}
		if got, _ := l.Messages(ctx, waiter, 1); len(got) != 1 {
			t.Errorf("Messages(1) = %q", got)
		}
	})
	t.Run("Logs", func(t *testing.T) {
		got, err := l.Logs(ctx, 0, 10)
		if err != nil || len(got) != 1 || got[0].PID != waiter || got[0].Text != "a line" {
			t.Errorf("Logs = %+v, %v", got, err)
		}
	})
	t.Run("Nodes", func(t *testing.T) {
		got, err := l.Nodes(ctx)
		if want := []NodeInfo{{Name: "local", Self: true, Up: true, Processes: 1}}; err != nil || !slices.Equal(got, want) {
			t.Errorf("Nodes = %+v, %v", got, err)
		}
	})
	t.Run("Lua", func(t *testing.T) {
		if res, err := l.Eval(ctx, "1+1"); err != nil || !slices.Equal(res.Values, []string{"2"}) {
			t.Errorf("Eval = %+v, %v", res, err)
		}
		if err := l.Send(ctx, waiter, `"x"`); err != nil {
			t.Error(err)
		}
		if err := l.Exit(ctx, waiter, `"bye"`); err != nil {
			t.Error(err)
		}
		want := []string{"eval 1+1", `send <local.1> "x"`, `exit <local.1> "bye"`}
		if !slices.Equal(lua.calls, want) {
			t.Errorf("calls %q, want %q", lua.calls, want)
		}
	})
	t.Run("Kill", func(t *testing.T) {
		if err := l.Kill(ctx, waiter); err != nil {
			t.Fatal(err)
		}
		if reason, err := node.Wait(ctx, waiter); err != nil || reason != proc.Killed {
			t.Fatalf("Wait = %v, %v", reason, err)
		}
		d, err := l.Info(ctx, waiter)
		if err != nil || d.Status != proc.Exited || d.Reason != "killed" || d.Name != "waiter" {
			t.Errorf("Info of the dead = %+v, %v", d, err)
		}
		if err := l.Kill(ctx, waiter); !errors.Is(err, proc.ErrNoProc) {
			t.Errorf("Kill of the dead = %v, want ErrNoProc", err)
		}
		if _, err := l.Messages(ctx, waiter, 1); !errors.Is(err, proc.ErrNoProc) {
			t.Errorf("Messages of the dead = %v, want ErrNoProc", err)
		}
	})
	t.Run("unknown", func(t *testing.T) {
		nobody := proc.PID{Node: "local", ID: 999}
		if _, err := l.Info(ctx, nobody); !errors.Is(err, proc.ErrNoProc) {
			t.Errorf("Info = %v, want ErrNoProc", err)
		}
	})
}
