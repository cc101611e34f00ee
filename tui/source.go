package tui

import (
	"context"
	"time"

	"github.com/dlua/dlua/proc"
)

// Source is what the console reads and does: the inspection API of one node,
// and the few actions the console offers. It is the same for a node in this
// process ([Local]) and, later, for a node reached over the cluster
// transport. Every method may block (a remote source waits for the network);
// the console calls them from tea.Cmds only, never from Update.
//
// A method about one process returns an error wrapping [proc.ErrNoProc] when
// the source does not know that process.
type Source interface {
	// Snapshot describes the node now: its totals and every live process.
	Snapshot(ctx context.Context) (Snapshot, error)
	// Info describes pid, live or among the node's last exited processes.
	Info(ctx context.Context, pid proc.PID) (Detail, error)
	// Messages returns up to n messages waiting in pid's mailbox, oldest
	// first, each printed as Lua.
	Messages(ctx context.Context, pid proc.PID, n int) ([]string, error)
	// Logs returns the node's kept output lines with Seq > after, oldest
	// first, at most max of them (the newest ones when more are kept).
	Logs(ctx context.Context, after uint64, max int) ([]proc.LogLine, error)
	// Kill ends pid with reason "killed", as exit(pid, "kill") does.
	Kill(ctx context.Context, pid proc.PID) error
	// Exit sends pid an exit signal whose reason is the value of the Lua
	// expression reasonExpr.
	Exit(ctx context.Context, pid proc.PID, reasonExpr string) error
	// Send sends pid the value of the Lua expression msgExpr.
	Send(ctx context.Context, pid proc.PID, msgExpr string) error
	// Eval runs a line of Lua in a fresh process on the node and waits for
	// it to end. An error raised by the line is a result (EvalResult.Err),
	// not an error of Eval.
	Eval(ctx context.Context, line string) (EvalResult, error)
	// Nodes lists the nodes of the cluster as this node sees them, itself
	// included.
	Nodes(ctx context.Context) ([]NodeInfo, error)
	// ForNode returns the Source of the node name (one of those Nodes
	// lists), reached the way this source reaches its own node; the
	// source itself for its own node. It returns nil when this source
	// cannot read that node. It does not block: a source that cannot
	// reach the node fails in its methods.
	ForNode(name string) Source
}

// Snapshot is a node's state at one moment.
type Snapshot struct {
	Node      string    // the node's name
	Time      time.Time // when it was taken, for rates between snapshots
	Stats     proc.Stats
	Limits    Limits
	Processes []proc.Info // every live process, in pid order
}

// Limits are the limits a node applies to every process unless narrowed.
// A zero field means no limit.
type Limits struct {
	MaxInstructions uint64 // Lua VM instructions per process
	MaxMailbox      int    // messages waiting in one mailbox
	MaxMemory       int64  // bytes per process
}

// Detail is one process as the detail pane shows it.
type Detail struct {
	proc.Info
	// Reason is Info.Reason printed as Lua, for an exited process.
	Reason string
}

// EvalResult is what a line of Lua did in Source.Eval.
type EvalResult struct {
	PID    proc.PID // the process that ran it
	Output string   // what it printed
	Values []string // what it returned, each printed as Lua
	Err    string   // the error that ended it, if any
}

// NodeInfo is one node of the cluster view.
type NodeInfo struct {
	Name      string
	Self      bool          // the node the console reads
	Up        bool          // connected (always true for Self)
	RTT       time.Duration // round-trip time; zero when unknown or Self
	Processes int           // live processes; -1 when unknown
}
