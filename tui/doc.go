// Package tui is dlua's console: an interactive terminal view of one node,
// after Erlang's observer and observer_cli, built with bubbletea.
//
// # Model
//
// The console reads a node only through a [Source]: a snapshot of its
// totals and processes, one process's description and mailbox, the node's
// log, the cluster's nodes, and the actions kill, exit, send and eval. The
// same interface serves a node of this process ([Local], over a *proc.Node
// and a [Lua] host) and a node attached over the network: the console
// never learns which. Source.ForNode gives the source of another node of
// the cluster, which the cluster view switches to.
//
// [Model] is the root bubble. It composes child bubbles — the process list
// (a tree or a table), the detail pane, the cluster view, the log pane,
// the Lua prompt, and the question line of an action — routes each key to
// the one that has the focus, and joins their Cmds. Update never blocks:
// every Source call runs in a tea.Cmd and comes back as a message.
//
// Refresh: a tick tagged with a number asks for a snapshot about once a
// second (Options.Interval); an action refreshes at once under a new tag,
// and the ticks of the old tag are dropped. Only one snapshot is asked for
// at a time. Deriving rates (instructions/s, messages/s) from two
// snapshots, then sorting and filtering the processes, also run in a Cmd;
// an arrangement made for options that have since changed is dropped. The
// list renders only the visible page, so 100,000 processes cost a sort per
// refresh, not a render.
//
// Tests drive the root model with key tables against a fake Source, compare
// views with golden files (testdata, -update rewrites them), and run the
// whole program with teatest.
package tui
