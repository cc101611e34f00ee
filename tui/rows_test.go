package tui

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dlua/dlua/proc"
)

func snapAt(sec int, procs ...proc.Info) *Snapshot {
	return &Snapshot{Node: "local", Time: fakeT0.Add(time.Duration(sec) * time.Second), Processes: procs}
}

func pinfo(id, parent uint64, instr uint64) proc.Info {
	in := proc.Info{PID: pid(id), Instructions: instr}
	if parent != 0 {
		in.Parent = pid(parent)
	}
	return in
}

func TestNewFrame(t *testing.T) {
	first := newFrame(1, snapAt(0, pinfo(1, 0, 100), pinfo(2, 1, 50)), nil)
	if first.msgRate != -1 || first.rates[0] != -1 || first.rates[1] != -1 {
		t.Errorf("first frame: msgRate %v, rates %v; want all -1 (not known yet)", first.msgRate, first.rates)
	}
	second := newFrame(2, snapAt(2, pinfo(1, 0, 300), pinfo(2, 1, 10), pinfo(3, 1, 80)), first)
	tests := []struct {
		name string
		i    int
		want float64
	}{
		{"ran 200 in 2s", 0, 100},
		{"counter went back: unknown", 1, -1},
		{"new process: all since the last frame", 2, 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := second.rates[tt.i]; got != tt.want {
				t.Errorf("rate = %v, want %v", got, tt.want)
			}
		})
	}
	if second.msgRate != 0 {
		t.Errorf("msgRate %v, want 0", second.msgRate)
	}
}

func TestArrange(t *testing.T) {
	// 1 ─ 2 ─ 4
	//   └ 3      5 (parent 9 is not live: a root)
	procs := []proc.Info{
		{PID: pid(1), Name: "root", Memory: 10, Initial: "main.lua"},
		{PID: pid(2), Parent: pid(1), Name: "b", Memory: 30, Links: []proc.PID{pid(1)}, Initial: "main.lua:4"},
		{PID: pid(3), Parent: pid(1), Name: "a", Memory: 30, Initial: "main.lua:9"},
		{PID: pid(4), Parent: pid(2), Name: "Leaf", Memory: 5, Initial: "leaf.lua:1"},
		{PID: proc.PID{Node: "other", ID: 5}, Parent: pid(9), Name: "remote", Memory: 1, Initial: "r.lua:1"},
	}
	f := newFrame(1, snapAt(0, procs...), nil)
	tests := []struct {
		name string
		opts viewOpts
		want []uint64
	}{
		{"table by pid", viewOpts{}, []uint64{1, 2, 3, 4, 5}},
		{"table by name", viewOpts{sort: colName}, []uint64{4, 3, 2, 5, 1}},
		{"table by memory, ties by pid", viewOpts{sort: colMemory, desc: true}, []uint64{2, 3, 1, 4, 5}},
		{"table by node", viewOpts{sort: colNode, desc: true}, []uint64{5, 1, 2, 3, 4}},
		{"table, filter ignores case", viewOpts{filter: "leaf"}, []uint64{4}},
		{"table, filter by initial", viewOpts{filter: "main.lua:"}, []uint64{2, 3}},
		{"table, one node", viewOpts{node: "other"}, []uint64{5}},
		{"tree by pid", viewOpts{tree: true}, []uint64{1, 2, 4, 3, 5}},
		// roots by name: "remote" < "root"; under root "a" (3) < "b" (2)
		{"tree, siblings by name", viewOpts{tree: true, sort: colName}, []uint64{5, 1, 3, 2, 4}},
		{"tree, filter keeps ancestors", viewOpts{tree: true, filter: "leaf"}, []uint64{1, 2, 4}},
		{"tree, filter on a root", viewOpts{tree: true, filter: "remote"}, []uint64{5}},
		{"tree, nothing matches", viewOpts{tree: true, filter: "zzz"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := arrange(f, tt.opts)
			var got []uint64
			for _, r := range rows {
				got = append(got, f.snap.Processes[r.i].PID.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("rows %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTreePrefix(t *testing.T) {
	// a chain of 12 under a root that also has a second child
	procs := []proc.Info{{PID: pid(1)}}
	for i := uint64(2); i <= 13; i++ {
		in := proc.Info{PID: pid(i), Parent: pid(i - 1)}
		if i == 3 {
			in.Links = []proc.PID{pid(2)}
		}
		procs = append(procs, in)
	}
	procs = append(procs, proc.Info{PID: pid(14), Parent: pid(1)})
	f := newFrame(1, snapAt(0, procs...), nil)
	rows := arrange(f, viewOpts{tree: true})
	got := make(map[uint64]string)
	for k, r := range rows {
		got[f.snap.Processes[r.i].PID.ID] = treePrefix(rows, k)
	}
	tests := []struct {
		id   uint64
		want string
	}{
		{1, ""},
		{2, "├─"},
		{3, "│ └═"}, // linked to its parent
		{4, "│   └─"},
		{10, "│ " + strings.Repeat("  ", maxIndent-1) + "└─"},
		{11, "…" + strings.Repeat("  ", maxIndent) + "└─"}, // deeper than maxIndent: the top levels give way
		{13, "…" + strings.Repeat("  ", maxIndent) + "└─"},
		{14, "└─"},
	}
	for _, tt := range tests {
		if got[tt.id] != tt.want {
			t.Errorf("prefix of <local.%d> = %q, want %q", tt.id, got[tt.id], tt.want)
		}
	}
}

func BenchmarkArrange100k(b *testing.B) {
	f := bigFake(100_000)
	snap, _ := f.Snapshot(b.Context())
	prev := newFrame(1, &snap, nil)
	snap2, _ := f.Snapshot(b.Context())
	for _, bb := range []struct {
		name string
		opts viewOpts
	}{
		{"table", viewOpts{sort: colMemory, desc: true}},
		{"tree", viewOpts{tree: true}},
		{"tree_filter", viewOpts{tree: true, filter: "p9999"}},
	} {
		b.Run(bb.name, func(b *testing.B) {
			for b.Loop() {
				arrange(newFrame(2, &snap2, prev), bb.opts)
			}
		})
	}
}
