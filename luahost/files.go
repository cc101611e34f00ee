package luahost

import (
	"bufio"
	"errors"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// luaFile is a file a process opened with io.open. The process closes its
// files when it ends.
type luaFile struct {
	owner  *state
	f      *os.File
	r      *bufio.Reader
	w      *bufio.Writer
	closed bool
}

// maxOpenFiles bounds the files one process holds open at once.
const maxOpenFiles = 64

func (lf *luaFile) close() error {
	if lf.closed {
		return nil
	}
	lf.closed = true
	if lf.owner != nil {
		lf.owner.files = slices.DeleteFunc(lf.owner.files, func(f *luaFile) bool { return f == lf })
	}
	var werr error
	if lf.w != nil {
		werr = lf.w.Flush()
	}
	return errors.Join(werr, lf.f.Close())
}

// openFlags maps a Lua mode to os.OpenFile flags and says whether it
// writes.
func openFlags(mode string) (int, bool, bool) {
	switch strings.TrimSuffix(mode, "b") {
	case "r":
		return os.O_RDONLY, false, true
	case "w":
		return os.O_WRONLY | os.O_CREATE | os.O_TRUNC, true, true
	case "a":
		return os.O_WRONLY | os.O_CREATE | os.O_APPEND, true, true
	case "r+":
		return os.O_RDWR, true, true
	case "w+":
		return os.O_RDWR | os.O_CREATE | os.O_TRUNC, true, true
	case "a+":
		return os.O_RDWR | os.O_CREATE | os.O_APPEND, true, true
	}
	return 0, false, false
}

// fail pushes nil, message, code as Lua's io functions return on failure.
func fail(L *lua.LState, path string, err error) int {
	L.Push(lua.LNil)
	msg := err.Error()
	var perr *fs.PathError
	if errors.As(err, &perr) {
		msg = path + ": " + perr.Err.Error()
	}
	L.Push(lua.LString(msg))
	L.Push(lua.LNumber(1))
	return 3
}

func denied(L *lua.LState, path, what string) int {
	L.Push(lua.LNil)
	L.Push(lua.LString(path + ": permission denied (not in a folder this process may " + what + ")"))
	L.Push(lua.LNumber(13))
	return 3
}

func ioOpen(L *lua.LState) int {
	s := stateOf(L)
	path := L.CheckString(1)
	mode := L.OptString(2, "r")
	flags, writes, ok := openFlags(mode)
	if !ok {
		L.ArgError(2, "invalid mode '"+mode+"'")
	}
	if writes && !s.canWrite(path) {
		return denied(L, path, "write")
	}
	if !writes && !s.canRead(path) {
		return denied(L, path, "read")
	}
	if len(s.files) >= maxOpenFiles {
		return fail(L, path, errors.New("too many open files (at most "+strconv.Itoa(maxOpenFiles)+" per process)"))
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return fail(L, path, err)
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return fail(L, path, errors.New(path+": is a directory"))
	}
	lf := &luaFile{owner: s, f: f}
	if flags&(os.O_WRONLY|os.O_RDWR) == 0 || flags&os.O_RDWR != 0 {
		lf.r = bufio.NewReader(f)
	}
	if writes {
		lf.w = bufio.NewWriter(f)
	}
	s.files = append(s.files, lf)
	L.Push(&lua.LUserData{Value: lf, Metatable: shared.ioFile, Env: unreachableEnv})
	return 1
}

// closeFiles closes what the process left open.
func (s *state) closeFiles() {
	for len(s.files) > 0 {
		s.files[0].close()
	}
}

func ioLines(L *lua.LState) int {
	if L.GetTop() == 0 {
		return stdinLines(L)
	}
	n := ioOpen(L)
	if n != 1 {
		L.RaiseError("%s", L.Get(-2).String())
	}
	ud := L.Get(-1).(*lua.LUserData)
	lf := ud.Value.(*luaFile)
	L.Push(L.NewClosure(func(L *lua.LState) int {
		if lf.closed {
			L.Push(lua.LNil)
			return 1
		}
		n := readFormats(L, lf.r, []lua.LValue{lua.LString("*l")})
		if L.Get(-1) == lua.LNil {
			lf.close()
		}
		return n
	}))
	return 1
}

func ioClose(L *lua.LState) int {
	if L.GetTop() == 0 {
		return 0
	}
	return fileClose(L)
}

func ioType(L *lua.LState) int {
	ud, ok := L.Get(1).(*lua.LUserData)
	if !ok || ud.Metatable != shared.ioFile {
		L.Push(lua.LNil)
		return 1
	}
	if lf, ok := ud.Value.(*luaFile); ok && lf.closed {
		L.Push(lua.LString("closed file"))
	} else {
		L.Push(lua.LString("file"))
	}
	return 1
}

func osRemove(L *lua.LState) int {
	path := L.CheckString(1)
	if !stateOf(L).canWrite(path) {
		return denied(L, path, "write")
	}
	if err := os.Remove(path); err != nil {
		return fail(L, path, err)
	}
	L.Push(lua.LTrue)
	return 1
}

func osRename(L *lua.LState) int {
	from, to := L.CheckString(1), L.CheckString(2)
	s := stateOf(L)
	if !s.canWrite(from) {
		return denied(L, from, "write")
	}
	if !s.canWrite(to) {
		return denied(L, to, "write")
	}
	if err := os.Rename(from, to); err != nil {
		return fail(L, from, err)
	}
	L.Push(lua.LTrue)
	return 1
}

// checkOpenFile returns argument 1 as an open file of the process.
func checkOpenFile(L *lua.LState) *luaFile {
	ud, ok := L.Get(1).(*lua.LUserData)
	if !ok || ud.Metatable != shared.ioFile {
		L.ArgError(1, "file expected")
	}
	lf, ok := ud.Value.(*luaFile)
	if !ok {
		L.ArgError(1, "not a file that can be read, closed or sought")
	}
	if lf.closed {
		L.RaiseError("attempt to use a closed file")
	}
	return lf
}

func fileRead(L *lua.LState) int {
	lf := checkOpenFile(L)
	if lf.r == nil {
		return fail(L, lf.f.Name(), errors.New("file not open for reading"))
	}
	if lf.w != nil {
		lf.w.Flush()
	}
	var formats []lua.LValue
	for i := 2; i <= L.GetTop(); i++ {
		formats = append(formats, L.Get(i))
	}
	if len(formats) == 0 {
		formats = []lua.LValue{lua.LString("*l")}
	}
	return readFormats(L, lf.r, formats)
}

func fileLines(L *lua.LState) int {
	lf := checkOpenFile(L)
	if lf.r == nil {
		L.RaiseError("file not open for reading")
	}
	L.Push(L.NewClosure(func(L *lua.LState) int {
		if lf.closed {
			L.RaiseError("file is already closed")
		}
		return readFormats(L, lf.r, []lua.LValue{lua.LString("*l")})
	}))
	return 1
}

func fileClose(L *lua.LState) int {
	ud, ok := L.Get(1).(*lua.LUserData)
	if ok {
		if _, std := ud.Value.(stream); std {
			L.Push(lua.LNil)
			L.Push(lua.LString("cannot close standard file"))
			return 2
		}
	}
	lf := checkOpenFile(L)
	if err := lf.close(); err != nil {
		return fail(L, lf.f.Name(), err)
	}
	L.Push(lua.LTrue)
	return 1
}

func fileSeek(L *lua.LState) int {
	lf := checkOpenFile(L)
	whence := map[string]int{"set": io.SeekStart, "cur": io.SeekCurrent, "end": io.SeekEnd}
	w, ok := whence[L.OptString(2, "cur")]
	if !ok {
		L.ArgError(2, "invalid option")
	}
	off := int64(L.OptInt(3, 0))
	if lf.w != nil {
		lf.w.Flush()
	}
	if w == io.SeekCurrent && lf.r != nil {
		off -= int64(lf.r.Buffered())
	}
	pos, err := lf.f.Seek(off, w)
	if err != nil {
		return fail(L, lf.f.Name(), err)
	}
	if lf.r != nil {
		lf.r.Reset(lf.f)
	}
	L.Push(lua.LNumber(pos))
	return 1
}

// readFormats reads with Lua's io.read formats ("*l", "*L", "*n", "*a", or
// a byte count) and pushes one value per format, stopping at the first
// that fails (nil). It charges the process for what it reads.
func readFormats(L *lua.LState, in *bufio.Reader, formats []lua.LValue) int {
	s := stateOf(L)
	for i, f := range formats {
		var v lua.LValue = lua.LNil
		switch f := f.(type) {
		case lua.LNumber:
			n := int(f)
			if n < 0 {
				L.ArgError(i+1, "invalid count")
			}
			s.alloc(n)
			buf := make([]byte, n)
			got, _ := io.ReadFull(in, buf)
			if got > 0 || n == 0 {
				if _, err := in.Peek(1); n == 0 && err != nil {
					break
				}
				v = lua.LString(buf[:got])
			}
		case lua.LString:
			switch strings.TrimPrefix(string(f), "*") {
			case "l", "L":
				line, err := readLine(s, in)
				if line == "" && err != nil {
					break
				}
				if strings.TrimPrefix(string(f), "*") == "l" {
					line = strings.TrimSuffix(line, "\n")
				}
				v = lua.LString(line)
			case "a":
				var b strings.Builder
				chunk := make([]byte, 32<<10)
				for {
					n, err := in.Read(chunk)
					if n > 0 {
						s.alloc(n)
						s.charge(n / 64)
						b.Write(chunk[:n])
					}
					if err != nil {
						break
					}
				}
				v = lua.LString(b.String())
			case "n":
				if n, ok := readNumber(in); ok {
					v = lua.LNumber(n)
				}
			default:
				L.ArgError(i+1, "invalid format")
			}
		default:
			L.ArgError(i+1, "invalid format")
		}
		L.Push(v)
		if v == lua.LNil {
			return i + 1
		}
	}
	return len(formats)
}

// readLine reads a line, charging the process as it grows: a file with no
// line end is read in pieces, never in one unbounded allocation.
func readLine(s *state, in *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		piece, err := in.ReadSlice('\n')
		s.alloc(len(piece))
		s.charge(len(piece) / 64)
		b.Write(piece)
		if err != bufio.ErrBufferFull {
			return b.String(), err
		}
	}
}

func readNumber(in *bufio.Reader) (float64, bool) {
	var word []byte
	for len(word) < 200 {
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
		if h, herr := strconv.ParseInt(strings.TrimPrefix(strings.ToLower(string(word)), "0x"), 16, 64); herr == nil && strings.HasPrefix(strings.ToLower(string(word)), "0x") {
			return float64(h), true
		}
		return 0, false
	}
	return n, true
}
