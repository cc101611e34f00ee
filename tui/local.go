package tui

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/dlua/dlua/proc"
)

// Lua is what the console needs of a Lua host: evaluating lines and
// expressions in fresh processes, and printing values as Lua. cmd/dlua
// implements it on a *luahost.Host; tui does not import luahost.
type Lua interface {
	// Eval runs line in a fresh process and waits for it to end.
	Eval(ctx context.Context, line string) (EvalResult, error)
	// SendExpr sends pid the value of the Lua expression expr.
	SendExpr(ctx context.Context, pid proc.PID, expr string) error
	// ExitExpr sends pid an exit signal whose reason is the value of expr.
	ExitExpr(ctx context.Context, pid proc.PID, expr string) error
	// FormatValue prints v as Lua.
	FormatValue(v proc.Value) string
}

// Local is the [Source] of a node in this process. Node and Lua are
// required; the zero Limits reports no limits. Its methods are safe for
// concurrent use.
type Local struct {
	Node   *proc.Node
	Lua    Lua
	Limits Limits // the node's limits, shown in the header
}

var _ Source = (*Local)(nil)

// Snapshot implements [Source].
func (l *Local) Snapshot(context.Context) (Snapshot, error) {
	return Snapshot{
		Node:      l.Node.Name(),
		Time:      time.Now(),
		Stats:     l.Node.Stats(),
		Limits:    l.Limits,
		Processes: l.Node.Processes(),
	}, nil
}

// Info implements [Source].
func (l *Local) Info(_ context.Context, pid proc.PID) (Detail, error) {
	in, ok := l.Node.Info(pid)
	if !ok {
		return Detail{}, fmt.Errorf("%s: %w", pid, proc.ErrNoProc)
	}
	d := Detail{Info: in}
	if in.Status == proc.Exited {
		d.Reason = l.Lua.FormatValue(in.Reason)
	}
	return d, nil
}

// Messages implements [Source]. A string message is quoted, as Lua would
// write it in source.
func (l *Local) Messages(_ context.Context, pid proc.PID, n int) ([]string, error) {
	vs, ok := l.Node.Messages(pid, n)
	if !ok {
		return nil, fmt.Errorf("%s: %w", pid, proc.ErrNoProc)
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		if s, ok := v.(string); ok {
			out[i] = strconv.Quote(s)
		} else {
			out[i] = l.Lua.FormatValue(v)
		}
	}
	return out, nil
}

// Logs implements [Source].
func (l *Local) Logs(_ context.Context, after uint64, max int) ([]proc.LogLine, error) {
	return l.Node.Logs(after, max), nil
}

// Kill implements [Source].
func (l *Local) Kill(_ context.Context, pid proc.PID) error {
	if in, ok := l.Node.Info(pid); !ok || in.Status == proc.Exited {
		return fmt.Errorf("%s: %w", pid, proc.ErrNoProc)
	}
	l.Node.Exit(proc.PID{}, pid, proc.Kill)
	return nil
}

// Exit implements [Source].
func (l *Local) Exit(ctx context.Context, pid proc.PID, reasonExpr string) error {
	return l.Lua.ExitExpr(ctx, pid, reasonExpr)
}

// Send implements [Source].
func (l *Local) Send(ctx context.Context, pid proc.PID, msgExpr string) error {
	return l.Lua.SendExpr(ctx, pid, msgExpr)
}

// Eval implements [Source].
func (l *Local) Eval(ctx context.Context, line string) (EvalResult, error) {
	return l.Lua.Eval(ctx, line)
}

// Nodes implements [Source]: the local node only; the node's peers, if it
// has any, are read by a console attached to the cluster.
func (l *Local) Nodes(context.Context) ([]NodeInfo, error) {
	return []NodeInfo{{Name: l.Node.Name(), Self: true, Up: true, Processes: l.Node.Count()}}, nil
}

// ForNode implements [Source]: l itself for its node; a Local reads no
// other node.
func (l *Local) ForNode(name string) Source {
	if name == l.Node.Name() {
		return l
	}
	return nil
}
