package tui

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"
)

// TestGolden compares the main views with testdata/TestGolden/*.golden.
// Run "go test ./tui -run TestGolden -update" to rewrite them after a
// deliberate change, and read the diff.
func TestGolden(t *testing.T) {
	tests := []struct {
		name  string
		w, h  int
		steps func(d *driver)
	}{
		{name: "tree", w: 120, h: 30, steps: func(d *driver) { d.tick() }},
		{name: "table_by_memory", w: 120, h: 30, steps: func(d *driver) { d.tick().press("t", "6", "down") }},
		{name: "filter", w: 120, h: 30, steps: func(d *driver) { d.press("/").typeText("worker") }},
		{name: "detail", w: 120, h: 34, steps: func(d *driver) { d.tick().press("down", "down", "enter") }},
		{name: "detail_exited", w: 120, h: 30, steps: func(d *driver) { d.press("down", "down", "down", "enter", "k", "y") }},
		{name: "kill", w: 120, h: 30, steps: func(d *driver) { d.press("down", "k") }},
		{name: "exit", w: 120, h: 30, steps: func(d *driver) { d.press("down", "x").typeText(`"shutdown"`) }},
		{name: "prompt", w: 120, h: 30, steps: func(d *driver) {
			d.press(":").typeText("1+1").press("enter").typeText(`print("hi")`).press("enter").typeText("nope()").press("enter").typeText("proc.")
		}},
		{name: "cluster", w: 120, h: 30, steps: func(d *driver) { d.press("tab") }},
		{name: "help", w: 120, h: 30, steps: func(d *driver) { d.press("?") }},
		{name: "narrow", w: 60, h: 16, steps: func(d *driver) { d.send(tea.WindowSizeMsg{Width: 60, Height: 16}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDriver(t, newFake(), tt.w, tt.h)
			tt.steps(d)
			golden.RequireEqual(t, []byte(d.m.View()))
		})
	}
}
