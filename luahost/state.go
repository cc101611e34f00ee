package luahost

import (
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/dlua/dlua/proc"
)

// closedChan is what Done returns once a process must stop.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// state is one process's Lua side: its LState and everything the builtins
// need about the process. It is also the LState's context.Context: the VM
// calls Done once per instruction, which is where instructions are counted
// and where a kill or an exceeded budget stops a running script.
//
// Only the process's goroutine touches a state.
type state struct {
	host   *Host
	p      *proc.Process
	L      *lua.LState
	limits Limits

	count    uint64 // VM instructions executed
	budget   uint64 // instructions the process may execute
	stopping bool   // proc.exit or a limit: Done reports done from now on
	reason   proc.Value
	trace    string // traceback of the error that ended the process

	globals *lua.LTable
	libs    [numLibs]*lua.LTable // per-state stand-ins, made on first use
	deleted [numLibs]bool        // library globals set to nil by the script
	cached  [numLibs]bool        // library globals stored in the globals table
	gCached bool                 // _G stored in the globals table
	strMeta *lua.LTable

	pids intern[proc.PID]
	refs intern[proc.Ref]

	memLimit   int64 // bytes; 0: none
	memLive    int64 // heap size found by the last walk
	memCharged int64 // bytes allocated since
	walks      int

	files   []*luaFile
	protos  map[*lua.FunctionProto]int64 // compiled by this process (load), and their sizes
	coDepth int                          // coroutines resumed inside one another
	rng     *rand.Rand
	capture *strings.Builder // output of an Eval process
	pkgPath string           // package.path of the process, inherited from its spawner

	cCalls     int          // builtins calling into Lua inside one another
	pcalls     []pcallFrame // pcalls and xpcalls in progress
	gcPause    int          // what collectgarbage("setpause") answers
	gcStepMul  int          // what collectgarbage("setstepmul") answers
	exitCode   *int         // set by os.exit in the root process
	upvalueIDs map[*lua.Upvalue]*lua.LUserData
	sources    map[*lua.FunctionProto]string // the source names of chunks this process loaded
}

// Deadline implements context.Context; a process has none.
func (s *state) Deadline() (time.Time, bool) { return time.Time{}, false }

// Value implements context.Context.
func (s *state) Value(key any) any { return nil }

// Done implements context.Context. The VM calls it before every
// instruction, so it is kept to a counter, a plain load and two compares.
func (s *state) Done() <-chan struct{} {
	s.count++
	if s.count > s.budget && !s.stopping {
		s.stop(proc.InstructionLimit)
	}
	if s.count&1023 == 0 {
		s.publish()
	}
	if s.stopping || s.p.Killed() {
		return closedChan
	}
	return nil
}

// Err implements context.Context: the message the VM raises once Done is
// closed. The process's real exit reason is kept apart (stop, or the
// signal's reason inside proc).
func (s *state) Err() error {
	if s.p.Killed() {
		return proc.ErrKilled
	}
	return errStopped
}

// charge counts n instructions' worth of work done by a builtin (pattern
// matching, string.rep, table.sort, ...). Builtins whose work grows with
// their input call it as they go, at least every few thousand steps, so
// that the instruction budget holds and a kill stops them. It raises (does
// not return) when the process must stop.
func (s *state) charge(n int) {
	s.count += uint64(n)
	if s.count > s.budget && !s.stopping {
		s.stop(proc.InstructionLimit)
	}
	if s.stopping || s.p.Killed() {
		s.L.RaiseError("%s", s.Err().Error())
	}
}

// stop makes the process end with reason at its next instruction, however
// deep in pcalls it is.
func (s *state) stop(reason proc.Value) {
	s.stopping = true
	s.reason = reason
}

// publish makes the counters visible to inspection.
func (s *state) publish() {
	s.p.SetStats(s.count, s.memoryEstimate())
}

// baseStateBytes is the measured size of an idle process (see
// BENCHMARKS.md), LState and goroutine included.
const baseStateBytes = 12 << 10

// stateOf returns the state of a process's LState or of one of its
// coroutines.
func stateOf(L *lua.LState) *state {
	return L.Context().(*state)
}

// maxLuaCalls is the deepest call stack of a process: C Lua's
// LUAI_MAXCALLS ("stack overflow" past it).
const maxLuaCalls = 20000

// options are the LState options of every process: a small value stack that
// grows on demand, and a call stack that grows in segments.
var options = lua.Options{
	SkipOpenLibs:        true,
	RegistrySize:        128, // smaller silently becomes 5,120 slots
	RegistryMaxSize:     1 << 20,
	RegistryGrowStep:    128,
	CallStackSize:       maxLuaCalls,
	MinimizeStackMemory: true,
}

// newState makes the lean, sandboxed Lua state of a process.
func newState(h *Host, p *proc.Process, limits Limits) *state {
	L, ok := statePool.Get().(*lua.LState)
	if !ok {
		L = lua.NewState(options)
	}
	s := &state{host: h, p: p, L: L, limits: limits, gcPause: 200, gcStepMul: 200}
	s.budget = ^uint64(0)
	if limits.MaxInstructions > 0 {
		s.budget = limits.MaxInstructions
	}
	s.memLimit = limits.MaxMemory
	// NewState pre-sizes the globals for 64 keys and the registry for 32:
	// most processes set a few globals and never touch the registry.
	g := L.CreateTable(0, 0)
	g.Metatable = shared.globalsMeta
	L.G.Global, L.Env, s.globals = g, g, g
	L.G.Registry = L.CreateTable(0, 0)
	s.strMeta = L.CreateTable(0, 1)
	s.strMeta.RawSetString("__index", s.lib(libString))
	L.SetMetatable(lua.LString(""), s.strMeta)
	L.SetContext(s)
	s.countLoops(L)
	return s
}

// statePool holds the LStates of ended processes for new ones.
// lua.NewState allocates ~11 KB, two thirds of it tables that newState
// replaces at once; reusing a state halves what a spawn allocates. Nothing
// of a process survives in its state: the globals, registry and string
// metatable are new, the value stack is cleared, and the call stack is
// empty once the outermost pcall has returned.
var statePool sync.Pool

func (s *state) close() {
	s.closeFiles()
	s.p.SetStats(s.count, 0)
	L := s.L
	if L.GetTop() != 0 {
		L.Close() // not at rest: do not reuse
		return
	}
	L.RemoveContext()
	L.SetTop(options.RegistrySize) // fills the value stack with nil
	L.SetTop(0)
	L.G.Global, L.Env, L.G.Registry = nil, nil, nil
	L.G.CurrentThread = L
	s.L = nil
	statePool.Put(L)
}
