package proc

import (
	"log/slog"
	"strconv"
)

// PID names a process: the node it lives on, its number there, and the
// incarnation of that node. PIDs are comparable values: two PIDs of the same
// process are equal wherever they were copied.
type PID struct {
	Node     string
	ID       uint64
	Creation uint32
}

// String returns the pid as Lua prints it: <node.N>.
func (p PID) String() string {
	return "<" + p.Node + "." + strconv.FormatUint(p.ID, 10) + ">"
}

// LogValue implements [slog.LogValuer].
func (p PID) LogValue() slog.Value { return slog.StringValue(p.String()) }

// IsZero reports whether p is the zero PID, which names no process.
func (p PID) IsZero() bool { return p == PID{} }

// Ref is a unique reference made by a node: a monitor or a timer.
type Ref struct {
	Node     string
	ID       uint64
	Creation uint32
}

// String returns the ref as Lua prints it: #Ref<node.N>.
func (r Ref) String() string {
	return "#Ref<" + r.Node + "." + strconv.FormatUint(r.ID, 10) + ">"
}

// Value is a message or an exit reason: nil, bool, float64, string, PID,
// Ref, *Table or *Func. A Value handed to proc must not be changed
// afterwards: the runtime may give the same Value to several receivers.
type Value = any

// Table is a copied table: an array part (indexes 1..len(Array)) and the
// other fields in Hash. Tables may refer to each other and to themselves;
// the pointers carry the shape, cycles included.
type Table struct {
	Array []Value
	Hash  []Field
}

// Field is one key/value pair of a Table's hash part.
type Field struct {
	Key, Val Value
}

// Get returns the value stored under the string key k, or nil.
func (t *Table) Get(k string) Value {
	for _, f := range t.Hash {
		if s, ok := f.Key.(string); ok && s == k {
			return f.Val
		}
	}
	return nil
}

// Func is a copied function. Code is the host language's compiled function,
// opaque to proc; Upvalues are the variables it captured. Name is set for
// builtins that travel by name instead of by code.
type Func struct {
	Code     any
	Name     string
	Upvalues []*Cell
}

// Cell is a variable captured by functions (an upvalue), holding a copied
// Value. Functions copied together that captured the same variable share
// one Cell, as they shared the variable.
type Cell struct {
	V Value
}

// Exit reasons that the runtime itself produces. A reason is any Value:
// a body may end with a table or a number as well.
const (
	Normal            = "normal"
	Kill              = "kill"
	Killed            = "killed"
	NoProc            = "noproc"
	NoConnection      = "noconnection"
	MemoryLimit       = "memory_limit"
	InstructionLimit  = "instruction_limit"
	MailboxLimit      = "mailbox_limit"
	Shutdown          = "shutdown"
	exitTag, downTag  = "EXIT", "DOWN"
	nodedownTag       = "nodedown"
	fieldTag, fieldBy = "tag", "from"
)

// exitMessage is what a process that traps exits receives for an exit signal.
func exitMessage(from PID, reason Value) *Table {
	return &Table{Hash: []Field{{fieldTag, exitTag}, {fieldBy, from}, {"reason", reason}}}
}

// downMessage is what a monitor delivers.
func downMessage(ref Ref, pid PID, reason Value) *Table {
	return &Table{Hash: []Field{{fieldTag, downTag}, {"ref", ref}, {"pid", pid}, {"reason", reason}}}
}
