package tui

import (
	"context"
	"fmt"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/dlua/dlua/proc"
)

// askKind is the action a question leads to.
type askKind int

const (
	askNone askKind = iota
	askKill         // y/n
	askExit         // a reason, as a Lua expression
	askSend         // a message, as a Lua expression
)

// ask is the question line of an action on a process: kill asks for a
// confirmation, exit and send for a Lua expression.
type ask struct {
	keys  KeyMap
	src   Source
	kind  askKind
	pid   proc.PID
	name  string
	input textinput.Model
	width int
}

// actionMsg is how an action ended.
type actionMsg struct {
	text string // what was done, when it worked
	err  error
}

func newAsk(keys KeyMap, src Source) ask {
	in := textinput.New()
	in.Cursor.SetMode(cursor.CursorStatic)
	return ask{keys: keys, src: src, input: in}
}

// open asks about an action on in.
func (a ask) open(kind askKind, in proc.Info) (ask, tea.Cmd) {
	a.kind, a.pid, a.name = kind, in.PID, in.Name
	a.input.Reset()
	switch kind {
	case askExit:
		a.input.Prompt = fmt.Sprintf("exit %s with reason (Lua): ", a.who())
		a.input.Placeholder = `"shutdown"`
	case askSend:
		a.input.Prompt = fmt.Sprintf("send to %s (Lua): ", a.who())
		a.input.Placeholder = `{tag = "hello"}`
	default:
		return a, nil
	}
	return a, a.input.Focus()
}

func (a ask) active() bool { return a.kind != askNone }

func (a ask) who() string {
	if a.name != "" {
		return fmt.Sprintf("%s %q", a.pid, a.name)
	}
	return a.pid.String()
}

func (a *ask) setWidth(w int) {
	a.width = w
	a.input.Width = max(1, w-len(a.input.Prompt)-1)
}

func (a ask) close() ask {
	a.kind = askNone
	a.input.Blur()
	return a
}

func (a ask) Update(msg tea.Msg) (ask, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok || a.kind == askNone {
		return a, nil
	}
	if a.kind == askKill {
		switch {
		case key.Matches(km, a.keys.Yes):
			return a.close(), a.do(func(ctx context.Context) (string, error) {
				return "killed " + a.who(), a.src.Kill(ctx, a.pid)
			})
		case key.Matches(km, a.keys.No):
			return a.close(), nil
		}
		return a, nil
	}
	switch {
	case key.Matches(km, a.keys.Back):
		return a.close(), nil
	case key.Matches(km, a.keys.Submit):
		expr := a.input.Value()
		if expr == "" {
			return a, nil
		}
		src, pid, who := a.src, a.pid, a.who()
		if a.kind == askExit {
			return a.close(), a.do(func(ctx context.Context) (string, error) {
				return fmt.Sprintf("sent exit(%s, %s)", who, expr), src.Exit(ctx, pid, expr)
			})
		}
		return a.close(), a.do(func(ctx context.Context) (string, error) {
			return fmt.Sprintf("sent %s to %s", expr, who), src.Send(ctx, pid, expr)
		})
	}
	var cmd tea.Cmd
	a.input, cmd = a.input.Update(km)
	return a, cmd
}

// do returns the Cmd that runs an action.
func (a ask) do(act func(context.Context) (string, error)) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), actionTimeout)
		defer cancel()
		text, err := act(ctx)
		return actionMsg{text: text, err: err}
	}
}

func (a ask) help() bindingHelp {
	k := a.keys
	var short []key.Binding
	if a.kind == askKill {
		short = []key.Binding{k.Yes, k.No}
	} else {
		short = []key.Binding{
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "do it")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		}
	}
	return bindingHelp{short: short, full: [][]key.Binding{short}}
}

func (a ask) View() string {
	if a.kind == askKill {
		return cut(styles.err.Render(fmt.Sprintf("kill %s? (y/n)", a.who())), a.width)
	}
	return cut(a.input.View(), a.width)
}
