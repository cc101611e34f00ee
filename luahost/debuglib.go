package luahost

// The debug library, limited to what cannot reach beyond the process:
// getinfo, traceback, getlocal, setlocal, getupvalue, setupvalue,
// upvalueid (Lua functions only), getmetatable, setmetatable, getfenv and
// setfenv (not of Go functions). There is no sethook, gethook,
// getregistry or debug.debug: they would reach the process's machinery or
// the terminal.

import (
	lua "github.com/yuin/gopher-lua"
)

var debugFuncs = []libFunc{
	{"getinfo", dbgGetinfo}, {"getlocal", dbgGetlocal}, {"setlocal", dbgSetlocal},
	{"getupvalue", dbgGetupvalue}, {"setupvalue", dbgSetupvalue}, {"upvalueid", dbgUpvalueid},
	{"getmetatable", dbgGetmetatable}, {"setmetatable", dbgSetmetatable},
	{"getfenv", dbgGetfenv}, {"setfenv", dbgSetfenv},
}

// threadArg reads the optional thread argument of a debug function: the
// thread, and the index of the next argument.
func threadArg(L *lua.LState) (*lua.LState, int) {
	if co, ok := L.Get(1).(*lua.LState); ok {
		return co, 2
	}
	return L, 1
}

// sourceOf is the source field of p's chunk: what load or loadstring was
// given as its name (or its text), or "@path" for a file.
func (s *state) sourceOf(p *lua.FunctionProto) string {
	if src, ok := s.sources[p]; ok {
		return src
	}
	return "@" + p.SourceName
}

func dbgGetinfo(L *lua.LState) int {
	co, arg := threadArg(L)
	what := optString(L, arg+1, "flnSu")
	var fn *lua.LFunction
	var f frame
	switch v := L.Get(arg).(type) {
	case *lua.LFunction:
		fn = v
	default:
		level := checkInt(L, arg)
		dbg, ok := co.GetStack(level)
		if level < 0 || !ok {
			L.Push(lua.LNil)
			return 1
		}
		f = debugFrame(dbg)
		fn = f.fn()
	}
	t := L.CreateTable(0, 12)
	for i := 0; i < len(what); i++ {
		switch what[i] {
		case 'S':
			if fn.IsG {
				t.RawSetString("source", lua.LString("=[C]"))
				t.RawSetString("short_src", lua.LString("[C]"))
				t.RawSetString("what", lua.LString("C"))
				t.RawSetString("linedefined", lua.LNumber(-1))
				t.RawSetString("lastlinedefined", lua.LNumber(-1))
				break
			}
			p := fn.Proto
			t.RawSetString("source", lua.LString(stateOf(L).sourceOf(p)))
			t.RawSetString("short_src", lua.LString(p.SourceName))
			kind, last := "Lua", p.LastLineDefined
			if p.LineDefined == 0 {
				kind, last = "main", 0
			}
			t.RawSetString("what", lua.LString(kind))
			t.RawSetString("linedefined", lua.LNumber(p.LineDefined))
			t.RawSetString("lastlinedefined", lua.LNumber(last))
		case 'l':
			line := -1
			if !f.isNil() && !fn.IsG {
				line = frameLine(f)
			}
			t.RawSetString("currentline", lua.LNumber(line))
		case 'u':
			t.RawSetString("nups", lua.LNumber(len(fn.Upvalues)))
		case 'n':
			if !f.isNil() {
				if name, kind := calledAs(f); name != "" {
					t.RawSetString("name", lua.LString(name))
					t.RawSetString("namewhat", lua.LString(kind))
					break
				}
			}
			t.RawSetString("namewhat", lua.LString(""))
		case 'f':
			t.RawSetString("func", fn)
		case 'L':
			if !fn.IsG {
				lines := L.CreateTable(0, len(fn.Proto.DbgSourcePositions))
				for _, line := range fn.Proto.DbgSourcePositions {
					lines.RawSetInt(line, lua.LTrue)
				}
				t.RawSetString("activelines", lines)
			}
		case '>':
		default:
			argError(L, arg+1, "invalid option")
		}
	}
	L.Push(t)
	return 1
}

// localFrame returns the frame of level (1: the caller of the debug
// function) in co.
func localFrame(L, co *lua.LState, level int) *lua.Debug {
	dbg, ok := co.GetStack(level)
	if !ok || level < 0 {
		argError(L, 1, "level out of range")
	}
	return dbg
}

func dbgGetlocal(L *lua.LState) int {
	co, arg := threadArg(L)
	dbg := localFrame(L, co, checkInt(L, arg))
	name, v := co.GetLocal(dbg, checkInt(L, arg+1))
	if name == "" {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(lua.LString(name))
	L.Push(v)
	return 2
}

func dbgSetlocal(L *lua.LState) int {
	co, arg := threadArg(L)
	dbg := localFrame(L, co, checkInt(L, arg))
	checkAny(L, arg+2)
	name := co.SetLocal(dbg, checkInt(L, arg+1), L.Get(arg+2))
	if name == "" {
		L.Push(lua.LNil)
	} else {
		L.Push(lua.LString(name))
	}
	return 1
}

// luaFunction is argument n as a Lua function with upvalue up (1-based),
// or nil when it has no such upvalue. Go functions show none.
func upvalueOf(L *lua.LState, n, up int) (*lua.LFunction, bool) {
	fn, ok := L.Get(n).(*lua.LFunction)
	if !ok {
		typeError(L, n, "function")
	}
	if fn.IsG || up < 1 || up > len(fn.Upvalues) || up > len(fn.Proto.DbgUpvalues) {
		return fn, false
	}
	return fn, true
}

func dbgGetupvalue(L *lua.LState) int {
	up := checkInt(L, 2)
	fn, ok := upvalueOf(L, 1, up)
	if !ok {
		return 0
	}
	L.Push(lua.LString(fn.Proto.DbgUpvalues[up-1]))
	L.Push(fn.Upvalues[up-1].Value())
	return 2
}

func dbgSetupvalue(L *lua.LState) int {
	checkAny(L, 3)
	up := checkInt(L, 2)
	fn, ok := upvalueOf(L, 1, up)
	if !ok {
		return 0
	}
	fn.Upvalues[up-1].SetValue(L.Get(3))
	L.Push(lua.LString(fn.Proto.DbgUpvalues[up-1]))
	return 1
}

// dbgUpvalueid returns a value that is the same for two upvalues when
// they are the same variable: a light identity, as a userdata.
func dbgUpvalueid(L *lua.LState) int {
	up := checkInt(L, 2)
	fn, ok := upvalueOf(L, 1, up)
	if !ok {
		argError(L, 2, "invalid upvalue index")
	}
	s := stateOf(L)
	uv := fn.Upvalues[up-1]
	if s.upvalueIDs == nil {
		s.upvalueIDs = make(map[*lua.Upvalue]*lua.LUserData)
	}
	id, ok := s.upvalueIDs[uv]
	if !ok {
		id = &lua.LUserData{Metatable: lua.LNil, Env: unreachableEnv}
		s.upvalueIDs[uv] = id
	}
	L.Push(id)
	return 1
}

func dbgGetmetatable(L *lua.LState) int {
	v := checkAny(L, 1)
	if t, ok := v.(*lua.LTable); ok {
		materialized(L, t)
	}
	if mt := rawMetatable(L, v); mt != lua.LNil {
		if !isShared(mt) {
			L.Push(mt)
			return 1
		}
	}
	L.Push(lua.LNil)
	return 1
}

// isShared reports whether t is one of the read-only tables every process
// shares (the metatables of pids, refs and files).
func isShared(v lua.LValue) bool {
	t, ok := v.(*lua.LTable)
	return ok && (t == shared.pidMeta || t == shared.refMeta || t == shared.ioFile)
}

// dbgSetmetatable sets the metatable of a table (even a protected one),
// or of the process's strings, numbers, booleans, nil or functions.
// Userdata keep theirs: pids and files are the node's.
func dbgSetmetatable(L *lua.LState) int {
	v := L.Get(1)
	mt := L.Get(2)
	if mt != lua.LNil && mt.Type() != lua.LTTable {
		typeError(L, 2, "nil or table")
	}
	switch v := v.(type) {
	case *lua.LTable:
		materialized(L, v).Metatable = mt
	case *lua.LUserData, *lua.LState:
		raise(L, "debug.setmetatable: cannot change the metatable of a "+v.Type().String())
	case lua.LString:
		if t, ok := mt.(*lua.LTable); ok {
			stateOf(L).strMeta = t
		}
		L.SetMetatable(v, mt)
	default:
		L.SetMetatable(v, mt)
	}
	L.Push(lua.LTrue)
	return 1
}

func dbgGetfenv(L *lua.LState) int {
	switch v := L.Get(1).(type) {
	case *lua.LFunction:
		if !v.IsG && v.Env != nil {
			L.Push(v.Env)
			return 1
		}
		L.Push(L.Env)
	case *lua.LState:
		L.Push(v.Env)
	default:
		L.Push(lua.LNil)
	}
	return 1
}

func dbgSetfenv(L *lua.LState) int {
	t := checkTable(L, 2)
	switch v := L.Get(1).(type) {
	case *lua.LFunction:
		if !v.IsG {
			v.Env = t
			L.Push(v)
			return 1
		}
	case *lua.LState:
		v.Env = t
		L.Push(v)
		return 1
	}
	raise(L, "'setfenv' cannot change environment of given object")
	return 0
}
