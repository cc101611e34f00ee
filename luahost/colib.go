package luahost

// The coroutine library, on gopher-lua's coroutines, with Lua 5.1's
// rules and messages.
//
// gopher-lua runs a Lua function that a Go function calls (a gsub
// callback, a metamethod, a sort comparator, a pcall'd function) in a
// nested run of its VM loop, on the Go stack. A yield there would return
// into the Go function as if the call had ended, leaving the coroutine's
// stack broken ("register underflow", nil dereferences). Lua 5.1 refuses
// such a yield ("attempt to yield across metamethod/C-call boundary"), and
// so does coroutine.yield here: it walks the calls between itself and the
// start of the coroutine, and yields only if each was made by a CALL or
// TAILCALL instruction of a Lua function, that is, in the same run of the
// VM loop.

import (
	lua "github.com/yuin/gopher-lua"
)

// maxCoroutineDepth bounds coroutines resumed inside one another.
const maxCoroutineDepth = 200

// coroutineFuncs builds the library from gopher-lua's create and resume.
func coroutineFuncs(origCreate, origResume lua.LGFunction) []libFunc {
	create := func(L *lua.LState) int {
		f, ok := L.Get(1).(*lua.LFunction)
		if !ok || f.IsG {
			argError(L, 1, "Lua function expected")
		}
		L.SetTop(1)
		return bareThread(L, origCreate, func(v lua.LValue) *lua.LState { return v.(*lua.LState) })
	}
	// resume pushes what coroutine.resume returns after the arguments.
	// gopher-lua resumes a coroutine on the caller's goroutine, one Go
	// frame deeper each time: coroutines resuming coroutines are bounded
	// as in C Lua, or they would overflow the Go stack and take the node.
	resume := func(L *lua.LState) int {
		co, ok := L.Get(1).(*lua.LState)
		if !ok {
			argError(L, 1, "coroutine expected")
		}
		if st := coStatus(L, co); st != "suspended" {
			L.SetTop(0)
			L.Push(lua.LFalse)
			L.Push(lua.LString("cannot resume " + st + " coroutine"))
			return 2
		}
		s := stateOf(L)
		if s.coDepth >= maxCoroutineDepth {
			L.SetTop(0)
			L.Push(lua.LFalse)
			L.Push(lua.LString("C stack overflow"))
			return 2
		}
		s.coDepth++
		loops := s.cCalls
		defer func() { s.coDepth--; s.cCalls = loops }()
		return origResume(L)
	}
	wrap := func(L *lua.LState) int {
		create(L)
		co := L.Get(-1)
		L.Pop(1)
		L.Push(L.NewClosure(func(L *lua.LState) int {
			L.Insert(co, 1)
			n := resume(L)
			first := L.GetTop() - n + 1
			if L.Get(first) == lua.LFalse {
				err := L.Get(first + 1)
				if str, ok := toStringValue(err); ok {
					err = lua.LString(where(L, 1) + str)
				}
				L.Error(err, 0)
			}
			L.Remove(first)
			return n - 1
		}))
		return 1
	}
	return []libFunc{
		{"create", create}, {"resume", resume}, {"wrap", wrap},
		{"yield", coYield}, {"status", coStatusFunc}, {"running", coRunning},
	}
}

// coStatus is Lua 5.1's costatus: running, suspended, normal or dead.
func coStatus(L *lua.LState, co *lua.LState) string {
	switch {
	case co == L:
		return "running"
	case co.Dead:
		return "dead"
	}
	for p := L.Parent; p != nil; p = p.Parent {
		if p == co {
			return "normal"
		}
	}
	return "suspended"
}

func coStatusFunc(L *lua.LState) int {
	co, ok := L.Get(1).(*lua.LState)
	if !ok {
		argError(L, 1, "coroutine expected")
	}
	L.Push(lua.LString(coStatus(L, co)))
	return 1
}

func coRunning(L *lua.LState) int {
	if L == stateOf(L).L {
		L.Push(lua.LNil) // the main thread is not a coroutine
	} else {
		L.Push(L)
	}
	return 1
}

// errYieldBoundary is Lua 5.1's message for a yield it cannot make.
const errYieldBoundary = "attempt to yield across metamethod/C-call boundary"

// coYield yields the arguments, if nothing but Lua calls lies between it
// and the start of the coroutine.
func coYield(L *lua.LState) int {
	if L == stateOf(L).L || L.Parent == nil || !yieldable(L) {
		L.Error(lua.LString(errYieldBoundary), 0)
	}
	return -1 // gopher-lua's signal to yield the values on the stack
}

func yieldable(L *lua.LState) bool {
	for f := currentFrame(L); !f.isNil(); {
		p := f.parent()
		if p.isNil() {
			return true // the coroutine's function
		}
		_, inst, ok := callerInstruction(f)
		if !ok {
			return false // called by a Go function
		}
		switch opcode(inst) {
		case lua.OP_CALL, lua.OP_TAILCALL:
		default:
			return false // a metamethod or an iterator, called by the VM
		}
		f = p
	}
	return true
}
