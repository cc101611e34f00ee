package tui

import (
	"os"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

func TestMain(m *testing.M) {
	// Views as plain text: the golden files and the teatest output have no
	// colours.
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

// scheduledTick stands for a tick the model asked for: the driver records
// it instead of waiting.
type scheduledTick struct{ tag int }

// driver runs a Model as tea.Program does, but in the test's goroutine:
// each Cmd runs at once and its message goes back to Update. Ticks are
// recorded, not waited for; tick() delivers the last one.
type driver struct {
	t     *testing.T
	m     Model
	ticks []int // tags of the ticks asked for
	quit  bool
}

func newDriver(t *testing.T, src Source, w, h int) *driver {
	t.Helper()
	m := New(src, Options{})
	m.tick = func(_ time.Duration, tag int) tea.Cmd {
		return func() tea.Msg { return scheduledTick{tag} }
	}
	d := &driver{t: t, m: m}
	d.send(tea.WindowSizeMsg{Width: w, Height: h})
	d.run(d.m.Init())
	return d
}

// send delivers msgs one by one, running what each asks for.
func (d *driver) send(msgs ...tea.Msg) *driver {
	for _, msg := range msgs {
		nm, cmd := d.m.Update(msg)
		d.m = nm.(Model)
		d.run(cmd)
	}
	return d
}

func (d *driver) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	switch msg := cmd().(type) {
	case nil:
	case tea.BatchMsg:
		for _, c := range msg {
			d.run(c)
		}
	case scheduledTick:
		d.ticks = append(d.ticks, msg.tag)
	case tea.QuitMsg:
		d.quit = true
	default:
		d.send(msg)
	}
}

// tick delivers the last tick asked for: a second passes.
func (d *driver) tick() *driver {
	d.t.Helper()
	if len(d.ticks) == 0 {
		d.t.Fatal("no tick was asked for")
	}
	return d.send(tickMsg{tag: d.ticks[len(d.ticks)-1]})
}

// press sends keys by name ("enter", "esc", "up", "ctrl+c", ...) or as a
// single character ("k", "/").
func (d *driver) press(keys ...string) *driver {
	for _, k := range keys {
		d.send(keyMsg(k))
	}
	return d
}

// typeText sends each rune of s as a key.
func (d *driver) typeText(s string) *driver {
	for _, r := range s {
		d.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	return d
}

func keyMsg(k string) tea.KeyMsg {
	named := map[string]tea.KeyType{
		"enter": tea.KeyEnter, "esc": tea.KeyEscape, "tab": tea.KeyTab,
		"up": tea.KeyUp, "down": tea.KeyDown, "pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown,
		"home": tea.KeyHome, "end": tea.KeyEnd, "ctrl+c": tea.KeyCtrlC, "backspace": tea.KeyBackspace,
	}
	if t, ok := named[k]; ok {
		return tea.KeyMsg{Type: t}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// names returns the pids of the process view's rows, in order.
func (d *driver) rowPIDs() []string {
	var out []string
	p := d.m.procs
	for _, r := range p.rows {
		out = append(out, p.frame.snap.Processes[r.i].PID.String())
	}
	return out
}
