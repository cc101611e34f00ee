package tui

import (
	"bytes"
	"regexp"
	"slices"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/dlua/dlua/proc"
)

// TestProgram runs the console as a tea.Program (teatest: a fixed 120x30
// terminal, no colours) on a fake node, with its real Cmds and tick, and
// goes through filter, detail, prompt, kill, resize and quit.
func TestProgram(t *testing.T) {
	f := newFake()
	tm := teatest.NewTestModel(t, New(f, Options{Interval: 20 * time.Millisecond}),
		teatest.WithInitialTermSize(120, 30))
	out := tm.Output()
	waitFor := func(what string, match func([]byte) bool) {
		t.Helper()
		teatest.WaitFor(t, out, match, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(5*time.Millisecond))
	}
	contains := func(s string) func([]byte) bool {
		return func(b []byte) bool { return bytes.Contains(b, []byte(s)) }
	}
	key := func(k tea.KeyType) { tm.Send(tea.KeyMsg{Type: k}) }

	waitFor("the processes", contains("worker2"))

	tm.Type("/worker2")
	key(tea.KeyEnter)
	waitFor("the filtered list", contains("1-2 of 2 (of 5)"))

	key(tea.KeyEnter) // the filter selects the first match, not its parent
	waitFor("the detail", contains(`Process <local.3> "worker2"`))

	key(tea.KeyEscape)
	tm.Type(":1+1")
	key(tea.KeyEnter)
	two := regexp.MustCompile(`(?m)^2\x1b\[K`) // a line that is just "2"
	waitFor("the result", two.Match)

	key(tea.KeyEscape)
	tm.Type("k")
	waitFor("the question", contains(`kill <local.3> "worker2"? (y/n)`))
	tm.Type("y")
	waitFor("the kill", contains(`killed <local.3> "worker2"`))

	tm.Send(tea.WindowSizeMsg{Width: 70, Height: 20})
	waitFor("the smaller view", contains("sort pid asc · = link…"))

	tm.Type("q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	m := tm.FinalModel(t).(Model)
	if !m.quitting {
		t.Error("the final model is not quitting")
	}
	if want := []string{"lua> 1+1", "2"}; !slices.Equal(m.prompt.transcript, want) {
		t.Errorf("transcript %q, want %q", m.prompt.transcript, want)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !slices.Equal(f.killed, []proc.PID{pid(3)}) {
		t.Errorf("killed %v", f.killed)
	}
}
