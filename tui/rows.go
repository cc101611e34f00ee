package tui

import (
	"cmp"
	"slices"
	"strings"

	"github.com/dlua/dlua/proc"
)

// column is a column of the process view.
type column int

const (
	colPID column = iota
	colName
	colNode
	colStatus
	colRate // instructions/s
	colMemory
	colMailbox
	colLinks
	colMonitors
	colInitial
	numColumns
)

type columnDef struct {
	title string
	width int  // 0: what is left
	right bool // numbers align right
}

var columns = [numColumns]columnDef{
	colPID:      {"PID", 14, false},
	colName:     {"NAME", 16, false},
	colNode:     {"NODE", 8, false},
	colStatus:   {"STATUS", 7, false},
	colRate:     {"INSTR/S", 8, true},
	colMemory:   {"MEMORY", 8, true},
	colMailbox:  {"MBOX", 6, true},
	colLinks:    {"LINKS", 5, true},
	colMonitors: {"MONS", 5, true},
	colInitial:  {"INITIAL", 0, false},
}

// numeric reports whether c sorts biggest first by default.
func (c column) numeric() bool {
	switch c {
	case colRate, colMemory, colMailbox, colLinks, colMonitors:
		return true
	}
	return false
}

// frame is a snapshot with what the console derives from it. A frame is
// never changed once made: Cmds read it while Update goes on.
type frame struct {
	seq   int // order in which snapshots were asked for
	snap  *Snapshot
	rates []float64 // instructions/s, parallel to snap.Processes; -1: not known yet
	index map[proc.PID]int32
	// msgRate is messages/s over the node since the previous frame; -1:
	// not known yet.
	msgRate float64
}

// newFrame derives a frame from snap and the frame before it (nil for the
// first one). It visits every process: call it in a Cmd.
func newFrame(seq int, snap *Snapshot, prev *frame) *frame {
	f := &frame{
		seq:     seq,
		snap:    snap,
		rates:   make([]float64, len(snap.Processes)),
		index:   make(map[proc.PID]int32, len(snap.Processes)),
		msgRate: -1,
	}
	dt := 0.0
	if prev != nil {
		dt = snap.Time.Sub(prev.snap.Time).Seconds()
	}
	if dt > 0 && snap.Stats.Messages >= prev.snap.Stats.Messages {
		f.msgRate = float64(snap.Stats.Messages-prev.snap.Stats.Messages) / dt
	}
	for i := range snap.Processes {
		in := &snap.Processes[i]
		f.index[in.PID] = int32(i)
		f.rates[i] = -1
		if dt <= 0 {
			continue
		}
		before := uint64(0) // a new process ran all its instructions since prev
		if j, ok := prev.index[in.PID]; ok {
			before = prev.snap.Processes[j].Instructions
		}
		if in.Instructions >= before {
			f.rates[i] = float64(in.Instructions-before) / dt
		}
	}
	return f
}

// viewOpts are what the process view shows of a frame, and in which order.
// It is comparable: an arrangement made for other options is stale.
type viewOpts struct {
	sort   column
	desc   bool
	tree   bool
	filter string // case-insensitive substring of pid, name or initial function
	node   string // only processes of this node; "" for all
}

// row is a line of the process view.
type row struct {
	i      int32 // index in frame.snap.Processes
	up     int32 // tree: row index of the parent's row; -1 for none
	depth  int32 // tree: 0 for a root
	last   bool  // tree: the last child of its parent
	linked bool  // tree: linked to its parent
	ctx    bool  // tree: shown only because a descendant matches the filter
}

// arrange filters and sorts f's processes into rows, as a flat table or as
// a tree of parents and children. It visits every process: call it in a
// Cmd.
func arrange(f *frame, o viewOpts) []row {
	procs := f.snap.Processes
	match := matcher(o)
	cmpIdx := func(a, b int32) int {
		c := compareProcs(f, o.sort, a, b)
		if o.desc {
			c = -c
		}
		if c == 0 {
			c = cmp.Compare(procs[a].PID.ID, procs[b].PID.ID)
		}
		return c
	}
	if !o.tree {
		idx := make([]int32, 0, len(procs))
		for i := range procs {
			if match(&procs[i]) {
				idx = append(idx, int32(i))
			}
		}
		slices.SortFunc(idx, cmpIdx)
		rows := make([]row, len(idx))
		for k, i := range idx {
			rows[k] = row{i: i, up: -1}
		}
		return rows
	}

	n := len(procs)
	parent := make([]int32, n)
	for i := range procs {
		parent[i] = -1
		if j, ok := f.index[procs[i].Parent]; ok && int(j) != i {
			parent[i] = j
		}
	}
	keep := make([]bool, n)
	matched := make([]bool, n)
	for i := range procs {
		if !match(&procs[i]) {
			continue
		}
		matched[i] = true
		// keep the match and the ancestors that lead to it
		for j := int32(i); j >= 0 && !keep[j]; j = parent[j] {
			keep[j] = true
		}
	}
	// children in one array: kids[start[p]:start[p+1]] are p's children
	start := make([]int32, n+1)
	var roots []int32
	for i := range procs {
		if !keep[i] {
			continue
		}
		if p := parent[i]; p >= 0 {
			start[p+1]++
		} else {
			roots = append(roots, int32(i))
		}
	}
	for p := range n {
		start[p+1] += start[p]
	}
	kids := make([]int32, start[n])
	fill := slices.Clone(start[:n])
	for i := range procs {
		if p := parent[i]; keep[i] && p >= 0 {
			kids[fill[p]] = int32(i)
			fill[p]++
		}
	}
	slices.SortFunc(roots, cmpIdx)
	for p := range n {
		slices.SortFunc(kids[start[p]:start[p+1]], cmpIdx)
	}

	type item struct {
		i, up, depth int32
		last         bool
	}
	rows := make([]row, 0, len(kids)+len(roots))
	stack := make([]item, 0, 64)
	for k := len(roots) - 1; k >= 0; k-- {
		stack = append(stack, item{i: roots[k], up: -1, last: k == len(roots)-1})
	}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		r := row{i: it.i, up: it.up, depth: it.depth, last: it.last, ctx: !matched[it.i]}
		if it.up >= 0 {
			in := &procs[it.i]
			r.linked = slices.Contains(in.Links, in.Parent)
		}
		rows = append(rows, r)
		me := int32(len(rows) - 1)
		ch := kids[start[it.i]:start[it.i+1]]
		for k := len(ch) - 1; k >= 0; k-- {
			stack = append(stack, item{i: ch[k], up: me, depth: it.depth + 1, last: k == len(ch)-1})
		}
	}
	return rows
}

// matcher returns the filter of o.
func matcher(o viewOpts) func(*proc.Info) bool {
	f := strings.ToLower(strings.TrimSpace(o.filter))
	return func(in *proc.Info) bool {
		if o.node != "" && in.PID.Node != o.node {
			return false
		}
		if f == "" {
			return true
		}
		return strings.Contains(strings.ToLower(in.PID.String()), f) ||
			strings.Contains(strings.ToLower(in.Name), f) ||
			strings.Contains(strings.ToLower(in.Initial), f)
	}
}

func compareProcs(f *frame, c column, a, b int32) int {
	x, y := &f.snap.Processes[a], &f.snap.Processes[b]
	switch c {
	case colName:
		return cmp.Compare(x.Name, y.Name)
	case colNode:
		return cmp.Compare(x.PID.Node, y.PID.Node)
	case colStatus:
		return cmp.Compare(x.Status, y.Status)
	case colRate:
		return cmp.Compare(f.rates[a], f.rates[b])
	case colMemory:
		return cmp.Compare(x.Memory, y.Memory)
	case colMailbox:
		return cmp.Compare(x.Mailbox, y.Mailbox)
	case colLinks:
		return cmp.Compare(len(x.Links), len(y.Links))
	case colMonitors:
		return cmp.Compare(len(x.Monitors), len(y.Monitors))
	case colInitial:
		return cmp.Compare(x.Initial, y.Initial)
	}
	if c := cmp.Compare(x.PID.Node, y.PID.Node); c != 0 {
		return c
	}
	return cmp.Compare(x.PID.ID, y.PID.ID)
}

// maxIndent is how many tree levels a row's prefix draws; deeper rows
// start with an ellipsis.
const maxIndent = 8

// treePrefix draws the branches in front of rows[r].
func treePrefix(rows []row, r int) string {
	rw := rows[r]
	if rw.depth == 0 {
		return ""
	}
	own := "├─"
	switch {
	case rw.last && rw.linked:
		own = "└═"
	case rw.last:
		own = "└─"
	case rw.linked:
		own = "├═"
	}
	levels := int(rw.depth) - 1 // ancestors below the root draw a rail or a gap
	drawn := min(levels, maxIndent)
	segs := make([]string, drawn)
	a := rw.up
	for k := drawn - 1; k >= 0; k-- {
		if rows[a].last {
			segs[k] = "  "
		} else {
			segs[k] = "│ "
		}
		a = rows[a].up
	}
	var b strings.Builder
	if levels > drawn {
		b.WriteString("…")
	}
	for _, s := range segs {
		b.WriteString(s)
	}
	b.WriteString(own)
	return b.String()
}
