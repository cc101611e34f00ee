package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/dlua/dlua/proc"
)

// detailMessages is how many mailbox messages the detail pane shows.
const detailMessages = 10

// detailLogLines is how many of the node's kept log lines the detail pane
// searches for the process's own.
const detailLogLines = 1000

// detail is the pane of one process: its description, mailbox and log
// lines, for a live process or one in the node's history.
type detail struct {
	keys    KeyMap
	src     Source
	pid     proc.PID
	loaded  bool
	d       Detail
	msgs    []string
	logs    []proc.LogLine
	err     error
	rate    float64 // instructions/s, -1 unknown
	limits  Limits
	offset  int // first line shown
	width   int
	height  int
	content []string
}

// detailMsg is what a fetch of the detail pane found.
type detailMsg struct {
	pid  proc.PID
	d    Detail
	msgs []string
	logs []proc.LogLine
	err  error
}

func newDetail(keys KeyMap, src Source) detail {
	return detail{keys: keys, src: src, rate: -1}
}

// open shows pid and returns the Cmd that fetches it.
func (d detail) open(pid proc.PID) (detail, tea.Cmd) {
	d = detail{keys: d.keys, src: d.src, pid: pid, rate: -1, width: d.width, height: d.height}
	d.render()
	return d, d.fetch()
}

// fetch returns the Cmd that reads the pane's process from the source.
func (d detail) fetch() tea.Cmd {
	src, pid := d.src, d.pid
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
		defer cancel()
		m := detailMsg{pid: pid}
		m.d, m.err = src.Info(ctx, pid)
		if m.err != nil {
			return m
		}
		if m.d.Status != proc.Exited {
			msgs, err := src.Messages(ctx, pid, detailMessages)
			if err != nil && !errors.Is(err, proc.ErrNoProc) {
				m.err = err
				return m
			}
			m.msgs = msgs
		}
		lines, err := src.Logs(ctx, 0, detailLogLines)
		if err != nil {
			m.err = err
			return m
		}
		for _, l := range lines {
			if l.PID == pid {
				m.logs = append(m.logs, l)
			}
		}
		return m
	}
}

// take takes a fetch's result, unless it is about another process.
func (d detail) take(msg detailMsg, rate float64, limits Limits) detail {
	if msg.pid != d.pid {
		return d
	}
	d.err = msg.err
	if msg.err == nil {
		d.loaded, d.d, d.msgs, d.logs = true, msg.d, msg.msgs, msg.logs
		d.rate, d.limits = rate, limits
	}
	d.render()
	return d
}

func (d *detail) setSize(w, h int) {
	d.width, d.height = w, h
	d.render()
}

func (d detail) Update(msg tea.Msg) (detail, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return d, nil
	}
	page := max(1, d.height-1)
	switch {
	case key.Matches(km, d.keys.Up):
		d.offset--
	case key.Matches(km, d.keys.Down):
		d.offset++
	case key.Matches(km, d.keys.PageUp):
		d.offset -= page
	case key.Matches(km, d.keys.PageDown):
		d.offset += page
	case key.Matches(km, d.keys.Home):
		d.offset = 0
	case key.Matches(km, d.keys.End):
		d.offset = len(d.content)
	}
	d.clamp()
	return d, nil
}

func (d *detail) clamp() {
	d.offset = max(0, min(d.offset, len(d.content)-(d.height-1)))
}

func (d detail) help() bindingHelp {
	k := d.keys
	short := []key.Binding{k.Back, k.Up, k.PageUp, k.Kill, k.Exit, k.Send, k.Prompt, k.Help, k.Quit}
	return bindingHelp{short: short, full: [][]key.Binding{short}}
}

// render lays out the pane's lines.
func (d *detail) render() {
	var ls []string
	add := func(format string, args ...any) { ls = append(ls, fmt.Sprintf(format, args...)) }
	in := d.d
	switch {
	case d.err != nil && errors.Is(d.err, proc.ErrNoProc):
		add("%s is not known to the node (it ended too long ago, or never was)", d.pid)
	case d.err != nil:
		add("error: %v", d.err)
	case !d.loaded:
		add("loading %s…", d.pid)
	}
	if !d.loaded {
		d.content = ls
		d.clamp()
		return
	}
	pair := func(k1, v1, k2, v2 string) {
		if k2 == "" {
			add("%-12s %s", k1, v1)
			return
		}
		add("%-12s %-28s %-12s %s", k1, v1, k2, v2)
	}
	pair("status", in.Status.String(), "node", in.PID.Node)
	pair("parent", pidText(in.Parent), "initial", orDash(in.Initial))
	pair("trap_exit", fmt.Sprint(in.TrapExit), "received", fmt.Sprint(in.Received))
	rate := ""
	if d.rate >= 0 && in.Status != proc.Exited {
		rate = fmt.Sprintf(" (%s/s)", formatCount(d.rate))
	}
	pair("instructions", fmt.Sprint(in.Instructions)+rate, "memory", formatBytes(in.Memory))
	pair("mailbox", fmt.Sprint(in.Mailbox), "", "")
	if in.Status == proc.Exited {
		pair("exit reason", d.d.Reason, "", "")
	}
	pair("links", pidList(in.Links), "", "")
	pair("monitors", pidList(in.Monitors), "", "")
	pair("monitored by", pidList(in.MonitoredBy), "", "")
	pair("limits", fmt.Sprintf("max_instructions %s, max_mailbox %s, max_memory %s",
		limitText(in.MaxInstructions, false), limitText(in.MaxMailbox, false), limitText(in.MaxMailboxBytes, true)), "", "")
	add("")
	switch {
	case in.Status == proc.Exited:
		add("%s", styles.paneTitle.Render("Mailbox: gone with the process"))
	case len(d.msgs) == 0:
		add("%s", styles.paneTitle.Render("Mailbox: empty"))
	default:
		add("%s", styles.paneTitle.Render(fmt.Sprintf("Mailbox: first %d of %d", len(d.msgs), max(in.Mailbox, len(d.msgs)))))
		for i, m := range d.msgs {
			for j, line := range strings.Split(m, "\n") {
				if j == 0 {
					add("%3d  %s", i+1, line)
				} else {
					add("     %s", line)
				}
			}
		}
	}
	add("")
	if len(d.logs) == 0 {
		add("%s", styles.paneTitle.Render("Log: no lines kept"))
	} else {
		add("%s", styles.paneTitle.Render(fmt.Sprintf("Log: %d lines", len(d.logs))))
		for _, l := range d.logs {
			for _, line := range strings.Split(l.Text, "\n") {
				add("  %s %s", l.Time.Format("15:04:05"), line)
			}
		}
	}
	d.content = ls
	d.clamp()
}

func (d detail) View() string {
	title := fmt.Sprintf("%s %s", styles.title.Render("Process"), d.pid)
	if d.d.Name != "" {
		title += fmt.Sprintf(" %q", d.d.Name)
	}
	title += styles.dim.Render("   esc: back · ↑/↓ pgup/pgdn: scroll")
	lines := append([]string{title}, d.content[min(d.offset, len(d.content)):]...)
	return fitLines(lines, d.width, d.height)
}

func pidText(p proc.PID) string {
	if p.IsZero() {
		return "-"
	}
	return p.String()
}

func pidList(ps []proc.PID) string {
	if len(ps) == 0 {
		return "-"
	}
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, " ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
