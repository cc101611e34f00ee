package luahost

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"

	"github.com/dlua/dlua/proc"
)

// Limits are the limits and permissions of a process. A child inherits its
// spawner's and may only narrow them. The zero Limits allows everything
// dlua allows by default: no limit, no host access beyond the script's own
// folder.
type Limits struct {
	// MaxInstructions ends the process with "instruction_limit" once it has
	// executed this many Lua VM instructions. Zero: no limit.
	MaxInstructions uint64
	// MaxMemory ends the process with "memory_limit" when its Lua heap
	// (estimated, see memory.go) would pass this many bytes. Zero: no limit.
	MaxMemory int64
	// MaxMailbox ends the process with "mailbox_limit" when more messages
	// than this wait in its mailbox. Zero: no limit.
	MaxMailbox int
	// AllowEnv lists the environment variables os.getenv may read.
	AllowEnv []string
	// AllowRead lists the folders whose files io.open may read and
	// require, loadfile and dofile may load. A script's own folder is
	// always readable by its root process and the root's children.
	AllowRead []string
	// AllowWrite lists the folders whose files io.open may write and
	// os.remove and os.rename may change.
	AllowWrite []string
}

// narrow returns the limits of a child that asks for child (zero fields:
// inherit) under parent. A child may narrow its spawner's limits and
// permissions, never widen them: asking for more is an error.
func (parent Limits) narrow(child Limits, ownPermissions bool) (Limits, error) {
	var errs []error
	narrowInt := func(name string, p, c uint64) uint64 {
		switch {
		case c == 0:
			return p
		case p != 0 && c > p:
			errs = append(errs, fmt.Errorf("%s %d is above the spawner's limit %d", name, c, p))
		}
		return c
	}
	out := parent
	out.MaxInstructions = narrowInt("max_instructions", parent.MaxInstructions, child.MaxInstructions)
	out.MaxMailbox = int(narrowInt("max_mailbox", uint64(parent.MaxMailbox), uint64(child.MaxMailbox)))
	out.MaxMemory = int64(narrowInt("max_memory", uint64(parent.MaxMemory), uint64(child.MaxMemory)))
	if !ownPermissions {
		return out, errors.Join(errs...)
	}
	narrowDirs := func(name string, p, c []string) []string {
		if c == nil {
			return p
		}
		for _, dir := range c {
			if !within(dir, p) {
				errs = append(errs, fmt.Errorf("allow.%s %q is not inside a folder the spawner may use", name, dir))
			}
		}
		return c
	}
	out.AllowRead = narrowDirs("read", parent.AllowRead, child.AllowRead)
	out.AllowWrite = narrowDirs("write", parent.AllowWrite, child.AllowWrite)
	if child.AllowEnv != nil {
		for _, name := range child.AllowEnv {
			if !slices.Contains(parent.AllowEnv, name) {
				errs = append(errs, fmt.Errorf("allow.env %q is not allowed to the spawner", name))
			}
		}
		out.AllowEnv = child.AllowEnv
	}
	return out, errors.Join(errs...)
}

// spawnOpts are the proc options that carry these limits: proc enforces
// the mailbox ones and reports them all for inspection.
func (l Limits) spawnOpts(initial string) proc.SpawnOpts {
	return proc.SpawnOpts{
		Initial:         initial,
		MaxMailbox:      l.MaxMailbox,
		MaxMailboxBytes: l.MaxMemory,
		Size:            messageSize,
		MaxInstructions: l.MaxInstructions,
	}
}

// Config configures a Host.
type Config struct {
	// Node runs the processes. Required.
	Node *proc.Node
	// Stdout receives print, io.write and io.stdout. Nil: os.Stdout.
	Stdout io.Writer
	// Stderr receives io.stderr and error reports. Nil: os.Stderr.
	Stderr io.Writer
	// Stdin is what the root process reads with io.read. Nil: os.Stdin.
	Stdin io.Reader
	// Limits apply to processes the host starts; their children inherit them.
	Limits Limits
	// Logger receives the host's events. Nil discards them.
	Logger *slog.Logger
}

// Host runs Lua processes on a node. Its methods are safe for concurrent
// use.
type Host struct {
	node        *proc.Node
	out, errOut *output
	stdin       *bufio.Reader
	limits      Limits
	log         *slog.Logger

	protos sync.Map // path -> *lua.FunctionProto, compiled once
	chunks *chunks  // the sources of compiled functions (codec_chunks.go)
	// bootDir is the folder of the first script run (the boot script):
	// processes other nodes spawn here load modules from it
	bootDir atomic.Value
}

// New returns a Host for cfg.
func New(cfg Config) *Host {
	initShared()
	if cfg.Stdout == nil {
		cfg.Stdout = os.Stdout
	}
	if cfg.Stderr == nil {
		cfg.Stderr = os.Stderr
	}
	if cfg.Stdin == nil {
		cfg.Stdin = os.Stdin
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Host{
		node:   cfg.Node,
		out:    newOutput(cfg.Stdout),
		errOut: newOutput(cfg.Stderr),
		stdin:  bufio.NewReader(cfg.Stdin),
		limits: cfg.Limits,
		log:    cfg.Logger,
		chunks: newChunks(),
	}
	if cfg.Node != nil {
		cfg.Node.SetSpawner(h.spawnRemote)
	}
	return h
}

// Node returns the host's node.
func (h *Host) Node() *proc.Node { return h.node }

// Flush writes out what processes printed without a line end.
func (h *Host) Flush() {
	h.out.flush()
	h.errOut.flush()
}

// ExitError is the reason a script's root process ended with, when not
// "normal".
type ExitError struct {
	PID       proc.PID
	Reason    proc.Value
	Traceback string
}

func (e *ExitError) Error() string {
	return fmt.Sprintf("%s exited: %s", e.PID, FormatValue(e.Reason))
}

// RunScript runs the Lua file at path as a root process with args (the
// script's arg and ...), and waits for it to end. It returns nil when the
// root ended normally, an *ExitError when it ended otherwise. Other
// processes are left running: the caller decides when the node stops.
func (h *Host) RunScript(ctx context.Context, path string, args []string) error {
	proto, err := h.compileFile(path)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if abs, err := filepath.Abs(dir); err == nil {
		h.bootDir.CompareAndSwap(nil, abs)
	}
	limits := h.limits
	limits.AllowRead = append([]string{dir}, limits.AllowRead...)
	var trace string
	var exitCode *int
	body := func(p *proc.Process) proc.Value {
		s := newState(h, p, limits)
		s.pkgPath = packagePath(dir)
		defer s.close()
		argt := s.L.CreateTable(len(args), 1)
		argt.RawSetInt(0, lua.LString(path))
		for i, a := range args {
			argt.RawSetInt(i+1, lua.LString(a))
		}
		s.globals.RawSetString("arg", argt)
		fn := s.L.NewFunctionFromProto(proto)
		largs := make([]lua.LValue, len(args))
		for i, a := range args {
			largs[i] = lua.LString(a)
		}
		reason := s.call(fn, largs)
		trace = s.trace
		exitCode = s.exitCode
		return reason
	}
	opts := limits.spawnOpts(path)
	opts.Data = rootMarker
	pid, _, err := h.node.Spawn(nil, opts, body)
	if err != nil {
		return err
	}
	reason, err := h.node.Wait(ctx, pid)
	h.Flush()
	if err != nil {
		return err
	}
	if exitCode != nil {
		return &ExitStatus{Code: *exitCode}
	}
	if reason == proc.Normal {
		return nil
	}
	return &ExitError{PID: pid, Reason: reason, Traceback: trace}
}

// rootMarker tells the root process of RunScript, the one that may read stdin.
var rootMarker = new(int)

// call runs fn(args...) as the body of the process and returns its exit
// reason.
func (s *state) call(fn *lua.LFunction, args []lua.LValue) proc.Value {
	L := s.L
	L.Push(fn)
	for _, a := range args {
		L.Push(a)
	}
	err := L.PCall(len(args), 0, gofn(s.onError))
	switch {
	case s.stopping:
		return s.reason
	case s.p.Killed():
		return proc.Killed // proc replaces it with the signal's reason
	case err == nil:
		return proc.Normal
	}
	var apiErr *lua.ApiError
	if errors.As(err, &apiErr) {
		v, cerr := s.toValue(apiErr.Object, "reason")
		if cerr != nil {
			return apiErr.Object.String()
		}
		return v
	}
	return err.Error()
}

// onError is the message handler of a process's outermost pcall: it keeps
// the traceback of the error for the report.
func (s *state) onError(L *lua.LState) int {
	obj := vmError(L, L.Get(1))
	if !s.stopping && !s.p.Killed() {
		L.Push(shared.traceback)
		L.Push(lua.LString(""))
		L.Push(lua.LNumber(2))
		if err := L.PCall(2, 1, nil); err == nil {
			s.trace = strings.TrimPrefix(trimTraceback(L.ToString(-1)), "\n")
		}
		L.Pop(1)
	}
	L.Push(obj)
	return 1
}

// compileFile compiles a Lua file once; the prototype is shared by every
// process that runs it.
func (h *Host) compileFile(path string) (*lua.FunctionProto, error) {
	if p, ok := h.protos.Load(path); ok {
		return p.(*lua.FunctionProto), nil
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	proto, err := h.compileChunk(string(src), path)
	if err != nil {
		return nil, err
	}
	h.protos.Store(path, proto)
	return proto, nil
}

// compileChunk compiles source text named name for this Host's
// processes, and remembers its source so that its functions can be sent
// to other nodes.
func (h *Host) compileChunk(src, name string) (*lua.FunctionProto, error) {
	proto, err := compile(src, name)
	if err == nil {
		h.chunks.register(src, name, proto)
	}
	return proto, err
}

// compile compiles source text named name (as error messages show it).
// Precompiled bytecode is refused.
func compile(src, name string) (*lua.FunctionProto, error) {
	if strings.HasPrefix(src, "\x1bLua") {
		return nil, fmt.Errorf("%s: cannot load precompiled code", name)
	}
	if strings.HasPrefix(src, "#") { // a shebang line
		if i := strings.IndexByte(src, '\n'); i >= 0 {
			src = "--" + src[i:]
		} else {
			src = ""
		}
	}
	if err := checkSyntaxLevels(src, name); err != nil {
		return nil, err
	}
	chunk, err := parse.Parse(strings.NewReader(src), name)
	if err != nil {
		return nil, &SyntaxError{Name: name, Err: err, lines: strings.Count(src, "\n") + 1}
	}
	transformChunk(chunk)
	proto, err := lua.Compile(chunk, name)
	if err != nil {
		return nil, &SyntaxError{Name: name, Err: err}
	}
	return proto, nil
}

// SyntaxError is a chunk that does not parse or compile.
type SyntaxError struct {
	Name  string // the chunk's name, as error messages show it
	Err   error  // gopher-lua's *parse.Error or *lua.CompileError
	lines int    // lines in the source
}

// Error reads as Lua's own: "name:LINE: MESSAGE near 'TOKEN'".
func (e *SyntaxError) Error() string {
	var perr *parse.Error
	var cerr *lua.CompileError
	switch {
	case errors.As(e.Err, &perr):
		msg := strings.TrimSpace(perr.Message)
		line := perr.Pos.Line
		if line < 1 { // gopher-lua reports the end of the source as line -1
			line, perr.Token = max(e.lines, 1), "<eof>"
		}
		if perr.Token != "" {
			msg += " near '" + perr.Token + "'"
		}
		return fmt.Sprintf("%s:%d: %s", e.Name, line, msg)
	case errors.As(e.Err, &cerr):
		return fmt.Sprintf("%s:%d: %s", e.Name, cerr.Line, strings.TrimSpace(cerr.Message))
	}
	return e.Name + ": " + strings.TrimSpace(e.Err.Error())
}

func (e *SyntaxError) Unwrap() error { return e.Err }
