package luahost

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/dlua/dlua/proc"
)

var errStopped = errors.New("process exiting")

// procFuncs are the functions of the proc module.
var procFuncs = map[string]lua.LGFunction{
	"spawn":         func(L *lua.LState) int { return spawn(L, spawnOpts{}, 1) },
	"spawn_link":    func(L *lua.LState) int { return spawn(L, spawnOpts{link: true}, 1) },
	"spawn_monitor": func(L *lua.LState) int { return spawn(L, spawnOpts{monitor: true}, 1) },
	"spawn_opt":     procSpawnOpt,
	"self":          procSelf,
	"node":          procNode,
	"nodes":         procNodes,
	"send":          procSend,
	"receive":       procReceive,
	"link":          procLink,
	"unlink":        procUnlink,
	"monitor":       procMonitor,
	"demonitor":     procDemonitor,
	"monitor_node":  procMonitorNode,
	"exit":          procExit,
	"trap_exit":     procTrapExit,
	"register":      procRegister,
	"unregister":    procUnregister,
	"whereis":       procWhereIs,
	"sleep":         procSleep,
	"send_after":    procSendAfter,
	"cancel_timer":  procCancelTimer,
	"info":          procInfo,
}

// aliased are the proc functions that are also globals.
var aliased = map[string]bool{
	"spawn": true, "spawn_link": true, "spawn_monitor": true, "send": true,
	"receive": true, "self": true, "link": true, "unlink": true,
	"monitor": true, "demonitor": true, "exit": true,
}

type spawnOpts struct {
	node          string // another node to spawn on; "" or this node: here
	link, monitor bool
	name          string
	limits        Limits
	allow         bool // limits holds the child's own permissions
}

// allowLists reads spawn_opt's allow = {read = {dirs}, write = {dirs},
// env = {names}}. A list that is absent is nil; an empty one is empty.
func allowLists(t *lua.LTable) (read, write, env []string, bad string) {
	list := func(key string) []string {
		v := t.RawGetString(key)
		if v == lua.LNil {
			return nil
		}
		lt, ok := v.(*lua.LTable)
		if !ok {
			bad = "allow." + key + " must be a list of strings"
			return nil
		}
		out := []string{}
		for i := 1; i <= lt.Len(); i++ {
			s, ok := lt.RawGetInt(i).(lua.LString)
			if !ok {
				bad = "allow." + key + " must be a list of strings"
				return nil
			}
			out = append(out, string(s))
		}
		return out
	}
	t.ForEach(func(k, _ lua.LValue) {
		if k != lua.LString("read") && k != lua.LString("write") && k != lua.LString("env") {
			bad = "allow: unknown permission " + k.String()
		}
	})
	read, write, env = list("read"), list("write"), list("env")
	return read, write, env, bad
}

func procSpawnOpt(L *lua.LState) int {
	t := L.CheckTable(1)
	var o spawnOpts
	var bad string
	t.ForEach(func(k, v lua.LValue) {
		if bad != "" {
			return
		}
		key, _ := k.(lua.LString)
		switch key {
		case "link":
			o.link = lua.LVAsBool(v)
		case "monitor":
			o.monitor = lua.LVAsBool(v)
		case "name":
			s, ok := v.(lua.LString)
			if !ok || s == "" {
				bad = "name must be a non-empty string"
			}
			o.name = string(s)
		case "max_instructions":
			n, ok := v.(lua.LNumber)
			if !ok || n < 0 || n != lua.LNumber(math.Floor(float64(n))) {
				bad = "max_instructions must be a whole number >= 0"
			}
			o.limits.MaxInstructions = uint64(n)
		case "max_memory":
			switch v := v.(type) {
			case lua.LNumber:
				if v < 0 || v != lua.LNumber(math.Floor(float64(v))) {
					bad = "max_memory must be a whole number of bytes >= 0"
				}
				o.limits.MaxMemory = int64(v)
			case lua.LString:
				n, err := ParseSize(string(v))
				if err != nil {
					bad = "max_memory: " + err.Error()
				}
				o.limits.MaxMemory = n
			default:
				bad = "max_memory must be a number of bytes or a size such as \"16MiB\""
			}
		case "allow":
			t, ok := v.(*lua.LTable)
			if !ok {
				bad = "allow must be a table {read={...}, write={...}, env={...}}"
				return
			}
			o.limits.AllowRead, o.limits.AllowWrite, o.limits.AllowEnv, bad = allowLists(t)
			o.allow = true
		case "max_mailbox":
			n, ok := v.(lua.LNumber)
			if !ok || n < 0 || n != lua.LNumber(math.Floor(float64(n))) {
				bad = "max_mailbox must be a whole number >= 0"
			}
			o.limits.MaxMailbox = int(n)
		case "node":
			s, ok := v.(lua.LString)
			if !ok || s == "" {
				bad = "node must be a node name"
			}
			if string(s) != stateOf(L).host.node.Name() {
				o.node = string(s)
			}
		default:
			bad = "unknown option " + k.String()
		}
	})
	if bad != "" {
		L.ArgError(1, bad)
	}
	return spawn(L, o, 2)
}

// spawn starts the function at index fn with the arguments after it.
func spawn(L *lua.LState, o spawnOpts, fn int) int {
	s := stateOf(L)
	var target proc.Value
	var initial string
	switch f := L.Get(fn).(type) {
	case *lua.LFunction:
		v, err := s.toValue(f, "function")
		if err != nil {
			L.RaiseError("%s", err.Error())
		}
		target = v
		if !f.IsG {
			initial = f.Proto.SourceName + ":" + strconv.Itoa(f.Proto.LineDefined)
		} else {
			initial = shared.fnName[f]
		}
	case lua.LString:
		target, initial = string(f), string(f)
	default:
		L.ArgError(fn, "function or \"module.function\" expected, got "+f.Type().String())
	}
	var args []proc.Value
	if top := L.GetTop(); top > fn {
		args = make([]proc.Value, 0, top-fn)
		for i := fn + 1; i <= top; i++ {
			v, err := s.toValue(L.Get(i), fmt.Sprintf("argument %d", i-fn))
			if err != nil {
				L.RaiseError("%s", err.Error())
			}
			args = append(args, v)
		}
	}
	limits, err := s.limits.narrow(o.limits, o.allow)
	if err != nil {
		L.RaiseError("spawn: %s", err.Error())
	}
	var pid proc.PID
	var ref proc.Ref
	if o.node != "" {
		// Blocks until the other node answers (proc.RemoteSpawnTimeout);
		// the link and monitor are in place before the child runs.
		pid, ref, err = s.p.SpawnOn(o.node, proc.SpawnRequest{
			Fn: target, Args: args, Link: o.link, Monitor: o.monitor,
			Name: o.name, Limits: limitsValue(limits),
		})
		if errors.Is(err, proc.ErrKilled) {
			L.RaiseError("%s", err.Error()) // the process is ending anyway
		}
	} else {
		opts := limits.spawnOpts(initial)
		opts.Link, opts.Monitor, opts.Name = o.link, o.monitor, o.name
		pid, ref, err = s.host.node.Spawn(s.p, opts, s.host.body(target, args, limits, s.pkgPath))
	}
	if err != nil {
		L.RaiseError("spawn: %s", err.Error())
	}
	L.Push(s.pidValue(pid))
	if o.monitor {
		L.Push(s.refValue(ref))
		return 2
	}
	return 1
}

// body is the body of a spawned process: it rebuilds target and args in the
// new process's state and calls it.
func (h *Host) body(target proc.Value, args []proc.Value, limits Limits, pkgPath string) proc.Body {
	return func(p *proc.Process) proc.Value {
		s := newState(h, p, limits)
		s.pkgPath = pkgPath
		defer s.close()
		// The function and its arguments become Lua values in a call of
		// their own: a function from another node is compiled there, and
		// may fail or hit a limit like any code of the process.
		var fn *lua.LFunction
		largs := make([]lua.LValue, len(args))
		if reason := s.call(gofn(func(L *lua.LState) int {
			for i, a := range args {
				largs[i] = s.fromValue(a)
			}
			switch t := target.(type) {
			case string:
				fn = resolveFunction(L, t).(*lua.LFunction) // it checked the type
			default:
				f, ok := s.fromValue(t).(*lua.LFunction)
				if !ok {
					L.RaiseError("spawn: the function cannot be rebuilt on this node")
				}
				fn = f
			}
			return 0
		}), nil); reason != proc.Normal {
			return reason
		}
		return s.call(fn, largs)
	}
}

// resolveFunction finds "module.function" with require.
func resolveFunction(L *lua.LState, name string) lua.LValue {
	dot := -1
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '.' {
			dot = i
			break
		}
	}
	if dot <= 0 || dot == len(name)-1 {
		L.RaiseError("spawn: %q is not \"module.function\"", name)
	}
	mod := require(L, name[:dot])
	t, ok := mod.(*lua.LTable)
	if !ok {
		L.RaiseError("spawn: module %q is not a table", name[:dot])
	}
	fn := L.GetField(t, name[dot+1:])
	if fn.Type() != lua.LTFunction {
		L.RaiseError("spawn: module %q has no function %q", name[:dot], name[dot+1:])
	}
	return fn
}

func procSelf(L *lua.LState) int {
	s := stateOf(L)
	L.Push(s.pidValue(s.p.PID()))
	return 1
}

func procNode(L *lua.LState) int {
	L.Push(lua.LString(stateOf(L).host.node.Name()))
	return 1
}

func procNodes(L *lua.LState) int {
	names := stateOf(L).host.node.Nodes()
	t := L.CreateTable(len(names), 0)
	for _, name := range names {
		t.Append(lua.LString(name))
	}
	L.Push(t)
	return 1
}

func procSend(L *lua.LState) int {
	s := stateOf(L)
	msg, err := s.toValue(L.Get(2), "msg")
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	switch d := L.Get(1).(type) {
	case *lua.LUserData:
		if err := s.p.Send(checkPID(L, 1), msg); err != nil {
			L.RaiseError("send: %s", err.Error())
		}
	case lua.LString:
		if err := s.host.node.SendName(string(d), msg); err != nil {
			L.RaiseError("send: no process is registered as %q", string(d))
		}
	case *lua.LTable:
		name, ok1 := d.RawGetInt(1).(lua.LString)
		node, ok2 := d.RawGetInt(2).(lua.LString)
		if !ok1 || !ok2 {
			L.ArgError(1, "{name, node} expected")
		}
		// A name nobody holds, or a node this one is not connected to:
		// the message is lost, as a message to a dead process is.
		if err := s.p.SendName(string(name), string(node), msg); err != nil {
			L.RaiseError("send: %s", err.Error())
		}
	default:
		L.ArgError(1, "pid, name or {name, node} expected, got "+d.Type().String())
	}
	return 0
}

// checkTimeout returns argument n, in seconds, as a duration: -1 for none
// (nil or math.huge).
func checkTimeout(L *lua.LState, n int) time.Duration {
	switch v := L.Get(n).(type) {
	case *lua.LNilType:
		return -1
	case lua.LNumber:
		f := float64(v)
		switch {
		case math.IsInf(f, 1):
			return -1
		case f < 0 || math.IsNaN(f):
			L.ArgError(n, "timeout must be >= 0")
		case f > float64(math.MaxInt64)/1e9:
			return -1
		}
		return time.Duration(f * 1e9)
	default:
		L.ArgError(n, "timeout (seconds) expected, got "+v.Type().String())
	}
	return 0
}

// procReceive is receive([timeout]) and receive(pattern, [timeout]).
func procReceive(L *lua.LState) int {
	s := stateOf(L)
	var match func(*proc.Entry) bool
	timeoutArg := 1
	switch pat := L.Get(1).(type) {
	case *lua.LFunction:
		timeoutArg = 2
		match = func(e *proc.Entry) bool {
			L.Push(pat)
			L.Push(s.local(e))
			L.Call(1, 1)
			ok := lua.LVAsBool(L.Get(-1))
			L.Pop(1)
			return ok
		}
	case *lua.LTable:
		timeoutArg = 2
		match = func(e *proc.Entry) bool {
			msg, ok := s.local(e).(*lua.LTable)
			if !ok {
				return false
			}
			matched := true
			pat.ForEach(func(k, want lua.LValue) {
				if matched && !L.Equal(msg.RawGet(k), want) {
					matched = false
				}
			})
			return matched
		}
	case *lua.LNilType:
		if L.GetTop() >= 2 {
			timeoutArg = 2
		}
	case lua.LNumber:
	default:
		L.ArgError(1, "pattern (function or table) or timeout expected, got "+pat.Type().String())
	}
	timeout := checkTimeout(L, timeoutArg)
	s.publish() // the counters of a process that waits stay visible
	e, err := s.p.Receive(timeout, match)
	switch {
	case err == nil:
		L.Push(s.local(&e))
		return 1
	case errors.Is(err, proc.ErrTimeout):
		L.Push(lua.LNil)
		L.Push(lua.LString("timeout"))
		return 2
	case errors.Is(err, proc.ErrNestedReceive):
		L.RaiseError("receive cannot be called inside a receive pattern")
		return 0
	default:
		L.RaiseError("%s", err.Error())
		return 0
	}
}

// local returns the message of e as a value of this process, converting
// it once.
func (s *state) local(e *proc.Entry) lua.LValue {
	if e.Local == nil {
		if s.memLimit != 0 {
			s.alloc(valueSize(e.V))
		}
		e.Local = s.fromValue(e.V)
	}
	return e.Local.(lua.LValue)
}

// messageSize measures a message waiting in a mailbox: its messages count
// against a process's max_memory before they become Lua values too.
func messageSize(v proc.Value) int64 { return int64(valueSize(v)) }

// valueSize estimates the bytes v takes once made a Lua value: the sizes
// memory.go gives, with each table and function counted once.
func valueSize(v proc.Value) int {
	var seen map[any]bool
	var size func(v proc.Value) int
	size = func(v proc.Value) int {
		switch v := v.(type) {
		case string:
			return sizeString + len(v)
		case proc.PID, proc.Ref:
			return sizeUserdata
		case *proc.Table, *proc.Func:
			if seen == nil {
				seen = make(map[any]bool)
			}
			if seen[v] {
				return 0
			}
			seen[v] = true
		}
		switch v := v.(type) {
		case *proc.Table:
			n := sizeTable + len(v.Array)*sizeSlot + len(v.Hash)*sizeField
			for _, e := range v.Array {
				n += size(e)
			}
			for _, f := range v.Hash {
				n += size(f.Key) + size(f.Val)
			}
			return n
		case *proc.Func:
			n := sizeFunction + len(v.Upvalues)*sizeUpvalue
			for _, u := range v.Upvalues {
				if u != nil {
					n += size(u.V)
				}
			}
			return n
		}
		return 0
	}
	return size(v)
}

func procLink(L *lua.LState) int {
	stateOf(L).p.Link(checkPID(L, 1))
	return 0
}

func procUnlink(L *lua.LState) int {
	stateOf(L).p.Unlink(checkPID(L, 1))
	return 0
}

func procMonitor(L *lua.LState) int {
	s := stateOf(L)
	L.Push(s.refValue(s.p.Monitor(checkPID(L, 1))))
	return 1
}

func procDemonitor(L *lua.LState) int {
	L.Push(lua.LBool(stateOf(L).p.Demonitor(checkRef(L, 1))))
	return 1
}

func procMonitorNode(L *lua.LState) int {
	s := stateOf(L)
	// A node that is not connected is as good as down already: nodedown
	// comes at once.
	s.p.MonitorNode(L.CheckString(1))
	L.Push(lua.LTrue)
	return 1
}

// procExit is exit([reason]) for the caller and exit(pid, reason) for
// another process.
func procExit(L *lua.LState) int {
	s := stateOf(L)
	if L.GetTop() >= 2 {
		pid := checkPID(L, 1)
		reason, err := s.toValue(L.Get(2), "reason")
		if err != nil {
			L.RaiseError("%s", err.Error())
		}
		s.p.Exit(pid, reason)
		return 0
	}
	var reason proc.Value = proc.Normal
	if L.GetTop() == 1 {
		v, err := s.toValue(L.Get(1), "reason")
		if err != nil {
			L.RaiseError("%s", err.Error())
		}
		reason = v
	}
	// The process ends: every instruction from here raises, so no pcall
	// can keep it alive.
	s.stop(reason)
	L.RaiseError("%s", errStopped.Error())
	return 0
}

func procTrapExit(L *lua.LState) int {
	L.Push(lua.LBool(stateOf(L).p.TrapExit(L.CheckBool(1))))
	return 1
}

func procRegister(L *lua.LState) int {
	s := stateOf(L)
	name := L.CheckString(1)
	pid := s.p.PID()
	if L.GetTop() >= 2 {
		pid = checkPID(L, 2)
	}
	if err := s.host.node.Register(name, pid); err != nil {
		switch {
		case errors.Is(err, proc.ErrNameTaken):
			L.RaiseError("register: name %q is already registered", name)
		case errors.Is(err, proc.ErrAlreadyNamed):
			L.RaiseError("register: %s already has a name", pid)
		case errors.Is(err, proc.ErrNoProc):
			L.RaiseError("register: %s is not alive", pid)
		default:
			L.RaiseError("register: %s", err.Error())
		}
	}
	L.Push(lua.LTrue)
	return 1
}

func procUnregister(L *lua.LState) int {
	L.Push(lua.LBool(stateOf(L).host.node.Unregister(L.CheckString(1))))
	return 1
}

// procGlobalFuncs are the functions of proc.global: names held by one
// process across the cluster (see proc/global.go for the protocol).
var procGlobalFuncs = map[string]lua.LGFunction{
	"register":   procGlobalRegister,
	"unregister": procGlobalUnregister,
	"whereis":    procGlobalWhereIs,
}

// procGlobalRegister is proc.global.register(name, [pid]) -> true|false:
// false when another process holds the name. It returns once the arbiter
// has decided and told every node.
func procGlobalRegister(L *lua.LState) int {
	s := stateOf(L)
	name := L.CheckString(1)
	pid := s.p.PID()
	if L.GetTop() >= 2 {
		pid = checkPID(L, 2)
	}
	return pushGlobal(L, "register", func() (bool, error) { return s.p.GlobalRegister(name, pid) })
}

// procGlobalUnregister is proc.global.unregister(name) -> bool: whether
// the name was held.
func procGlobalUnregister(L *lua.LState) int {
	s := stateOf(L)
	name := L.CheckString(1)
	return pushGlobal(L, "unregister", func() (bool, error) { return s.p.GlobalUnregister(name) })
}

// pushGlobal runs a request to the global-name arbiter, which may wait on
// the network, and pushes its answer.
func pushGlobal(L *lua.LState, op string, ask func() (bool, error)) int {
	stateOf(L).publish()
	ok, err := ask()
	switch {
	case errors.Is(err, proc.ErrKilled):
		L.RaiseError("%s", err.Error())
	case err != nil:
		L.RaiseError("global.%s: %s", op, err.Error())
	}
	L.Push(lua.LBool(ok))
	return 1
}

// procGlobalWhereIs is proc.global.whereis(name) -> pid|nil, answered
// from this node's replica.
func procGlobalWhereIs(L *lua.LState) int {
	pid, ok := stateOf(L).host.node.GlobalWhereIs(L.CheckString(1))
	return pushPID(L, pid, ok)
}

func procWhereIs(L *lua.LState) int {
	pid, ok := stateOf(L).host.node.WhereIs(L.CheckString(1))
	return pushPID(L, pid, ok)
}

// pushPID pushes pid, or nil when !ok.
func pushPID(L *lua.LState, pid proc.PID, ok bool) int {
	if ok {
		L.Push(stateOf(L).pidValue(pid))
	} else {
		L.Push(lua.LNil)
	}
	return 1
}

func procSleep(L *lua.LState) int {
	s := stateOf(L)
	d := checkTimeout(L, 1)
	if d < 0 {
		L.ArgError(1, "sleep needs a finite number of seconds")
	}
	s.publish()
	if err := s.p.Sleep(d); err != nil {
		L.RaiseError("%s", err.Error())
	}
	return 0
}

func procSendAfter(L *lua.LState) int {
	s := stateOf(L)
	d := checkTimeout(L, 1)
	if d < 0 {
		L.ArgError(1, "send_after needs a finite number of seconds")
	}
	msg, err := s.toValue(L.Get(3), "msg")
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	var ref proc.Ref
	switch dest := L.Get(2).(type) {
	case lua.LString:
		ref = s.host.node.SendNameAfter(d, string(dest), msg)
	default:
		ref = s.host.node.SendAfter(d, checkPID(L, 2), msg)
	}
	L.Push(s.refValue(ref))
	return 1
}

func procCancelTimer(L *lua.LState) int {
	L.Push(lua.LBool(stateOf(L).host.node.CancelTimer(checkRef(L, 1))))
	return 1
}

func procInfo(L *lua.LState) int {
	s := stateOf(L)
	pid := s.p.PID()
	if L.GetTop() >= 1 {
		pid = checkPID(L, 1)
	}
	if pid == s.p.PID() {
		s.publish()
	}
	in, ok := s.host.node.Info(pid)
	if !ok {
		L.Push(lua.LNil)
		return 1
	}
	t := L.CreateTable(0, 12)
	t.RawSetString("pid", s.pidValue(in.PID))
	t.RawSetString("status", lua.LString(in.Status.String()))
	if in.Name != "" {
		t.RawSetString("name", lua.LString(in.Name))
	}
	if !in.Parent.IsZero() {
		t.RawSetString("parent", s.pidValue(in.Parent))
	}
	pids := func(list []proc.PID) *lua.LTable {
		lt := L.CreateTable(len(list), 0)
		for _, p := range list {
			lt.Append(s.pidValue(p))
		}
		return lt
	}
	t.RawSetString("links", pids(in.Links))
	t.RawSetString("monitors", pids(in.Monitors))
	t.RawSetString("monitored_by", pids(in.MonitoredBy))
	t.RawSetString("mailbox", lua.LNumber(in.Mailbox))
	t.RawSetString("memory", lua.LNumber(in.Memory))
	t.RawSetString("instructions", lua.LNumber(in.Instructions))
	t.RawSetString("node", lua.LString(in.PID.Node))
	t.RawSetString("trap_exit", lua.LBool(in.TrapExit))
	if in.Initial != "" {
		t.RawSetString("initial", lua.LString(in.Initial))
	}
	if in.Status == proc.Exited {
		t.RawSetString("reason", s.fromValue(in.Reason))
	}
	L.Push(t)
	return 1
}
