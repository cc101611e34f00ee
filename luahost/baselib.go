package luahost

// The base functions that dlua writes itself, as the Lua 5.1 reference
// manual (§5.1) describes them: error levels, pcall and xpcall that close
// the upvalues of the calls they abandon, numbers converted as C Lua
// converts them, and C Lua's limit of 200 nested calls from builtins into
// Lua ("C stack overflow").

import (
	"errors"
	"strconv"
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

// maxCCalls bounds the runs of the VM loop inside one another (C Lua's
// LUAI_MAXCCALLS): each builtin calling back into Lua, each metamethod the
// VM calls, each resumed coroutine nests one on the Go stack. Past it the
// call raises "C stack overflow", as in Lua 5.1.
const maxCCalls = 200

// countLoops makes L count its nested VM loops in s.cCalls. A loop that
// raises does not count itself out: pcall, xpcall and resume restore the
// count they started with.
func (s *state) countLoops(L *lua.LState) {
	wrapLoop(L, func(loop vmLoop) vmLoop {
		return func(L *lua.LState, baseframe unsafe.Pointer) {
			f := currentFrame(L)
			if f.isNil() || f.fn().IsG {
				// a Go function (an error handler, a builtin called
				// from Go) nests nothing by itself
				loop(L, baseframe)
				return
			}
			if s.cCalls >= maxCCalls {
				// The call's frame is pushed but has not started: make
				// it look started, for gopher-lua's traceback.
				f.setPc(1)
				raiseAt(L, f.parent(), "C stack overflow")
			}
			s.cCalls++
			loop(L, baseframe)
			s.cCalls--
		}
	})
}

// raiseAt raises msg with the position of f, if it is a Lua call.
func raiseAt(L *lua.LState, f frame, msg string) {
	if !f.isNil() && !f.fn().IsG {
		if line := frameLine(f); line > 0 {
			msg = f.fn().Proto.SourceName + ":" + strconv.Itoa(line) + ": " + msg
		}
	}
	L.Error(lua.LString(msg), 0)
}

// callFromGo is L.Call for a builtin calling back into Lua (a gsub
// callback, a sort comparator, a metamethod it invokes, ...).
func callFromGo(L *lua.LState, nargs, nret int) {
	L.Call(nargs, nret)
}

func baseAssert(L *lua.LState) int {
	checkAny(L, 1)
	if !lua.LVAsBool(L.Get(1)) {
		raise(L, optString(L, 2, "assertion failed!"))
	}
	return L.GetTop()
}

func baseError(L *lua.LState) int {
	level := optInt(L, 2, 1)
	v := L.Get(1)
	if str, ok := toStringValue(v); ok && level > 0 {
		v = lua.LString(where(L, level) + str)
	}
	L.Error(v, 0)
	return 0
}

// pcallFrame is a pcall or xpcall in progress: the register where its
// function sits, and xpcall's handler.
type pcallFrame struct {
	base    int
	handler lua.LValue
}

func basePcall(L *lua.LState) int {
	checkAny(L, 1)
	return protectedCall(L, L.GetTop()-1, nil)
}

func baseXpcall(L *lua.LState) int {
	checkAny(L, 2)
	handler := L.Get(2)
	L.SetTop(1)
	return protectedCall(L, 0, handler)
}

// protectedCall calls the function at stack index 1 with nargs arguments
// in protected mode, and returns what pcall returns.
func protectedCall(L *lua.LState, nargs int, handler lua.LValue) int {
	s := stateOf(L)
	s.pcalls = append(s.pcalls, pcallFrame{base: currentFrame(L).localBase(), handler: handler})
	keep, loops := *hasErrorFunc(L), s.cCalls
	err := L.PCall(nargs, lua.MultRet, shared.pcallHandler)
	*hasErrorFunc(L) = keep
	s.pcalls = s.pcalls[:len(s.pcalls)-1]
	s.cCalls = loops
	if s.stopping || s.p.Killed() {
		// an exiting process is not kept alive by a pcall
		L.RaiseError("%s", s.Err().Error())
	}
	if err != nil {
		L.SetTop(0)
		L.Push(lua.LFalse)
		L.Push(errorValue(err))
		return 2
	}
	L.Insert(lua.LTrue, 1)
	return L.GetTop()
}

// errorValue is the Lua value of an error from PCall.
func errorValue(err error) lua.LValue {
	var apiErr *lua.ApiError
	if errors.As(err, &apiErr) {
		if apiErr.Object == lua.LString("lua callstack overflow") {
			return lua.LString("stack overflow")
		}
		return apiErr.Object
	}
	return lua.LString(err.Error())
}

// pcallHandler runs when an error reaches a pcall or xpcall, before the
// stack is unwound. gopher-lua leaves the upvalues of the abandoned calls
// open, pointing at registers that later calls reuse; they are closed
// here, while the registers still hold their values. Then xpcall's
// handler runs.
func pcallHandler(L *lua.LState) int {
	s := stateOf(L)
	obj := vmError(L, L.Get(1))
	if n := len(s.pcalls); n > 0 {
		pc := s.pcalls[n-1]
		closeUpvalues(L, pc.base)
		if pc.handler != nil && !s.stopping && !s.p.Killed() {
			L.Push(pc.handler)
			L.Push(obj)
			keep := *hasErrorFunc(L)
			err := L.PCall(1, 1, nil)
			*hasErrorFunc(L) = keep
			if err != nil {
				L.Push(lua.LString("error in error handling"))
			}
			return 1
		}
	}
	L.Push(obj)
	return 1
}

func baseSelect(L *lua.LState) int {
	n := L.GetTop()
	if str, ok := L.Get(1).(lua.LString); ok && len(str) > 0 && str[0] == '#' {
		L.Push(lua.LNumber(n - 1))
		return 1
	}
	i := checkInt(L, 1)
	if i < 0 {
		i = n + i
	} else if i > n {
		i = n
	}
	if i < 1 {
		argError(L, 1, "index out of range")
	}
	return n - i
}

func baseType(L *lua.LState) int {
	checkAny(L, 1)
	L.Push(lua.LString(L.Get(1).Type().String()))
	return 1
}

func baseRawequal(L *lua.LState) int {
	checkAny(L, 1)
	checkAny(L, 2)
	L.Push(lua.LBool(L.RawEqual(L.Get(1), L.Get(2))))
	return 1
}

// baseTonumber is tonumber(e [, base]); a numeral is read in proportion
// to its length.
func baseTonumber(L *lua.LState) int {
	base := optInt(L, 2, 10)
	if base == 10 {
		v := checkAny(L, 1)
		if str, ok := v.(lua.LString); ok {
			chargeBytes(stateOf(L), len(str))
		}
		if f, ok := toNumber(v); ok {
			L.Push(lua.LNumber(f))
			return 1
		}
	} else {
		str := checkString(L, 1)
		if base < 2 || base > 36 {
			argError(L, 2, "base out of range")
		}
		chargeBytes(stateOf(L), len(str))
		str = cString(str)
		if n, end := strtoul(str, base); end > 0 {
			for end < len(str) && isSpace(str[end]) {
				end++
			}
			if end == len(str) {
				L.Push(lua.LNumber(float64(n)))
				return 1
			}
		}
	}
	L.Push(lua.LNil)
	return 1
}

func baseTostring(L *lua.LState) int {
	checkAny(L, 1)
	L.Push(tostringValue(L, L.Get(1)))
	return 1
}

// tostringValue is tostring(v): v's __tostring, called, or its text.
func tostringValue(L *lua.LState, v lua.LValue) lua.LValue {
	if mt, ok := rawMetatable(L, v).(*lua.LTable); ok {
		if f := mt.RawGetString("__tostring"); f != lua.LNil {
			L.Push(f)
			L.Push(v)
			callFromGo(L, 1, 1)
			r := L.Get(-1)
			L.Pop(1)
			return r
		}
	}
	switch v := v.(type) {
	case lua.LString:
		return v
	case lua.LNumber:
		return lua.LString(fmtNumber(float64(v)))
	}
	return lua.LString(v.String())
}

// printString is what print writes for argument i: the global tostring's
// result, which must be a string.
func printString(L *lua.LState, i int) string {
	tostring := L.GetGlobal("tostring")
	var r lua.LValue
	if f, ok := tostring.(*lua.LFunction); ok && f.IsG && f.GFunction != nil && f == shared.tostring {
		r = tostringValue(L, L.Get(i))
	} else {
		L.Push(tostring)
		L.Push(L.Get(i))
		callFromGo(L, 1, 1)
		r = L.Get(-1)
		L.Pop(1)
	}
	str, ok := r.(lua.LString)
	if !ok {
		raise(L, "'tostring' must return a string to 'print'")
	}
	return cString(string(str)) // Lua 5.1 writes it with fputs
}

func baseIpairs(L *lua.LState) int {
	checkTable(L, 1)
	L.Push(shared.ipairsIter)
	L.Push(L.Get(1))
	L.Push(lua.LNumber(0))
	return 3
}

func ipairsIter(L *lua.LState) int {
	i := checkInt(L, 2) + 1
	t := checkTable(L, 1)
	v := rawGetInt(t, i)
	if v == lua.LNil {
		return 0
	}
	L.Push(lua.LNumber(i))
	L.Push(v)
	return 2
}

// baseUnpack is unpack(t [, i [, j]]), returning at most maxResults
// values.
func baseUnpack(L *lua.LState) int {
	t := checkTable(L, 1)
	s := stateOf(L)
	i := optInt(L, 2, 1)
	var e int
	if isNoneOrNil(L, 3) {
		e = tableLen(s, t)
	} else {
		e = checkInt(L, 3)
	}
	if i > e {
		return 0
	}
	n := e - i + 1
	if n <= 0 || n > maxResults {
		raise(L, "too many results to unpack")
	}
	pushResults(s, n)
	for k := i; ; k++ {
		L.Push(rawGetInt(t, k))
		if k == e {
			break
		}
	}
	return n
}

// baseSetfenv is setfenv(f, table): a Lua function's environment, or the
// running thread's (level 0). Go functions keep theirs.
func baseSetfenv(L *lua.LState) int {
	t := checkTable(L, 2)
	var fn *lua.LFunction
	switch v := L.Get(1).(type) {
	case *lua.LFunction:
		fn = v
	default:
		level := checkInt(L, 1)
		if level < 0 {
			argError(L, 1, "level must be non-negative")
		}
		if level == 0 {
			L.Env = t
			return 0
		}
		dbg, ok := L.GetStack(level)
		if !ok {
			argError(L, 1, "invalid level")
		}
		fn = debugFrame(dbg).fn()
	}
	if fn.IsG {
		raise(L, "'setfenv' cannot change environment of given object")
	}
	fn.Env = t
	L.Push(fn)
	return 1
}

// baseCollectgarbage answers as Lua 5.1 does, but never runs the
// collector: it is shared by every process of the node.
func baseCollectgarbage(L *lua.LState) int {
	opt := optString(L, 1, "collect")
	ex := optInt(L, 2, 0)
	s := stateOf(L)
	switch opt {
	case "count":
		L.Push(lua.LNumber(float64(s.memoryEstimate()) / 1024))
	case "step":
		L.Push(lua.LBool(ex > 0)) // a step of any size ends a cycle
	case "setpause":
		L.Push(lua.LNumber(s.gcPause))
		s.gcPause = ex
	case "setstepmul":
		L.Push(lua.LNumber(s.gcStepMul))
		s.gcStepMul = ex
	case "stop", "restart", "collect":
		L.Push(lua.LNumber(0))
	default:
		argError(L, 1, "invalid option '"+opt+"'")
	}
	return 1
}

func baseGcinfo(L *lua.LState) int {
	L.Push(lua.LNumber(stateOf(L).memoryEstimate() / 1024))
	return 1
}
