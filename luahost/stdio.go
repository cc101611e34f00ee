package luahost

// Standard input as Lua 5.1 reaches it: io.stdin, io.lines() and
// io.read, for the root process of a script only (other processes have no
// terminal), and io.flush and file:setvbuf.

import (
	lua "github.com/yuin/gopher-lua"
)

// stdinFile is the value of io.stdin's userdata.
type stdinFile struct{}

// checkStdin raises unless the process is the root of a script.
func checkStdin(L *lua.LState) *state {
	s := stateOf(L)
	if s.p.Data() != rootMarker {
		raise(L, "io.stdin: only the root process reads standard input")
	}
	return s
}

func isStdin(v lua.LValue) bool {
	ud, ok := v.(*lua.LUserData)
	if !ok {
		return false
	}
	_, ok = ud.Value.(stdinFile)
	return ok
}

// stdinMethod makes a file method that reads io.stdin itself and leaves
// other files to method.
func stdinMethod(method lua.LGFunction, onStdin lua.LGFunction) lua.LGFunction {
	return func(L *lua.LState) int {
		if isStdin(L.Get(1)) {
			return onStdin(L)
		}
		return method(L)
	}
}

func stdinRead(L *lua.LState) int {
	s := checkStdin(L)
	formats := []lua.LValue{lua.LString("*l")}
	if L.GetTop() > 1 {
		formats = nil
		for i := 2; i <= L.GetTop(); i++ {
			formats = append(formats, L.Get(i))
		}
	}
	return readFormats(L, s.host.stdin, formats)
}

// stdinLines is io.lines() and io.stdin:lines().
func stdinLines(L *lua.LState) int {
	checkStdin(L)
	L.Push(L.NewFunction(func(L *lua.LState) int {
		return readFormats(L, checkStdin(L).host.stdin, []lua.LValue{lua.LString("*l")})
	}))
	return 1
}

func stdinWrite(L *lua.LState) int {
	L.Push(lua.LNil)
	L.Push(lua.LString("Bad file descriptor"))
	L.Push(lua.LNumber(9))
	return 3
}

func stdinClose(L *lua.LState) int {
	L.Push(lua.LNil)
	L.Push(lua.LString("cannot close standard file"))
	return 2
}

func ioFlush(L *lua.LState) int {
	stateOf(L).stream(streamStdout).flush()
	return 0
}

// fileSetvbuf accepts every mode: output is written at every line end.
func fileSetvbuf(L *lua.LState) int {
	switch mode := checkString(L, 2); mode {
	case "no", "full", "line":
	default:
		argError(L, 2, "invalid option '"+mode+"'")
	}
	L.Push(lua.LTrue)
	return 1
}
