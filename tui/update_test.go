package tui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/dlua/dlua/proc"
)

func pids(ids ...uint64) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = pid(id).String()
	}
	return out
}

// TestUpdate drives the console with keys against a fake node and checks
// what it shows and what it asked the node to do.
func TestUpdate(t *testing.T) {
	tests := []struct {
		name  string
		steps func(d *driver)
		check func(t *testing.T, d *driver, f *fakeSource)
	}{
		{
			name:  "starts as a tree",
			steps: func(d *driver) {},
			check: func(t *testing.T, d *driver, f *fakeSource) {
				wantRows(t, d, pids(1, 2, 3, 4, 5))
				if r := d.m.procs.rows[4]; r.depth != 2 || !r.last {
					t.Errorf("row of <local.5> = %+v, want depth 2, last", r)
				}
				if !d.m.procs.rows[1].linked || d.m.procs.rows[3].linked {
					t.Errorf("linked marks: %+v", d.m.procs.rows)
				}
			},
		},
		{
			name:  "table sorted by memory, biggest first",
			steps: func(d *driver) { d.press("t", "6") },
			check: func(t *testing.T, d *driver, f *fakeSource) {
				wantRows(t, d, pids(5, 4, 3, 2, 1))
			},
		},
		{
			name:  "reverse",
			steps: func(d *driver) { d.press("t", "6", "r") },
			check: func(t *testing.T, d *driver, f *fakeSource) {
				wantRows(t, d, pids(1, 2, 3, 4, 5))
				if d.m.procs.opts.desc {
					t.Error("still descending")
				}
			},
		},
		{
			name:  "sort by instructions/s after a tick",
			steps: func(d *driver) { d.tick().press("t", "5") },
			check: func(t *testing.T, d *driver, f *fakeSource) {
				wantRows(t, d, pids(5, 2, 1, 4, 3))
				if got := d.m.procs.rateOf(pid(5)); got != 1_500_000 {
					t.Errorf("rate of <local.5> = %v, want 1500000", got)
				}
			},
		},
		{
			name:  "sort keys cycle",
			steps: func(d *driver) { d.press("t", ">") },
			check: func(t *testing.T, d *driver, f *fakeSource) {
				if d.m.procs.opts.sort != colName {
					t.Errorf("sort = %v, want NAME", d.m.procs.opts.sort)
				}
				wantRows(t, d, pids(1, 5, 4, 2, 3)) // "" < "" (by pid) < ticker < worker1 < worker2
				d.press("<", "<")
				if d.m.procs.opts.sort != colInitial {
					t.Errorf("sort = %v, want INITIAL", d.m.procs.opts.sort)
				}
			},
		},
		{
			name:  "filter by name keeps the ancestors in the tree",
			steps: func(d *driver) { d.press("/").typeText("WORKER").press("enter") },
			check: func(t *testing.T, d *driver, f *fakeSource) {
				wantRows(t, d, pids(1, 2, 3))
				if d.m.procs.filtering || d.m.procs.opts.filter != "WORKER" {
					t.Errorf("filtering %v, filter %q", d.m.procs.filtering, d.m.procs.opts.filter)
				}
				d.press("t")
				wantRows(t, d, pids(2, 3))
			},
		},
		{
			name: "characters that arrive together are keys one by one",
			steps: func(d *driver) {
				d.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("/worker2")}).press("enter")
			},
			check: func(t *testing.T, d *driver, f *fakeSource) {
				if d.m.procs.opts.filter != "worker2" {
					t.Errorf("filter %q, want worker2", d.m.procs.opts.filter)
				}
				wantRows(t, d, pids(1, 3))
				if in, _ := d.m.procs.current(); in.PID != pid(3) {
					t.Errorf("selected %v, want the match <local.3>, not its parent", in.PID)
				}
			},
		},
		{
			name:  "filter by initial function",
			steps: func(d *driver) { d.press("/").typeText("demo.lua:14") },
			check: func(t *testing.T, d *driver, f *fakeSource) {
				wantRows(t, d, pids(1, 4, 5))
			},
		},
		{
			name:  "filter by pid",
			steps: func(d *driver) { d.press("t", "/").typeText("<local.4>").press("enter") },
			check: func(t *testing.T, d *driver, f *fakeSource) {
				wantRows(t, d, pids(4))
			},
		},
		{
			name:  "esc clears the filter",
			steps: func(d *driver) { d.press("/").typeText("work").press("esc") },
			check: func(t *testing.T, d *driver, f *fakeSource) {
				wantRows(t, d, pids(1, 2, 3, 4, 5))
			},
		},
		{
			name:  "keys typed in the filter are not commands",
			steps: func(d *driver) { d.press("/").typeText("kq") },
			check: func(t *testing.T, d *driver, f *fakeSource) {
				if d.quit || d.m.ask.active() || d.m.procs.opts.filter != "kq" {
					t.Errorf("quit %v, ask %v, filter %q", d.quit, d.m.ask.active(), d.m.procs.opts.filter)
				}
			},
		},
		{
			name:  "enter opens the detail of the selected process",
			steps: func(d *driver) { d.press("down", "down", "enter") },
			check: func(t *testing.T, d *driver, f *fakeSource) {
				if d.m.view != viewDetail || d.m.detail.pid != pid(3) || !d.m.detail.loaded {
					t.Fatalf("view %v, detail of %v (loaded %v)", d.m.view, d.m.detail.pid, d.m.detail.loaded)
				}
				wantView(t, d, `Process <local.3> "worker2"`, `"hello"`, `{n=1, tag="job"}`, "Mailbox: first 2 of 2", "monitors     <local.4>")
				d.press("esc")
				if d.m.view != viewProcs {
					t.Errorf("esc: view %v", d.m.view)
				}
			},
		},
		{
			name:  "the detail shows the process's log lines",
			steps: func(d *driver) { d.press("down", "down", "down", "enter") },
			check: func(t *testing.T, d *driver, f *fakeSource) {
				wantView(t, d, "Log: 2 lines", "10:00:01 tick 1", "10:00:02 tick 2", "with a second line")
				if strings.Contains(d.m.detail.View(), "worker 1 got hello") {
					t.Error("the detail shows another process's line")
				}
			},
		},
		{
			name:  "k asks, y kills",
			steps: func(d *driver) { d.press("down", "k") },
			check: func(t *testing.T, d *driver, f *fakeSource) {
				if d.m.ask.kind != askKill {
					t.Fatalf("ask = %v, want kill", d.m.ask.kind)
				}
				wantView(t, d, `kill <local.2> "worker1"? (y/n)`)
				d.press("y")
				if !slices.Equal(f.killed, []proc.PID{pid(2)}) {
					t.Errorf("killed %v", f.killed)
				}
				wantView(t, d, `killed <local.2> "worker1"`)
				wantRows(t, d, pids(1, 3, 4, 5)) // refreshed at once
			},
		},
		{
			name:  "k then n does nothing",
			steps: func(d *driver) { d.press("k", "n") },
			check: func(t *testing.T, d *driver, f *fakeSource) {
				if len(f.killed) != 0 || d.m.ask.active() {
					t.Errorf("killed %v, ask %v", f.killed, d.m.ask.kind)
				}
			},
		},
		{
			name:  "kill from the detail, which then shows the exit reason",
			steps: func(d *driver) { d.press("down", "down", "down", "enter", "k", "y") },
			check: func(t *testing.T, d *driver, f *fakeSource) {
				if !slices.Equal(f.killed, []proc.PID{pid(4)}) {
					t.Errorf("killed %v", f.killed)
				}
				wantView(t, d, "status       exited", "exit reason  killed", "Mailbox: gone with the process")
			},
		},
		{
			name:  "x sends an exit with a Lua reason",
			steps: func(d *driver) { d.press("down", "x").typeText("{code=7}").press("enter") },
			check: func(t *testing.T, d *driver, f *fakeSource) {
				if !slices.Equal(f.exits, []string{"<local.2> {code=7}"}) {
					t.Errorf("exits %q", f.exits)
				}
				wantView(t, d, `sent exit(<local.2> "worker1", {code=7})`)
			},
		},
		{
			name:  "x with a bad reason shows the error",
			steps: func(d *driver) { d.press("x").typeText("f()").press("enter") },
			check: func(t *testing.T, d *driver, f *fakeSource) {
				if !d.m.statusErr || !strings.Contains(d.m.status, "bad expression") {
					t.Errorf("status %q (error %v)", d.m.status, d.m.statusErr)
				}
			},
		},
		{
			name:  "esc cancels x",
			steps: func(d *driver) { d.press("x").typeText("1").press("esc") },
			check: func(t *testing.T, d *driver, f *fakeSource) {
				if len(f.exits) != 0 || d.m.ask.active() {
					t.Errorf("exits %q, ask %v", f.exits, d.m.ask.kind)
				}
			},
		},
		{
			name:  "s sends a Lua message",
			steps: func(d *driver) { d.press("down", "down", "s").typeText(`{tag="hi"}`).press("enter") },
			check: func(t *testing.T, d *driver, f *fakeSource) {
				if !slices.Equal(f.sends, []string{`<local.3> {tag="hi"}`}) {
					t.Errorf("sends %q", f.sends)
				}
			},
		},
		{
			name:  "the prompt evaluates a line",
			steps: func(d *driver) { d.press(":").typeText("1+1").press("enter") },
			check: func(t *testing.T, d *driver, f *fakeSource) {
				if !slices.Equal(d.m.prompt.transcript, []string{"lua> 1+1", "2"}) {
					t.Errorf("transcript %q", d.m.prompt.transcript)
				}
				d.typeText(`print("hi")`).press("enter").typeText("nope()").press("enter").typeText("1, 2").press("enter")
				want := []string{"lua> 1+1", "2", `lua> print("hi")`, "hi", "lua> nope()",
					"error: prompt:1: attempt to call a nil value", "lua> 1, 2", "1    2"}
				if !slices.Equal(d.m.prompt.transcript, want) {
					t.Errorf("transcript %q, want %q", d.m.prompt.transcript, want)
				}
			},
		},
		{
			name: "prompt history",
			steps: func(d *driver) {
				d.press(":").typeText("1+1").press("enter").typeText(`print("hi")`).press("enter").typeText("dra")
			},
			check: func(t *testing.T, d *driver, f *fakeSource) {
				for _, step := range []struct{ key, want string }{
					{"up", `print("hi")`}, {"up", "1+1"}, {"up", "1+1"},
					{"down", `print("hi")`}, {"down", "dra"}, {"down", "dra"},
				} {
					d.press(step.key)
					if got := d.m.prompt.input.Value(); got != step.want {
						t.Fatalf("after %s: input %q, want %q", step.key, got, step.want)
					}
				}
			},
		},
		{
			name:  "keys typed in the prompt are not commands; esc closes it",
			steps: func(d *driver) { d.press(":").typeText("qk") },
			check: func(t *testing.T, d *driver, f *fakeSource) {
				if d.quit || d.m.ask.active() || d.m.prompt.input.Value() != "qk" {
					t.Errorf("quit %v, ask %v, input %q", d.quit, d.m.ask.active(), d.m.prompt.input.Value())
				}
				d.press("esc")
				if d.m.promptOpen {
					t.Error("esc left the prompt open")
				}
			},
		},
		{
			name:  "tab shows the cluster; enter shows a node's processes",
			steps: func(d *driver) { d.press("tab") },
			check: func(t *testing.T, d *driver, f *fakeSource) {
				if d.m.view != viewCluster || len(d.m.cluster.nodes) != 1 {
					t.Fatalf("view %v, nodes %v", d.m.view, d.m.cluster.nodes)
				}
				wantView(t, d, "local (this node)", "up")
				d.press("enter")
				if d.m.view != viewProcs || d.m.procs.opts.node != "local" {
					t.Errorf("view %v, node %q", d.m.view, d.m.procs.opts.node)
				}
				wantRows(t, d, pids(1, 2, 3, 4, 5))
			},
		},
		{
			name:  "l scrolls the log",
			steps: func(d *driver) { d.press("l", "up") },
			check: func(t *testing.T, d *driver, f *fakeSource) {
				if !d.m.logFocus {
					t.Fatal("log not focused")
				}
				d.press("esc")
				if d.m.logFocus {
					t.Error("esc left the log focused")
				}
			},
		},
		{
			name:  "q quits",
			steps: func(d *driver) { d.press("q") },
			check: func(t *testing.T, d *driver, f *fakeSource) {
				if !d.quit || d.m.View() != "" {
					t.Errorf("quit %v, view %q", d.quit, d.m.View())
				}
			},
		},
		{
			name:  "ctrl+c quits from the prompt",
			steps: func(d *driver) { d.press(":", "ctrl+c") },
			check: func(t *testing.T, d *driver, f *fakeSource) {
				if !d.quit {
					t.Error("did not quit")
				}
			},
		},
		{
			name:  "the log pane has every process's lines",
			steps: func(d *driver) {},
			check: func(t *testing.T, d *driver, f *fakeSource) {
				wantView(t, d, "10:00:00 <local.2> worker 1 got hello", "10:00:02 <local.4> with a second line")
				f.mu.Lock()
				f.log(3, "late line")
				f.mu.Unlock()
				d.tick()
				wantView(t, d, "<local.3> late line")
				if n := len(d.m.logs.lines); n != 5 {
					t.Errorf("%d log lines, want 5", n)
				}
			},
		},
		{
			name:  "a failing snapshot shows an error and the next tick tries again",
			steps: func(d *driver) {},
			check: func(t *testing.T, d *driver, f *fakeSource) {
				f.snapErr = errors.New("connection lost")
				d.tick()
				wantView(t, d, "error: reading the node: connection lost")
				f.snapErr = nil
				d.tick()
				if f.calls != 2 {
					t.Errorf("%d snapshots, want 2", f.calls)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			d := newDriver(t, f, 120, 40)
			tt.steps(d)
			tt.check(t, d, f)
		})
	}
}

func wantRows(t *testing.T, d *driver, want []string) {
	t.Helper()
	if got := d.rowPIDs(); !slices.Equal(got, want) {
		t.Errorf("rows %v, want %v", got, want)
	}
}

func wantView(t *testing.T, d *driver, want ...string) {
	t.Helper()
	v := d.m.View()
	for _, w := range want {
		if !strings.Contains(v, w) {
			t.Errorf("view lacks %q:\n%s", w, v)
		}
	}
}

// TestStale checks that a tick of an old chain and an arrangement made for
// other options are dropped.
func TestStale(t *testing.T) {
	t.Run("tick", func(t *testing.T) {
		f := newFake()
		d := newDriver(t, f, 120, 40)
		d.press("k", "y") // an action refreshes at once, under a new tag
		if d.m.tag != 1 || f.calls != 2 {
			t.Fatalf("tag %d, %d snapshots", d.m.tag, f.calls)
		}
		nm, cmd := d.m.Update(tickMsg{tag: 0})
		if cmd != nil {
			t.Error("a stale tick asked for something")
		}
		d.m = nm.(Model)
		d.tick()
		if f.calls != 3 {
			t.Errorf("%d snapshots, want 3", f.calls)
		}
	})
	t.Run("arrangement", func(t *testing.T) {
		d := newDriver(t, newFake(), 120, 40)
		stale := d.m.procs.opts
		stale.sort = colMemory
		d.send(arrangedMsg{frame: d.m.procs.frame, opts: stale, rows: nil})
		wantRows(t, d, pids(1, 2, 3, 4, 5))
		old := d.m.procs.frame
		d.tick()
		d.send(arrangedMsg{frame: old, opts: d.m.procs.opts, rows: nil})
		wantRows(t, d, pids(1, 2, 3, 4, 5))
	})
	t.Run("snapshot in flight", func(t *testing.T) {
		f := newFake()
		d := newDriver(t, f, 120, 40)
		d.m.fetching = true // a slow snapshot is on its way
		d.tick()
		if f.calls != 1 {
			t.Errorf("%d snapshots, want 1: a second one while the first is in flight", f.calls)
		}
	})
}

// bigFake returns a node of n processes: a root and n-1 children, every
// tenth of them with a child of its own.
func bigFake(n int) *fakeSource {
	f := newFake()
	f.procs = f.procs[:0]
	for i := 1; i <= n; i++ {
		in := proc.Info{PID: pid(uint64(i)), Status: proc.Waiting, Memory: int64(i % 997), Initial: "big.lua:1"}
		switch {
		case i == 1:
		case i%10 == 1:
			in.Parent = pid(uint64(i - 1))
		default:
			in.Parent = pid(1)
		}
		in.Name = fmt.Sprintf("p%d", i)
		f.procs = append(f.procs, fakeProc{info: in, rate: uint64(i % 13)})
	}
	return f
}

// TestPaging checks that the view of 100,000 processes renders one page,
// and that the keys move through all of them.
func TestPaging(t *testing.T) {
	const n = 100_000
	d := newDriver(t, bigFake(n), 100, 30)
	if len(d.m.procs.rows) != n {
		t.Fatalf("%d rows, want %d", len(d.m.procs.rows), n)
	}
	page := d.m.procs.pageSize()
	checkView := func(want ...string) {
		t.Helper()
		v := d.m.View()
		if lines := strings.Split(v, "\n"); len(lines) != 30 {
			t.Errorf("%d lines, want 30", len(lines))
		}
		if got := strings.Count(v, "big.lua"); got != page {
			t.Errorf("%d rows rendered, want a page of %d", got, page)
		}
		wantView(t, d, want...)
	}
	checkView(fmt.Sprintf("Processes  1-%d of %d", page, n))
	d.press("pgdown")
	if d.m.procs.cursor != page {
		t.Errorf("cursor %d after pgdown, want %d", d.m.procs.cursor, page)
	}
	d.press("end")
	checkView(fmt.Sprintf("%d-%d of %d", n-page+1, n, n))
	d.press("t", "/").typeText("p99999").press("enter")
	if got := d.rowPIDs(); !slices.Equal(got, pids(99999)) {
		t.Errorf("filtered rows %v", got)
	}
}

// TestResize checks that every view fits the terminal, whatever its size.
func TestResize(t *testing.T) {
	sizes := []struct{ w, h int }{{120, 40}, {80, 24}, {40, 10}, {20, 5}, {200, 60}}
	views := map[string][]string{
		"procs":   nil,
		"table":   {"t"},
		"detail":  {"down", "enter"},
		"cluster": {"tab"},
		"prompt":  {":"},
		"help":    {"?"},
	}
	for name, keys := range views {
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("%s/%dx%d", name, sz.w, sz.h), func(t *testing.T) {
				d := newDriver(t, newFake(), 120, 40)
				d.press(keys...)
				d.send(tea.WindowSizeMsg{Width: sz.w, Height: sz.h})
				lines := strings.Split(d.m.View(), "\n")
				if len(lines) != sz.h {
					t.Errorf("%d lines, want %d", len(lines), sz.h)
				}
				for i, l := range lines {
					if w := ansi.StringWidth(l); w > sz.w {
						t.Errorf("line %d is %d wide, more than %d: %q", i, w, sz.w, l)
					}
				}
			})
		}
	}
}

// TestClusterShowsNode: enter on a peer in the cluster view shows the
// processes of that peer, read through the source ForNode returns, and
// actions go to it; enter on the home node shows its processes again.
func TestClusterShowsNode(t *testing.T) {
	f := newFake()
	peer := newFake()
	peer.node = "n2"
	far := proc.PID{Node: "n2", ID: 7, Creation: 1}
	peer.procs = []fakeProc{{info: proc.Info{PID: far, Name: "far", Initial: "far.lua", Status: proc.Waiting}}}
	peer.logs = []proc.LogLine{{Seq: 1, Time: fakeT0, PID: far, Text: "far away"}}
	f.nodes = append(f.nodes, NodeInfo{Name: "n2", Up: true, Processes: 1}, NodeInfo{Name: "n3", Up: true, Processes: -1})
	f.peers = map[string]*fakeSource{"n2": peer}
	d := newDriver(t, f, 120, 40)

	d.press("tab", "down", "enter")
	if d.m.view != viewProcs || d.m.src != Source(peer) || d.m.procs.opts.node != "n2" {
		t.Fatalf("view %v, node %q, src is the peer: %v", d.m.view, d.m.procs.opts.node, d.m.src == Source(peer))
	}
	if got := d.rowPIDs(); !slices.Equal(got, []string{far.String()}) {
		t.Fatalf("rows %v, want %v", got, far)
	}
	wantView(t, d, "node n2", "far", "far away")
	if v := d.m.View(); strings.Contains(v, "worker1") || strings.Contains(v, "worker 1 got hello") {
		t.Errorf("the home node's processes or log still shown:\n%s", v)
	}
	d.tick()
	if got := d.rowPIDs(); !slices.Equal(got, []string{far.String()}) {
		t.Errorf("rows after a tick %v", got)
	}
	d.press("k", "y")
	if !slices.Equal(peer.killed, []proc.PID{far}) || len(f.killed) != 0 {
		t.Errorf("killed: peer %v, home %v", peer.killed, f.killed)
	}

	d.press("tab")
	wantView(t, d, "n2 (shown)")
	d.press("down", "enter") // n3: no source
	if d.m.view != viewCluster || !d.m.statusErr || !strings.Contains(d.m.status, "n3") {
		t.Errorf("enter on n3: view %v, status %q", d.m.view, d.m.status)
	}

	d.press("home", "enter")
	if d.m.view != viewProcs || d.m.src != Source(f) || d.m.procs.opts.node != "local" {
		t.Fatalf("back home: view %v, node %q", d.m.view, d.m.procs.opts.node)
	}
	wantRows(t, d, pids(1, 2, 3, 4, 5))
	wantView(t, d, "node local", "worker 1 got hello")
}

// TestClusterStaleSnapshot: a snapshot of the node shown before, arriving
// after the switch, is dropped.
func TestClusterStaleSnapshot(t *testing.T) {
	f := newFake()
	peer := newFake()
	peer.node = "n2"
	peer.procs = peer.procs[:1]
	peer.procs[0].info.PID = proc.PID{Node: "n2", ID: 1, Creation: 1}
	f.nodes = append(f.nodes, NodeInfo{Name: "n2", Up: true, Processes: 1})
	f.peers = map[string]*fakeSource{"n2": peer}
	d := newDriver(t, f, 120, 40)
	old := d.m.seq
	d.press("tab", "down", "enter")
	snap, _ := f.Snapshot(context.Background())
	d.send(snapshotMsg{seq: old, snap: &snap})
	if got := d.rowPIDs(); len(got) != 1 || d.m.procs.frame.snap.Node != "n2" {
		t.Errorf("rows %v of %s", got, d.m.procs.frame.snap.Node)
	}
}
