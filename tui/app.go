package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/dlua/dlua/proc"
)

// Timeouts of the Cmds that call the source.
const (
	fetchTimeout  = 5 * time.Second
	actionTimeout = 10 * time.Second
)

// Options configure the console. The zero Options is valid.
type Options struct {
	// Interval is how often the console reads the node. Zero: 1 second.
	Interval time.Duration
	// Keys are the key bindings. Zero: DefaultKeyMap().
	Keys *KeyMap
}

// StatusMsg shows Text on the console's status line; send it to the
// program (tea.Program.Send) to tell the user of something that happened
// outside the console, such as the end of the script it runs.
type StatusMsg struct {
	Text string
	Err  bool // shown as an error
}

// tickMsg asks for a refresh. Only the tick of the current tag counts: a
// refresh started by hand starts a new tag, and the ticks of the old one
// are dropped.
type tickMsg struct{ tag int }

// snapshotMsg is a snapshot read from the source.
type snapshotMsg struct {
	seq  int
	snap *Snapshot
	err  error
}

// view is what the main area shows.
type view int

const (
	viewProcs view = iota
	viewDetail
	viewCluster
)

// Model is the console: a header with the node's totals, a main area (the
// process list, the detail pane of one process, or the cluster view), a
// bottom pane (the log, or the Lua prompt), a status line and the help
// line. It reads the node through a [Source] in Cmds, on a tick.
//
// The root routes each key to the child that has the focus: a question
// (kill? reason?), the prompt, the filter input, the log pane, then the
// main area. A zero Model is not usable: use [New].
type Model struct {
	// home is the source the console was opened on; src the one of the
	// node whose processes it shows (home, or a node chosen in the
	// cluster view, read through home's ForNode).
	home     Source
	src      Source
	keys     KeyMap
	interval time.Duration
	// tick schedules the tick of a tag; tests replace it.
	tick func(interval time.Duration, tag int) tea.Cmd

	width, height int
	tag           int // of the current tick
	seq           int // of the last snapshot asked for
	fetching      bool

	view       view
	promptOpen bool
	logFocus   bool
	status     string
	statusErr  bool
	quitting   bool

	procs   procList
	detail  detail
	cluster cluster
	logs    logPane
	prompt  prompt
	ask     ask
	help    help.Model
}

// New returns the console reading src.
func New(src Source, opts Options) Model {
	keys := DefaultKeyMap()
	if opts.Keys != nil {
		keys = *opts.Keys
	}
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	return Model{
		home:     src,
		src:      src,
		keys:     keys,
		interval: opts.Interval,
		tick:     tickAfter,
		procs:    newProcList(keys),
		detail:   newDetail(keys, src),
		cluster:  newCluster(keys, src),
		logs:     newLogPane(keys, src),
		prompt:   newPrompt(keys, src),
		ask:      newAsk(keys, src),
		help:     help.New(),
	}
}

func tickAfter(d time.Duration, tag int) tea.Cmd {
	return tea.Tick(d, func(time.Time) tea.Msg { return tickMsg{tag: tag} })
}

// Init reads the node at once and starts the tick.
func (m Model) Init() tea.Cmd {
	return func() tea.Msg { return tickMsg{tag: 0} }
}

// refreshNow reads the node at once and restarts the tick under a new tag.
func (m *Model) refreshNow() tea.Cmd {
	m.tag++
	return tea.Batch(m.fetch(), m.tick(m.interval, m.tag))
}

// fetch returns the Cmds that read what is on screen.
func (m *Model) fetch() tea.Cmd {
	var cmds []tea.Cmd
	if !m.fetching {
		m.fetching = true
		m.seq++
		src, seq := m.src, m.seq
		cmds = append(cmds, func() tea.Msg {
			ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
			defer cancel()
			snap, err := src.Snapshot(ctx)
			return snapshotMsg{seq: seq, snap: &snap, err: err}
		})
	}
	cmds = append(cmds, m.logs.fetch())
	switch m.view {
	case viewDetail:
		cmds = append(cmds, m.detail.fetch())
	case viewCluster:
		cmds = append(cmds, m.cluster.fetch())
	}
	return tea.Batch(cmds...)
}

// Update implements tea.Model.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.layout()
		return m, nil
	case tickMsg:
		if msg.tag != m.tag {
			return m, nil // stale: a newer tick chain runs
		}
		return m, tea.Batch(m.fetch(), m.tick(m.interval, m.tag))
	case snapshotMsg:
		if msg.seq == m.seq {
			m.fetching = false
		}
		if msg.seq < m.procs.minSeq {
			return m, nil // of the node shown before
		}
		if msg.err != nil {
			m.setStatus("error: reading the node: "+msg.err.Error(), true)
			return m, nil
		}
		return m, m.procs.build(msg.seq, msg.snap)
	case arrangedMsg:
		m.procs = m.procs.arranged(msg)
		return m, nil
	case logsMsg:
		if msg.err != nil {
			m.setStatus("error: reading the log: "+msg.err.Error(), true)
			return m, nil
		}
		m.logs = m.logs.take(msg)
		return m, nil
	case detailMsg:
		var limits Limits
		if m.procs.frame != nil {
			limits = m.procs.frame.snap.Limits
		}
		m.detail = m.detail.take(msg, m.procs.rateOf(msg.pid), limits)
		return m, nil
	case nodesMsg:
		m.cluster = m.cluster.take(msg)
		return m, nil
	case evalMsg:
		m.prompt = m.prompt.take(msg)
		return m, m.refreshNow()
	case actionMsg:
		if msg.err != nil {
			m.setStatus("error: "+msg.err.Error(), true)
		} else {
			m.setStatus(msg.text, false)
		}
		return m, m.refreshNow()
	case StatusMsg:
		m.setStatus(msg.Text, msg.Err)
		return m, nil
	case tea.KeyMsg:
		if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste {
			return m.typed(msg)
		}
		return m.key(msg)
	}
	return m, nil
}

// typed handles a run of typed characters that the terminal delivered at
// once ("/lonely"): one key at a time, since the first may open the input
// the others go to.
func (m Model) typed(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	var cmds []tea.Cmd
	var tm tea.Model = m
	for _, r := range msg.Runes {
		var cmd tea.Cmd
		tm, cmd = tm.(Model).key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt})
		cmds = append(cmds, cmd)
	}
	return tm, tea.Batch(cmds...)
}

func (m *Model) setStatus(s string, isErr bool) {
	m.status, m.statusErr = s, isErr
}

// key routes a key to what has the focus.
func (m Model) key(km tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	if key.Matches(km, k.ForceQuit) {
		return m.quit()
	}
	var cmd tea.Cmd
	switch {
	case m.ask.active():
		m.ask, cmd = m.ask.Update(km)
		return m, cmd
	case m.promptOpen:
		if key.Matches(km, k.Back) {
			m.promptOpen = false
			m.prompt.blur()
			m.layout()
			return m, nil
		}
		m.prompt, cmd = m.prompt.Update(km)
		return m, cmd
	case m.view == viewProcs && m.procs.filtering:
		m.procs, cmd = m.procs.Update(km)
		return m, cmd
	case m.logFocus:
		if key.Matches(km, k.Back, k.Logs) {
			m.logFocus, m.logs.focused = false, false
			return m, nil
		}
		if key.Matches(km, k.Quit) {
			return m.quit()
		}
		m.logs, cmd = m.logs.Update(km)
		return m, cmd
	}

	switch {
	case key.Matches(km, k.Quit):
		return m.quit()
	case key.Matches(km, k.Help):
		m.help.ShowAll = !m.help.ShowAll
		m.layout()
		return m, nil
	case key.Matches(km, k.Prompt):
		m.promptOpen = true
		m.layout()
		return m, m.prompt.focus()
	case key.Matches(km, k.Logs):
		m.logFocus, m.logs.focused = true, true
		return m, nil
	case key.Matches(km, k.Cluster):
		if m.view == viewCluster {
			m.view = viewProcs
			return m, nil
		}
		m.view = viewCluster
		return m, m.cluster.fetch()
	}

	switch m.view {
	case viewDetail:
		switch {
		case key.Matches(km, k.Back):
			m.view = viewProcs
			return m, nil
		case key.Matches(km, k.Kill, k.Exit, k.Send):
			in := m.detail.d.Info
			in.PID = m.detail.pid
			return m.openAsk(km, in)
		}
		m.detail, cmd = m.detail.Update(km)
		return m, cmd
	case viewCluster:
		if key.Matches(km, k.Open) {
			if n, ok := m.cluster.current(); ok {
				return m.showNode(n)
			}
			return m, nil
		}
		m.cluster, cmd = m.cluster.Update(km)
		return m, cmd
	}
	switch {
	case key.Matches(km, k.Open):
		if in, ok := m.procs.current(); ok {
			m.view = viewDetail
			m.detail, cmd = m.detail.open(in.PID)
			return m, cmd
		}
		return m, nil
	case key.Matches(km, k.Kill, k.Exit, k.Send):
		if in, ok := m.procs.current(); ok {
			return m.openAsk(km, in)
		}
		return m, nil
	}
	m.procs, cmd = m.procs.Update(km)
	if m.procs.filtering {
		m.layout()
	}
	return m, cmd
}

// showNode switches the process view to the processes of n, read through
// the home source; the home node's own when n is it.
func (m Model) showNode(n NodeInfo) (tea.Model, tea.Cmd) {
	shown := n.Name
	if n.Self {
		shown = ""
	}
	o := m.procs.opts
	o.node = n.Name
	if shown == m.cluster.shown {
		m.view = viewProcs
		return m, m.procs.setOpts(o)
	}
	src := m.home
	if !n.Self {
		src = m.home.ForNode(n.Name)
	}
	if src == nil {
		m.setStatus(fmt.Sprintf("error: the processes of %s cannot be read from here", n.Name), true)
		return m, nil
	}
	m.view = viewProcs
	m.src = src
	m.cluster.shown = shown
	m.procs.opts = o
	m.procs.clear(m.seq + 1) // the snapshot refreshNow asks for
	m.fetching = false       // a snapshot of the node shown before is dropped
	m.detail = newDetail(m.keys, src)
	m.logs = m.logs.retarget(src)
	m.prompt.src = src
	m.ask.src = src
	m.layout()
	m.setStatus("showing the processes of "+n.Name, false)
	return m, m.refreshNow()
}

// openAsk opens the question of the action key km asks for on in.
func (m Model) openAsk(km tea.KeyMsg, in proc.Info) (tea.Model, tea.Cmd) {
	kind := askKill
	switch {
	case key.Matches(km, m.keys.Exit):
		kind = askExit
	case key.Matches(km, m.keys.Send):
		kind = askSend
	}
	if kind != askKill && in.Status == proc.Exited {
		m.setStatus(fmt.Sprintf("error: %s has exited", in.PID), true)
		return m, nil
	}
	var cmd tea.Cmd
	m.ask, cmd = m.ask.open(kind, in)
	m.ask.setWidth(m.width)
	return m, cmd
}

func (m Model) quit() (tea.Model, tea.Cmd) {
	m.quitting = true
	return m, tea.Quit
}

// Heights of the fixed parts.
const (
	headerHeight = 2
	statusHeight = 1
)

// layout gives each child its size.
func (m *Model) layout() {
	w := m.width
	rest := max(0, m.height-headerHeight-statusHeight-m.helpHeight())
	bottom := rest / 3
	if m.promptOpen {
		bottom = rest * 2 / 5
	}
	bottom = max(min(3, rest), bottom)
	main := rest - bottom
	m.procs.setSize(w, main)
	m.detail.setSize(w, main)
	m.cluster.setSize(w, main)
	m.logs.setSize(w, bottom)
	m.prompt.setSize(w, bottom)
	m.ask.setWidth(w)
	m.help.Width = w
}

func (m Model) helpHeight() int {
	return strings.Count(m.help.View(m.currentHelp()), "\n") + 1
}

// currentHelp returns the bindings of what has the focus.
func (m Model) currentHelp() help.KeyMap {
	switch {
	case m.ask.active():
		return m.ask.help()
	case m.promptOpen:
		return m.prompt.help()
	case m.view == viewProcs && m.procs.filtering:
		return m.procs.help()
	case m.logFocus:
		return m.logs.help()
	case m.view == viewDetail:
		return m.detail.help()
	case m.view == viewCluster:
		return m.cluster.help()
	}
	return m.procs.help()
}

// View implements tea.Model.
func (m Model) View() string {
	if m.quitting {
		return ""
	}
	if m.width == 0 || m.height == 0 {
		return "dlua console: starting…"
	}
	parts := []string{m.header()}
	switch m.view {
	case viewDetail:
		parts = append(parts, m.detail.View())
	case viewCluster:
		parts = append(parts, m.cluster.View())
	default:
		parts = append(parts, m.procs.View())
	}
	if m.promptOpen {
		parts = append(parts, m.prompt.View())
	} else {
		parts = append(parts, m.logs.View())
	}
	parts = append(parts, m.statusLine(), m.help.View(m.currentHelp()))
	return fitLines(strings.Split(strings.Join(parts, "\n"), "\n"), m.width, m.height)
}

// header prints the node's totals and limits.
func (m Model) header() string {
	f := m.procs.frame
	if f == nil {
		return fitLines([]string{styles.title.Render("dlua console"), ""}, m.width, headerHeight)
	}
	s, l := f.snap.Stats, f.snap.Limits
	line1 := fmt.Sprintf("%s  node %s · processes %d (spawned %d) · memory %s · messages/s %s · limit kills %d",
		styles.title.Render("dlua console"), f.snap.Node, s.Processes, s.Spawned,
		formatBytes(s.Memory), formatCount(f.msgRate), s.LimitKills)
	line2 := styles.dim.Render(fmt.Sprintf("limits per process: instructions %s · mailbox %s · memory %s · read at %s",
		limitText(l.MaxInstructions, false), limitText(l.MaxMailbox, false), limitText(l.MaxMemory, true),
		f.snap.Time.Format("15:04:05")))
	return fitLines([]string{styles.header.Render(line1), line2}, m.width, headerHeight)
}

func (m Model) statusLine() string {
	if m.ask.active() {
		return m.ask.View()
	}
	if m.status == "" {
		return ""
	}
	if m.statusErr {
		return cut(styles.err.Render(m.status), m.width)
	}
	return cut(styles.ok.Render(m.status), m.width)
}
