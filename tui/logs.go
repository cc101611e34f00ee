package tui

import (
	"context"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/dlua/dlua/proc"
)

// logKeep is how many lines the log pane keeps.
const logKeep = 2000

// logFetch is how many lines one fetch asks for.
const logFetch = 500

// logPane shows the output of every process, newest at the bottom, each
// line with the time and the pid that printed it. Focused, it scrolls.
type logPane struct {
	keys    KeyMap
	src     Source
	gen     int // of src: a fetch from an older source is dropped
	lines   []logEntry
	last    uint64 // Seq of the newest line taken
	focused bool
	back    int // lines scrolled back from the newest
	width   int
	height  int
}

type logEntry struct {
	time time.Time
	pid  proc.PID
	text string
}

// logsMsg is what a fetch of the log found.
type logsMsg struct {
	gen   int
	lines []proc.LogLine
	err   error
}

func newLogPane(keys KeyMap, src Source) logPane {
	return logPane{keys: keys, src: src}
}

// fetch returns the Cmd that reads the lines after the newest one taken.
func (l logPane) fetch() tea.Cmd {
	src, after, gen := l.src, l.last, l.gen
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
		defer cancel()
		lines, err := src.Logs(ctx, after, logFetch)
		return logsMsg{gen: gen, lines: lines, err: err}
	}
}

// retarget makes the pane show the log of src, from its start.
func (l logPane) retarget(src Source) logPane {
	l.src, l.gen = src, l.gen+1
	l.lines, l.last, l.back = nil, 0, 0
	return l
}

// take adds the lines of a fetch that are newer than those taken; two
// fetches that overlap add each line once.
func (l logPane) take(msg logsMsg) logPane {
	if msg.gen != l.gen {
		return l // from the source shown before
	}
	added := 0
	for _, ln := range msg.lines {
		if ln.Seq <= l.last {
			continue
		}
		l.last = ln.Seq
		for _, text := range strings.Split(ln.Text, "\n") {
			l.lines = append(l.lines, logEntry{time: ln.Time, pid: ln.PID, text: text})
			added++
		}
	}
	if over := len(l.lines) - logKeep; over > 0 {
		l.lines = append(l.lines[:0:0], l.lines[over:]...)
	}
	if l.back > 0 {
		l.back += added // stay on the lines being read
	}
	l.clamp()
	return l
}

func (l *logPane) setSize(w, h int) {
	l.width, l.height = w, h
	l.clamp()
}

func (l *logPane) clamp() {
	l.back = max(0, min(l.back, len(l.lines)-(l.height-1)))
}

func (l logPane) Update(msg tea.Msg) (logPane, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return l, nil
	}
	page := max(1, l.height-1)
	switch {
	case key.Matches(km, l.keys.Up):
		l.back++
	case key.Matches(km, l.keys.Down):
		l.back--
	case key.Matches(km, l.keys.PageUp):
		l.back += page
	case key.Matches(km, l.keys.PageDown):
		l.back -= page
	case key.Matches(km, l.keys.Home):
		l.back = len(l.lines)
	case key.Matches(km, l.keys.End):
		l.back = 0
	}
	l.clamp()
	return l, nil
}

func (l logPane) help() bindingHelp {
	k := l.keys
	short := []key.Binding{k.Back, k.Up, k.PageUp, k.Home, k.Quit}
	return bindingHelp{short: short, full: [][]key.Binding{short}}
}

func (l logPane) View() string {
	title := styles.paneTitle.Render("Log")
	if l.focused {
		title += styles.dim.Render("  ↑/↓ pgup/pgdn home/end: scroll · esc: back")
	} else {
		title += styles.dim.Render("  l: scroll")
	}
	n := max(0, l.height-1)
	end := len(l.lines) - l.back
	start := max(0, end-n)
	lines := []string{title}
	for _, e := range l.lines[start:end] {
		lines = append(lines, e.time.Format("15:04:05")+" "+e.pid.String()+" "+e.text)
	}
	return fitLines(lines, l.width, l.height)
}
