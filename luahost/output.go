package luahost

import (
	"bufio"
	"bytes"
	"io"
	"strconv"
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
		b.WriteString(L.ToStringMeta(L.Get(i)).String())
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
			b = append(b, v.String()...)
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

func checkFile(L *lua.LState) stream {
	ud, ok := L.Get(1).(*lua.LUserData)
	if !ok || ud.Metatable != shared.ioFile {
		L.ArgError(1, "file expected")
	}
	return ud.Value.(stream)
}

func fileWrite(L *lua.LState) int {
	writeArgs(L, checkFile(L), 2)
	L.Push(L.Get(1))
	return 1
}

func fileFlush(L *lua.LState) int {
	stateOf(L).stream(checkFile(L)).flush()
	return 0
}

func fileToString(L *lua.LState) int {
	if checkFile(L) == streamStderr {
		L.Push(lua.LString("file (stderr)"))
	} else {
		L.Push(lua.LString("file (stdout)"))
	}
	return 1
}

// ioRead reads standard input; only the root process of a script may.
func ioRead(L *lua.LState) int {
	s := stateOf(L)
	if s.p.Data() != rootMarker {
		L.RaiseError("io.read: only the root process reads standard input")
	}
	in := s.host.stdin
	nargs := L.GetTop()
	if nargs == 0 {
		L.Push(lua.LString("*l"))
		nargs = 1
	}
	for i := 1; i <= nargs; i++ {
		switch f := L.Get(i).(type) {
		case lua.LNumber:
			buf := make([]byte, int(f))
			n, _ := io.ReadFull(in, buf)
			if n == 0 && f > 0 {
				L.Push(lua.LNil)
				return i
			}
			L.Push(lua.LString(buf[:n]))
		case lua.LString:
			switch strings.TrimPrefix(string(f), "*") {
			case "l", "L":
				line, err := in.ReadString('\n')
				if line == "" && err != nil {
					L.Push(lua.LNil)
					return i
				}
				if !strings.HasPrefix(string(f), "*L") && !strings.HasPrefix(string(f), "L") {
					line = strings.TrimSuffix(line, "\n")
				}
				L.Push(lua.LString(line))
			case "a":
				all, _ := io.ReadAll(in)
				L.Push(lua.LString(all))
			case "n":
				var word []byte
				for {
					c, err := in.ReadByte()
					if err != nil {
						break
					}
					if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
						if len(word) == 0 {
							continue
						}
						in.UnreadByte()
						break
					}
					word = append(word, c)
				}
				n, err := strconv.ParseFloat(string(word), 64)
				if err != nil {
					L.Push(lua.LNil)
					return i
				}
				L.Push(lua.LNumber(n))
			default:
				L.ArgError(i, "invalid format")
			}
		default:
			L.ArgError(i, "invalid format")
		}
	}
	return nargs
}
