package tui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dlua/dlua/proc"
)

// fakeSource is a Source with a fixed node: every Snapshot is one second
// after the one before, and each process has run its rate of instructions
// in between. Its methods are safe for concurrent use (teatest calls them
// from Cmds).
type fakeSource struct {
	mu      sync.Mutex
	node    string
	t0      time.Time
	calls   int // Snapshots taken
	procs   []fakeProc
	history map[proc.PID]Detail
	mbox    map[proc.PID][]string
	logs    []proc.LogLine
	nodes   []NodeInfo
	peers   map[string]*fakeSource // what ForNode reaches
	snapErr error

	killed []proc.PID
	exits  []string // "pid reason"
	sends  []string // "pid msg"
	evals  []string
}

type fakeProc struct {
	info proc.Info
	rate uint64 // instructions per snapshot
}

func pid(n uint64) proc.PID { return proc.PID{Node: "local", ID: n, Creation: 1} }

var fakeT0 = time.Date(2025, 1, 2, 10, 0, 0, 0, time.UTC)

// newFake returns a node with a root that spawned two linked workers (one
// with messages waiting), a ticker and the ticker's child.
func newFake() *fakeSource {
	info := func(id, parent uint64, name, initial string, links ...uint64) proc.Info {
		in := proc.Info{PID: pid(id), Name: name, Initial: initial, Status: proc.Waiting, Memory: int64(id) * 11 << 10}
		if parent != 0 {
			in.Parent = pid(parent)
		}
		for _, l := range links {
			in.Links = append(in.Links, pid(l))
		}
		return in
	}
	f := &fakeSource{
		node: "local",
		t0:   fakeT0,
		procs: []fakeProc{
			{info: info(1, 0, "", "demo.lua", 2, 3), rate: 100},
			{info: info(2, 1, "worker1", "demo.lua:3", 1), rate: 2500},
			{info: info(3, 1, "worker2", "demo.lua:3", 1), rate: 0},
			{info: info(4, 1, "ticker", "demo.lua:12"), rate: 40},
			{info: info(5, 4, "", "demo.lua:14"), rate: 1_500_000},
		},
		history: map[proc.PID]Detail{},
		mbox: map[proc.PID][]string{
			pid(3): {`"hello"`, `{n=1, tag="job"}`},
		},
		nodes: []NodeInfo{{Name: "local", Self: true, Up: true, Processes: 5}},
	}
	f.procs[2].info.Mailbox = 2
	f.procs[2].info.Monitors = []proc.PID{pid(4)}
	f.procs[3].info.MonitoredBy = []proc.PID{pid(3)}
	f.procs[0].info.Status = proc.Running
	f.log(2, "worker 1 got hello")
	f.log(4, "tick 1")
	f.log(4, "tick 2\nwith a second line")
	return f
}

func (f *fakeSource) log(id uint64, text string) {
	f.logs = append(f.logs, proc.LogLine{Seq: uint64(len(f.logs) + 1), Time: f.t0.Add(time.Duration(len(f.logs)) * time.Second), PID: pid(id), Text: text})
}

func (f *fakeSource) Snapshot(context.Context) (Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.snapErr != nil {
		return Snapshot{}, f.snapErr
	}
	f.calls++
	s := Snapshot{
		Node:   f.node,
		Time:   f.t0.Add(time.Duration(f.calls) * time.Second),
		Limits: Limits{MaxMailbox: 1000},
		Stats:  proc.Stats{Processes: len(f.procs), Spawned: 9, Messages: uint64(f.calls) * 120, LimitKills: 1},
	}
	for _, p := range f.procs {
		in := p.info
		in.Instructions = p.rate * uint64(f.calls)
		s.Stats.Memory += in.Memory
		s.Processes = append(s.Processes, in)
	}
	return s, nil
}

func (f *fakeSource) find(p proc.PID) int {
	return slices.IndexFunc(f.procs, func(fp fakeProc) bool { return fp.info.PID == p })
}

func (f *fakeSource) Info(_ context.Context, p proc.PID) (Detail, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if i := f.find(p); i >= 0 {
		in := f.procs[i].info
		in.Instructions = f.procs[i].rate * uint64(f.calls)
		return Detail{Info: in}, nil
	}
	if d, ok := f.history[p]; ok {
		return d, nil
	}
	return Detail{}, fmt.Errorf("%s: %w", p, proc.ErrNoProc)
}

func (f *fakeSource) Messages(_ context.Context, p proc.PID, n int) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.find(p) < 0 {
		return nil, proc.ErrNoProc
	}
	m := f.mbox[p]
	return m[:min(n, len(m))], nil
}

func (f *fakeSource) Logs(_ context.Context, after uint64, max int) ([]proc.LogLine, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []proc.LogLine
	for _, l := range f.logs {
		if l.Seq > after {
			out = append(out, l)
		}
	}
	if len(out) > max {
		out = out[len(out)-max:]
	}
	return out, nil
}

func (f *fakeSource) Kill(_ context.Context, p proc.PID) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := f.find(p)
	if i < 0 {
		return fmt.Errorf("%s: %w", p, proc.ErrNoProc)
	}
	in := f.procs[i].info
	in.Status, in.Reason = proc.Exited, proc.Killed
	f.history[p] = Detail{Info: in, Reason: "killed"}
	f.procs = slices.Delete(f.procs, i, i+1)
	f.killed = append(f.killed, p)
	return nil
}

func (f *fakeSource) Exit(_ context.Context, p proc.PID, expr string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if strings.Contains(expr, "(") {
		return fmt.Errorf("prompt:1: bad expression")
	}
	f.exits = append(f.exits, p.String()+" "+expr)
	return nil
}

func (f *fakeSource) Send(_ context.Context, p proc.PID, expr string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sends = append(f.sends, p.String()+" "+expr)
	return nil
}

func (f *fakeSource) Eval(_ context.Context, line string) (EvalResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.evals = append(f.evals, line)
	switch line {
	case "1+1":
		return EvalResult{PID: pid(9), Values: []string{"2"}}, nil
	case `print("hi")`:
		return EvalResult{PID: pid(9), Output: "hi\n"}, nil
	case "1, 2":
		return EvalResult{PID: pid(9), Values: []string{"1", "2"}}, nil
	}
	return EvalResult{PID: pid(9), Err: "prompt:1: attempt to call a nil value"}, nil
}

func (f *fakeSource) Nodes(context.Context) ([]NodeInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.nodes), nil
}

func (f *fakeSource) ForNode(name string) Source {
	f.mu.Lock()
	defer f.mu.Unlock()
	if name == f.node {
		return f
	}
	if p := f.peers[name]; p != nil {
		return p
	}
	return nil
}
