package tui

import "github.com/charmbracelet/bubbles/key"

// KeyMap is the console's key bindings. Which of them apply depends on
// what has the focus: the process list, the detail pane, the cluster view,
// the log pane, the Lua prompt or a question (kill? exit reason?).
type KeyMap struct {
	Quit, ForceQuit, Help      key.Binding // ForceQuit works even while typing
	Up, Down, PageUp, PageDown key.Binding
	Home, End                  key.Binding
	Open, Back                 key.Binding // Open: the detail pane, or a node's processes
	Filter, Tree               key.Binding
	Sort, SortNext, SortPrev   key.Binding // Sort's keys, in order, stand for the columns
	Reverse                    key.Binding
	Kill, Exit, Send           key.Binding // actions on the selected process
	Prompt, Cluster, Logs      key.Binding
	Yes, No, Submit            key.Binding // answers, and running a line of the prompt
	HistoryPrev, HistoryNext   key.Binding // the prompt's history
}

// DefaultKeyMap returns the console's default key bindings.
func DefaultKeyMap() KeyMap {
	sortKeys := []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "0"}
	return KeyMap{
		Quit:        key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		ForceQuit:   key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		Help:        key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "more keys")),
		Up:          key.NewBinding(key.WithKeys("up"), key.WithHelp("↑/↓", "move")),
		Down:        key.NewBinding(key.WithKeys("down"), key.WithHelp("↓", "down")),
		PageUp:      key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup/pgdn", "page")),
		PageDown:    key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", "page down")),
		Home:        key.NewBinding(key.WithKeys("home"), key.WithHelp("home/end", "first/last")),
		End:         key.NewBinding(key.WithKeys("end"), key.WithHelp("end", "last")),
		Open:        key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "details")),
		Back:        key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Filter:      key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Tree:        key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "tree/table")),
		Sort:        key.NewBinding(key.WithKeys(sortKeys...), key.WithHelp("1-0", "sort by column")),
		SortNext:    key.NewBinding(key.WithKeys(">"), key.WithHelp("</>", "sort column")),
		SortPrev:    key.NewBinding(key.WithKeys("<"), key.WithHelp("<", "previous sort column")),
		Reverse:     key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "reverse")),
		Kill:        key.NewBinding(key.WithKeys("k"), key.WithHelp("k", "kill")),
		Exit:        key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "exit")),
		Send:        key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "send")),
		Prompt:      key.NewBinding(key.WithKeys(":"), key.WithHelp(":", "lua")),
		Cluster:     key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "cluster")),
		Logs:        key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "scroll log")),
		Yes:         key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes")),
		No:          key.NewBinding(key.WithKeys("n", "N", "esc"), key.WithHelp("n", "no")),
		Submit:      key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "run")),
		HistoryPrev: key.NewBinding(key.WithKeys("up"), key.WithHelp("↑/↓", "history")),
		HistoryNext: key.NewBinding(key.WithKeys("down"), key.WithHelp("↓", "next in history")),
	}
}

// sortColumn returns the column a Sort key stands for: the Sort binding's
// keys name the columns in order.
func (k KeyMap) sortColumn(s string) (column, bool) {
	for i, sk := range k.Sort.Keys() {
		if sk == s && i < int(numColumns) {
			return column(i), true
		}
	}
	return 0, false
}

// bindingHelp is the help of one focus: help.KeyMap over a few bindings.
type bindingHelp struct {
	short []key.Binding
	full  [][]key.Binding
}

func (h bindingHelp) ShortHelp() []key.Binding  { return h.short }
func (h bindingHelp) FullHelp() [][]key.Binding { return h.full }
