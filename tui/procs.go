package tui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/dlua/dlua/proc"
)

// procList is the process view: a flat table or a tree of the processes of
// the current frame, filtered and sorted, of which it renders only the
// visible page. The sorting and filtering of a frame run in Cmds
// (arrangedMsg); the list shows the last arrangement made for its current
// options.
type procList struct {
	keys  KeyMap
	frame *frame
	rows  []row
	opts  viewOpts
	// cursor is the selected row, offset the first visible one; selected
	// keeps the selection on the same process across arrangements.
	cursor, offset int
	selected       proc.PID
	width, height  int
	filtering      bool // the filter input has the focus
	input          textinput.Model
	// minSeq is the first snapshot of the node shown: arrangements of
	// older ones, of the node shown before, are dropped.
	minSeq int
}

// arrangedMsg is a frame arranged for some options.
type arrangedMsg struct {
	frame *frame
	opts  viewOpts
	rows  []row
}

func newProcList(keys KeyMap) procList {
	in := textinput.New()
	in.Prompt = "/"
	in.Placeholder = "pid, name or initial function"
	in.Cursor.SetMode(cursor.CursorStatic)
	return procList{keys: keys, input: in, opts: viewOpts{tree: true}}
}

// clear forgets the frame and rows shown, for the processes of another
// node whose first snapshot is seq; the options stay.
func (p *procList) clear(seq int) {
	p.frame, p.rows, p.minSeq = nil, nil, seq
	p.cursor, p.offset, p.selected = 0, 0, proc.PID{}
}

func (p *procList) setSize(w, h int) {
	p.width, p.height = w, h
	p.input.Width = max(0, w-2)
	p.scroll()
}

// pageSize is the number of rows shown.
func (p procList) pageSize() int {
	h := p.height - 2 // title and column headers
	if p.filtering || p.opts.filter != "" {
		h--
	}
	return max(1, h)
}

// build returns the Cmd that derives a frame from snap and arranges it.
func (p procList) build(seq int, snap *Snapshot) tea.Cmd {
	prev, opts := p.frame, p.opts
	return func() tea.Msg {
		f := newFrame(seq, snap, prev)
		return arrangedMsg{frame: f, opts: opts, rows: arrange(f, opts)}
	}
}

// rearrange returns the Cmd that arranges the current frame anew, after a
// change of the options.
func (p procList) rearrange() tea.Cmd {
	f, opts := p.frame, p.opts
	if f == nil {
		return nil
	}
	return func() tea.Msg {
		return arrangedMsg{frame: f, opts: opts, rows: arrange(f, opts)}
	}
}

// arranged takes an arrangement unless it is stale: made for other options
// than the current ones, or of an older frame.
func (p procList) arranged(msg arrangedMsg) procList {
	if msg.opts != p.opts || msg.frame.seq < p.minSeq || (p.frame != nil && msg.frame.seq < p.frame.seq) {
		return p
	}
	p.frame, p.rows = msg.frame, msg.rows
	p.cursor = min(p.cursor, max(0, len(p.rows)-1))
	if p.selected.IsZero() {
		// a new filter: select the first match, not an ancestor of it
		p.cursor = max(0, slices.IndexFunc(p.rows, func(r row) bool { return !r.ctx }))
	} else {
		for k, r := range p.rows {
			if p.frame.snap.Processes[r.i].PID == p.selected {
				p.cursor = k
				break
			}
		}
	}
	p.follow()
	return p
}

// follow moves the selection to the row under the cursor and scrolls to it.
func (p *procList) follow() {
	if p.cursor >= 0 && p.cursor < len(p.rows) {
		p.selected = p.frame.snap.Processes[p.rows[p.cursor].i].PID
	}
	p.scroll()
}

func (p *procList) scroll() {
	n := p.pageSize()
	if p.cursor < p.offset {
		p.offset = p.cursor
	}
	if p.cursor >= p.offset+n {
		p.offset = p.cursor - n + 1
	}
	p.offset = max(0, min(p.offset, len(p.rows)-n))
}

// current returns the selected process.
func (p procList) current() (proc.Info, bool) {
	if p.frame == nil || p.cursor < 0 || p.cursor >= len(p.rows) {
		return proc.Info{}, false
	}
	return p.frame.snap.Processes[p.rows[p.cursor].i], true
}

// rateOf returns pid's instructions/s in the current frame, -1 if unknown.
func (p procList) rateOf(pid proc.PID) float64 {
	if p.frame == nil {
		return -1
	}
	if i, ok := p.frame.index[pid]; ok {
		return p.frame.rates[i]
	}
	return -1
}

// setOpts changes the options and returns the Cmd that arranges for them.
func (p *procList) setOpts(o viewOpts) tea.Cmd {
	if o == p.opts {
		return nil
	}
	p.opts = o
	p.scroll()
	return p.rearrange()
}

func (p procList) Update(msg tea.Msg) (procList, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return p, nil
	}
	if p.filtering {
		return p.updateFilter(km)
	}
	o := p.opts
	switch {
	case key.Matches(km, p.keys.Up):
		p.cursor = max(0, p.cursor-1)
	case key.Matches(km, p.keys.Down):
		p.cursor = max(0, min(len(p.rows)-1, p.cursor+1))
	case key.Matches(km, p.keys.PageUp):
		p.cursor = max(0, p.cursor-p.pageSize())
	case key.Matches(km, p.keys.PageDown):
		p.cursor = max(0, min(len(p.rows)-1, p.cursor+p.pageSize()))
	case key.Matches(km, p.keys.Home):
		p.cursor = 0
	case key.Matches(km, p.keys.End):
		p.cursor = max(0, len(p.rows)-1)
	case key.Matches(km, p.keys.Sort):
		if c, ok := p.keys.sortColumn(km.String()); ok {
			o.sort, o.desc = c, c.numeric()
		}
	case key.Matches(km, p.keys.SortNext):
		o.sort = (o.sort + 1) % numColumns
		o.desc = o.sort.numeric()
	case key.Matches(km, p.keys.SortPrev):
		o.sort = (o.sort + numColumns - 1) % numColumns
		o.desc = o.sort.numeric()
	case key.Matches(km, p.keys.Reverse):
		o.desc = !o.desc
	case key.Matches(km, p.keys.Tree):
		o.tree = !o.tree
	case key.Matches(km, p.keys.Filter):
		p.filtering = true
		p.input.SetValue(o.filter)
		p.input.CursorEnd()
		p.scroll()
		return p, p.input.Focus()
	case key.Matches(km, p.keys.Back):
		o.filter, o.node = "", ""
	default:
		return p, nil
	}
	p.follow()
	return p, p.setOpts(o)
}

func (p procList) updateFilter(km tea.KeyMsg) (procList, tea.Cmd) {
	switch {
	case key.Matches(km, p.keys.Submit):
		p.filtering = false
		p.input.Blur()
		p.scroll()
		return p, nil
	case key.Matches(km, p.keys.Back):
		p.filtering = false
		p.input.Blur()
		o := p.opts
		o.filter = ""
		return p, p.setOpts(o)
	}
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(km)
	o := p.opts
	o.filter = p.input.Value()
	p.cursor, p.offset = 0, 0
	p.selected = proc.PID{}
	return p, tea.Batch(cmd, p.setOpts(o))
}

// help returns the bindings that apply to the list.
func (p procList) help() bindingHelp {
	k := p.keys
	if p.filtering {
		return bindingHelp{short: []key.Binding{
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "keep filter")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
		}}
	}
	return bindingHelp{
		short: []key.Binding{k.Up, k.Open, k.Filter, k.Sort, k.Reverse, k.Tree, k.Kill, k.Exit, k.Send, k.Prompt, k.Cluster, k.Help, k.Quit},
		full: [][]key.Binding{
			{k.Up, k.PageUp, k.Home, k.Open},
			{k.Filter, k.Back, k.Tree, k.Sort, k.SortNext, k.Reverse},
			{k.Kill, k.Exit, k.Send},
			{k.Prompt, k.Cluster, k.Logs, k.Help, k.Quit},
		},
	}
}

// widths returns the width of each column for a line of width w. The
// initial function gets what is left, at least minInitial: on a narrow
// terminal the name, the tree and then the node column give way.
func (p procList) widths(w int) [numColumns]int {
	const minInitial = 12
	var ws [numColumns]int
	used := 2 // the marker
	for c := range numColumns {
		ws[c] = columns[c].width
		if c == colPID && p.opts.tree {
			ws[c] += treeExtra
		}
		used += ws[c] + 1
	}
	need := minInitial - (w - used)
	give := func(c column, most int) {
		n := max(0, min(need, most))
		ws[c] -= n
		need -= n
	}
	give(colName, ws[colName]-8)
	if p.opts.tree {
		give(colPID, treeExtra)
	}
	if need > 0 {
		ws[colNode] = 0 // hidden with its separator: give back one more
		need -= columns[colNode].width + 1
	}
	ws[colInitial] = max(minInitial, minInitial-need)
	return ws
}

// treeExtra is the room the tree's branches get in the PID column.
const treeExtra = 10

func (p procList) View() string {
	w := p.width
	lines := make([]string, 0, p.height)
	lines = append(lines, p.title())
	ws := p.widths(w)
	var hdr strings.Builder
	hdr.WriteString("  ")
	for c := range numColumns {
		t := columns[c].title
		if c == p.opts.sort {
			if p.opts.desc {
				t += "▼"
			} else {
				t += "▲"
			}
		}
		if ws[c] == 0 {
			continue
		}
		hdr.WriteString(fit(t, ws[c], columns[c].right))
		hdr.WriteByte(' ')
	}
	lines = append(lines, styles.colHeader.Render(cut(strings.TrimRight(hdr.String(), " "), w)))

	n := p.pageSize()
	var linkedTo []proc.PID
	if sel, ok := p.current(); ok {
		linkedTo = sel.Links
	}
	end := min(len(p.rows), p.offset+n)
	for k := p.offset; k < end; k++ {
		lines = append(lines, p.renderRow(k, ws, w, linkedTo))
	}
	if p.frame == nil {
		lines = append(lines, "  waiting for the node…")
	} else if len(p.rows) == 0 {
		lines = append(lines, "  no process matches")
	}
	for len(lines) < p.height-1 {
		lines = append(lines, "")
	}
	if p.filtering {
		lines = append(lines, cut(p.input.View(), w))
	} else if p.opts.filter != "" {
		lines = append(lines, cut(fmt.Sprintf("filter: %s   (/ to change, esc to clear)", p.opts.filter), w))
	}
	return fitLines(lines, w, p.height)
}

// title is the first line: what is shown, and how.
func (p procList) title() string {
	var b strings.Builder
	b.WriteString(styles.title.Render("Processes"))
	if p.frame == nil {
		return b.String()
	}
	total := len(p.frame.snap.Processes)
	if len(p.rows) == 0 {
		fmt.Fprintf(&b, "  0 of %d", total)
	} else {
		fmt.Fprintf(&b, "  %d-%d of %d", p.offset+1, min(len(p.rows), p.offset+p.pageSize()), len(p.rows))
		if len(p.rows) != total {
			fmt.Fprintf(&b, " (of %d)", total)
		}
	}
	view := "table"
	if p.opts.tree {
		view = "tree (═ linked to parent)"
	}
	dir := "asc"
	if p.opts.desc {
		dir = "desc"
	}
	fmt.Fprintf(&b, " · %s · sort %s %s", view, strings.ToLower(columns[p.opts.sort].title), dir)
	if p.opts.node != "" {
		fmt.Fprintf(&b, " · node %s", p.opts.node)
	}
	b.WriteString(" · = linked to selected")
	return cut(b.String(), p.width)
}

func (p procList) renderRow(k int, ws [numColumns]int, w int, linkedTo []proc.PID) string {
	r := p.rows[k]
	in := &p.frame.snap.Processes[r.i]
	var b strings.Builder
	switch {
	case k == p.cursor:
		b.WriteString("> ")
	case slices.Contains(linkedTo, in.PID):
		b.WriteString("= ")
	default:
		b.WriteString("  ")
	}
	pid := in.PID.String()
	if p.opts.tree {
		pid = treePrefix(p.rows, k) + pid
	}
	cells := [numColumns]string{
		colPID:      pid,
		colName:     in.Name,
		colNode:     in.PID.Node,
		colStatus:   in.Status.String(),
		colRate:     formatCount(p.frame.rates[r.i]),
		colMemory:   formatBytes(in.Memory),
		colMailbox:  fmt.Sprint(in.Mailbox),
		colLinks:    fmt.Sprint(len(in.Links)),
		colMonitors: fmt.Sprint(len(in.Monitors)),
		colInitial:  in.Initial,
	}
	for c := range numColumns {
		if ws[c] == 0 {
			continue
		}
		b.WriteString(fit(cells[c], ws[c], columns[c].right))
		if c < numColumns-1 {
			b.WriteByte(' ')
		}
	}
	line := cut(b.String(), w)
	switch {
	case k == p.cursor:
		return styles.selected.Render(fit(line, w, false))
	case r.ctx:
		return styles.dim.Render(strings.TrimRight(line, " "))
	}
	return strings.TrimRight(line, " ")
}
