package tui

import (
	"context"
	"fmt"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// cluster is the view of the cluster's nodes: up or down, round-trip time,
// processes. Choosing a node shows its processes.
type cluster struct {
	keys   KeyMap
	src    Source
	nodes  []NodeInfo
	shown  string // the node whose processes are shown; "" for the home node
	err    error
	cursor int
	width  int
	height int
}

// nodesMsg is what a fetch of the node list found.
type nodesMsg struct {
	nodes []NodeInfo
	err   error
}

func newCluster(keys KeyMap, src Source) cluster {
	return cluster{keys: keys, src: src}
}

func (c cluster) fetch() tea.Cmd {
	src := c.src
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
		defer cancel()
		nodes, err := src.Nodes(ctx)
		return nodesMsg{nodes: nodes, err: err}
	}
}

func (c cluster) take(msg nodesMsg) cluster {
	c.err = msg.err
	if msg.err == nil {
		c.nodes = msg.nodes
	}
	c.cursor = max(0, min(c.cursor, len(c.nodes)-1))
	return c
}

func (c *cluster) setSize(w, h int) { c.width, c.height = w, h }

// current returns the selected node.
func (c cluster) current() (NodeInfo, bool) {
	if c.cursor < 0 || c.cursor >= len(c.nodes) {
		return NodeInfo{}, false
	}
	return c.nodes[c.cursor], true
}

func (c cluster) Update(msg tea.Msg) (cluster, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return c, nil
	}
	switch {
	case key.Matches(km, c.keys.Up):
		c.cursor = max(0, c.cursor-1)
	case key.Matches(km, c.keys.Down):
		c.cursor = max(0, min(len(c.nodes)-1, c.cursor+1))
	case key.Matches(km, c.keys.Home):
		c.cursor = 0
	case key.Matches(km, c.keys.End):
		c.cursor = max(0, len(c.nodes)-1)
	}
	return c, nil
}

func (c cluster) help() bindingHelp {
	k := c.keys
	short := []key.Binding{
		k.Up,
		key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "its processes")),
		key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "processes")),
		k.Prompt, k.Help, k.Quit,
	}
	return bindingHelp{short: short, full: [][]key.Binding{short}}
}

func (c cluster) View() string {
	lines := []string{
		styles.title.Render("Cluster") + fmt.Sprintf("  %d nodes · enter: show a node's processes", len(c.nodes)),
		styles.colHeader.Render(fmt.Sprintf("  %-24s %-6s %10s %10s", "NODE", "STATUS", "RTT", "PROCESSES")),
	}
	if c.err != nil {
		lines = append(lines, styles.err.Render("error: "+c.err.Error()))
	}
	start := max(0, c.cursor-(c.height-3))
	for i := start; i < len(c.nodes); i++ {
		n := c.nodes[i]
		name := n.Name
		if n.Self {
			name += " (this node)"
		}
		if n.Name == c.shown {
			name += " (shown)"
		}
		status := "down"
		if n.Up {
			status = "up"
		}
		procs := "?"
		if n.Processes >= 0 {
			procs = fmt.Sprint(n.Processes)
		}
		mark := "  "
		if i == c.cursor {
			mark = "> "
		}
		line := fmt.Sprintf("%s%-24s %-6s %10s %10s", mark, cut(name, 24), status, formatRTT(n.RTT), procs)
		if i == c.cursor {
			line = styles.selected.Render(fit(line, c.width, false))
		}
		lines = append(lines, line)
	}
	if len(c.nodes) == 0 && c.err == nil {
		lines = append(lines, "  waiting for the node…")
	}
	return fitLines(lines, c.width, c.height)
}
