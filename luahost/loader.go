package luahost

import (
	"os"
	"path/filepath"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// canRead reports whether the process may read the file at path.
func (s *state) canRead(path string) bool {
	return within(path, s.limits.AllowRead)
}

// canWrite reports whether the process may create, change or remove the
// file at path.
func (s *state) canWrite(path string) bool {
	return within(path, s.limits.AllowWrite)
}

// within reports whether path lies inside one of dirs once ".." and
// symbolic links are resolved, in path and in dirs. A path that does not
// exist yet is judged by its folder.
func within(path string, dirs []string) bool {
	real, err := resolve(path)
	if err != nil {
		return false
	}
	for _, dir := range dirs {
		root, err := resolve(dir)
		if err != nil {
			continue
		}
		if rel, err := filepath.Rel(root, real); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// resolve returns the absolute path of path with every symbolic link
// resolved; for a path that does not exist, that of its folder joined with
// its name.
func resolve(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err == nil {
		return real, nil
	}
	if _, lerr := os.Lstat(abs); lerr == nil {
		return "", err // a dangling symbolic link: judge nothing by it
	}
	dir, err := filepath.EvalSymlinks(filepath.Dir(abs))
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, filepath.Base(abs)), nil
}

// loadFile compiles the file at path for this process, if it may read it.
func (s *state) loadFile(path string) (*lua.LFunction, string) {
	if !s.canRead(path) {
		if _, err := os.Stat(path); err != nil {
			return nil, "cannot open " + path
		}
		return nil, "cannot open " + path + ": not in a folder this process may read"
	}
	proto, err := s.host.compileFile(path)
	if err != nil {
		return nil, err.Error()
	}
	return s.L.NewFunctionFromProto(proto), ""
}

func baseLoadFile(L *lua.LState) int {
	fn, msg := stateOf(L).loadFile(L.CheckString(1))
	if fn == nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(msg))
		return 2
	}
	L.Push(fn)
	return 1
}

func baseDoFile(L *lua.LState) int {
	fn, msg := stateOf(L).loadFile(L.CheckString(1))
	if fn == nil {
		L.RaiseError("%s", msg)
	}
	top := L.GetTop()
	L.Push(fn)
	L.Call(0, lua.MultRet)
	return L.GetTop() - top
}

// loadChunk compiles Lua source for load and loadstring.
func loadChunk(L *lua.LState, src, name string) int {
	s := stateOf(L)
	// Compiling is Go work proportional to the source (its nesting is
	// bounded: syntax.go), and the prototype is the process's own: charge
	// both, and remember it so that walks of the heap count it.
	s.charge(len(src) / 16)
	s.alloc(4 * len(src))
	proto, err := s.host.compileChunk(src, name)
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	if s.protos == nil {
		s.protos = make(map[*lua.FunctionProto]int64)
	}
	s.protos[proto] = protoSize(proto) + int64(len(src)) // the source is kept: functions travel as source
	L.Push(L.NewFunctionFromProto(proto))
	return 1
}

func baseLoadString(L *lua.LState) int {
	src := L.CheckString(1)
	return loadChunk(L, src, chunkName(L.OptString(2, ""), src))
}

// chunkName names a chunk of source as Lua 5.1 does: a given name is used
// as it is ("=name" without its "="), and source without one is called
// [string "its first line..."].
func chunkName(given, src string) string {
	if given != "" {
		if given[0] == '=' || given[0] == '@' {
			return given[1:]
		}
		return given
	}
	line, _, more := strings.Cut(src, "\n")
	const max = 40
	if len(line) > max {
		line, more = line[:max], true
	}
	if more {
		return `[string "` + line + `..."]`
	}
	return `[string "` + line + `"]`
}

// baseLoad is load(string|function, [chunkname]).
func baseLoad(L *lua.LState) int {
	switch v := L.Get(1).(type) {
	case lua.LString:
		return loadChunk(L, string(v), chunkName(L.OptString(2, ""), string(v)))
	case *lua.LFunction:
		var b strings.Builder
		for {
			L.Push(v)
			L.Call(0, 1)
			piece := L.Get(-1)
			L.Pop(1)
			s, ok := piece.(lua.LString)
			if !ok || s == "" {
				if piece != lua.LNil && !ok {
					L.Push(lua.LNil)
					L.Push(lua.LString("reader function must return a string"))
					return 2
				}
				break
			}
			b.WriteString(string(s))
		}
		return loadChunk(L, b.String(), chunkName(L.OptString(2, "=(load)"), ""))
	default:
		L.ArgError(1, "string or function expected")
		return 0
	}
}

func baseRequire(L *lua.LState) int {
	L.Push(require(L, L.CheckString(1)))
	return 1
}

// require loads module name as Lua 5.1 does: package.loaded, then
// package.preload, then the files of package.path that the process may read.
func require(L *lua.LState, name string) lua.LValue {
	s := stateOf(L)
	if name == "proc" {
		return s.lib(libProc)
	}
	pkg := s.lib(libPackage)
	loaded, ok := pkg.RawGetString("loaded").(*lua.LTable)
	if !ok {
		L.RaiseError("package.loaded must be a table")
	}
	if v := loaded.RawGetString(name); v != lua.LNil {
		return v
	}
	var tried []string
	var loader lua.LValue = lua.LNil
	if pre, ok := pkg.RawGetString("preload").(*lua.LTable); ok {
		loader = pre.RawGetString(name)
	}
	tried = append(tried, "no field package.preload['"+name+"']")
	if loader == lua.LNil {
		path, _ := L.GetField(pkg, "path").(lua.LString)
		file := strings.ReplaceAll(name, ".", string(filepath.Separator))
		for _, tmpl := range strings.Split(string(path), ";") {
			if tmpl == "" {
				continue
			}
			candidate := strings.ReplaceAll(tmpl, "?", file)
			if _, err := os.Stat(candidate); err != nil {
				tried = append(tried, "no file '"+candidate+"'")
				continue
			}
			fn, msg := s.loadFile(candidate)
			if fn == nil {
				L.RaiseError("error loading module '%s' from file '%s':\n\t%s", name, candidate, msg)
			}
			loader = fn
			break
		}
	}
	if loader == lua.LNil {
		L.RaiseError("module '%s' not found:\n\t%s", name, strings.Join(tried, "\n\t"))
	}
	L.Push(loader)
	L.Push(lua.LString(name))
	L.Call(1, 1)
	result := L.Get(-1)
	L.Pop(1)
	if result != lua.LNil {
		loaded.RawSetString(name, result)
	}
	if v := loaded.RawGetString(name); v != lua.LNil {
		return v
	}
	loaded.RawSetString(name, lua.LTrue)
	return lua.LTrue
}
