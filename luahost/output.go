package luahost

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"
)

// output is a stream shared by every process: writes are whole (a line
// printed by one process is never split by another's) and reach the
// underlying writer at every line end.
type output struct {
	mu sync.Mutex
	w  *bufio.Writer
}

func newOutput(w io.Writer) *output {
	return &output{w: bufio.NewWriterSize(w, 8192)}
}

func (o *output) write(p []byte) {
	o.mu.Lock()
	o.w.Write(p)
	if bytes.IndexByte(p, '\n') >= 0 {
		o.w.Flush()
	}
	o.mu.Unlock()
}

func (o *output) flush() {
	o.mu.Lock()
	o.w.Flush()
	o.mu.Unlock()
}

type stream int

const (
	streamStdout stream = iota
	streamStderr
)

func (s *state) stream(which stream) *output {
	if which == streamStderr {
		return s.host.errOut
	}
	return s.host.out
}

func basePrint(L *lua.LState) int {
	var b strings.Builder
	top := L.GetTop()
	for i := 1; i <= top; i++ {
		if i > 1 {
			b.WriteByte('\t')
		}
		b.WriteString(printString(L, i))
	}
	b.WriteByte('\n')
	stateOf(L).print(streamStdout, []byte(b.String()))
	return 0
}

// print writes text to the process's stream: the host's, or the buffer of
// an Eval. Every line also goes to the node's log, with the pid.
func (s *state) print(which stream, text []byte) {
	if s.capture != nil {
		s.capture.Write(text)
	} else {
		s.stream(which).write(text)
	}
	s.host.node.Log(s.p.PID(), strings.TrimSuffix(string(text), "\n"))
}

// writeArgs writes the string and number arguments from index first on, as
// io.write does.
func writeArgs(L *lua.LState, which stream, first int) {
	var b []byte
	for i := first; i <= L.GetTop(); i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			b = append(b, v...)
		case lua.LNumber:
			b = appendNumber(b, float64(v))
		default:
			L.ArgError(i-first+1, "string expected, got "+v.Type().String())
		}
	}
	if len(b) > 0 {
		stateOf(L).print(which, b)
	}
}

func ioWrite(L *lua.LState) int {
	writeArgs(L, streamStdout, 1)
	L.Push(stdioFile(L, streamStdout))
	return 1
}

func stdioFile(L *lua.LState, which stream) lua.LValue {
	name := "stdout"
	if which == streamStderr {
		name = "stderr"
	}
	return shared.lib[libIO].RawGetString(name)
}

// checkStream returns argument 1 as io.stdout or io.stderr, or false for
// a file of io.open.
func checkStream(L *lua.LState) (stream, bool) {
	ud, ok := L.Get(1).(*lua.LUserData)
	if !ok || ud.Metatable != shared.ioFile {
		L.ArgError(1, "file expected")
	}
	st, ok := ud.Value.(stream)
	return st, ok
}

func fileWrite(L *lua.LState) int {
	if st, ok := checkStream(L); ok {
		writeArgs(L, st, 2)
		L.Push(L.Get(1))
		return 1
	}
	lf := checkOpenFile(L)
	if lf.w == nil {
		return fail(L, lf.f.Name(), errors.New("file not open for writing"))
	}
	for i := 2; i <= L.GetTop(); i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			stateOf(L).charge(len(v) / 64)
			if _, err := lf.w.WriteString(string(v)); err != nil {
				return fail(L, lf.f.Name(), err)
			}
		case lua.LNumber:
			lf.w.WriteString(fmtNumber(float64(v)))
		default:
			L.ArgError(i-1, "string expected, got "+v.Type().String())
		}
	}
	L.Push(L.Get(1))
	return 1
}

func fileFlush(L *lua.LState) int {
	if st, ok := checkStream(L); ok {
		stateOf(L).stream(st).flush()
		return 0
	}
	if lf := checkOpenFile(L); lf.w != nil {
		lf.w.Flush()
	}
	return 0
}

func fileToString(L *lua.LState) int {
	st, ok := checkStream(L)
	switch {
	case ok && st == streamStderr:
		L.Push(lua.LString("file (stderr)"))
	case ok:
		L.Push(lua.LString("file (stdout)"))
	default:
		ud := L.Get(1).(*lua.LUserData)
		if ud.Value.(*luaFile).closed {
			L.Push(lua.LString("file (closed)"))
		} else {
			L.Push(lua.LString(fmt.Sprintf("file (%p)", ud.Value)))
		}
	}
	return 1
}

// ioRead reads standard input; only the root process of a script may.
func ioRead(L *lua.LState) int {
	s := stateOf(L)
	if s.p.Data() != rootMarker {
		L.RaiseError("io.read: only the root process reads standard input")
	}
	var formats []lua.LValue
	for i := 1; i <= L.GetTop(); i++ {
		formats = append(formats, L.Get(i))
	}
	if len(formats) == 0 {
		formats = []lua.LValue{lua.LString("*l")}
	}
	return readFormats(L, s.host.stdin, formats)
}
