package tui

import (
	"context"
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
)

// transcriptKeep is how many lines the prompt keeps of what it ran.
const transcriptKeep = 1000

// prompt is the Lua prompt: each line runs in a fresh process on the node
// (Source.Eval); the transcript shows what it printed and returned.
type prompt struct {
	keys       KeyMap
	src        Source
	input      textinput.Model
	history    []string
	hpos       int    // index in history while browsing it; len(history) when not
	draft      string // what was typed before browsing the history
	transcript []string
	running    string // the line being evaluated, "" when none
	width      int
	height     int
}

// evalMsg is the result of a line.
type evalMsg struct {
	line string
	res  EvalResult
	err  error
}

func newPrompt(keys KeyMap, src Source) prompt {
	in := textinput.New()
	in.Prompt = "lua> "
	in.Cursor.SetMode(cursor.CursorStatic)
	return prompt{keys: keys, src: src, input: in}
}

func (p *prompt) setSize(w, h int) {
	p.width, p.height = w, h
	p.input.Width = max(1, w-len(p.input.Prompt)-1)
}

// focus gives the prompt the keys.
func (p *prompt) focus() tea.Cmd {
	return p.input.Focus()
}

func (p *prompt) blur() { p.input.Blur() }

func (p prompt) Update(msg tea.Msg) (prompt, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return p, nil
	}
	switch {
	case key.Matches(km, p.keys.Submit):
		line := strings.TrimSpace(p.input.Value())
		if line == "" || p.running != "" {
			return p, nil
		}
		if n := len(p.history); n == 0 || p.history[n-1] != line {
			p.history = append(p.history, line)
		}
		p.hpos, p.draft = len(p.history), ""
		p.input.Reset()
		p.running = line
		p.add("lua> " + line)
		return p, p.eval(line)
	case key.Matches(km, p.keys.HistoryPrev):
		if p.hpos > 0 {
			if p.hpos == len(p.history) {
				p.draft = p.input.Value()
			}
			p.hpos--
			p.input.SetValue(p.history[p.hpos])
		}
		return p, nil
	case key.Matches(km, p.keys.HistoryNext):
		if p.hpos < len(p.history) {
			p.hpos++
			if p.hpos == len(p.history) {
				p.input.SetValue(p.draft)
			} else {
				p.input.SetValue(p.history[p.hpos])
			}
		}
		return p, nil
	}
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(km)
	return p, cmd
}

func (p prompt) eval(line string) tea.Cmd {
	src := p.src
	return func() tea.Msg {
		// The line may run for long: it ends when it ends, or when the
		// node shuts down.
		res, err := src.Eval(context.Background(), line)
		return evalMsg{line: line, res: res, err: err}
	}
}

// take shows the result of a line.
func (p prompt) take(msg evalMsg) prompt {
	if msg.line == p.running {
		p.running = ""
	}
	if msg.err != nil {
		p.add("error: " + msg.err.Error())
		return p
	}
	if out := strings.TrimSuffix(msg.res.Output, "\n"); out != "" {
		p.add(strings.Split(out, "\n")...)
	}
	if len(msg.res.Values) > 0 {
		p.add(strings.Split(strings.Join(msg.res.Values, "\t"), "\n")...)
	}
	if msg.res.Err != "" {
		p.add(strings.Split("error: "+msg.res.Err, "\n")...)
	}
	return p
}

func (p *prompt) add(lines ...string) {
	for _, l := range lines {
		p.transcript = append(p.transcript, strings.ReplaceAll(l, "\t", "    "))
	}
	if over := len(p.transcript) - transcriptKeep; over > 0 {
		p.transcript = append(p.transcript[:0:0], p.transcript[over:]...)
	}
}

func (p prompt) help() bindingHelp {
	k := p.keys
	short := []key.Binding{k.Submit, k.HistoryPrev, key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close")), k.ForceQuit}
	return bindingHelp{short: short, full: [][]key.Binding{short}}
}

func (p prompt) View() string {
	title := styles.paneTitle.Render("Lua") + styles.dim.Render("  each line runs in a fresh process · esc: close")
	n := max(0, p.height-2)
	start := max(0, len(p.transcript)-n)
	lines := append([]string{title}, p.transcript[start:]...)
	for len(lines) < p.height-1 {
		lines = append(lines, "")
	}
	in := p.input.View()
	if p.running != "" {
		in = styles.dim.Render("running " + p.running + " …")
	}
	lines = append(lines, in)
	return fitLines(lines, p.width, p.height)
}
