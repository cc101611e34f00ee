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

// keepSource remembers the source name of p and the functions in it, for
// debug.getinfo.
func (s *state) keepSource(p *lua.FunctionProto, source string) {
	if s.sources == nil {
		s.sources = make(map[*lua.FunctionProto]string)
	}
	s.sources[p] = source
	for _, nested := range p.FunctionPrototypes {
		s.keepSource(nested, source)
	}
}

// loadChunk compiles Lua source for load and loadstring; source is the
// chunk's name as given (or its text), name how messages show it.
func loadChunk(L *lua.LState, src, source, name string) int {
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
	s.keepSource(proto, source)
	L.Push(L.NewFunctionFromProto(proto))
	return 1
}

// readerCall calls load's reader (on the stack) for one piece, in
// protected mode: it returns the error value, if any.
func readerCall(L *lua.LState) lua.LValue {
	s := stateOf(L)
	keep, loops := *hasErrorFunc(L), s.cCalls
	err := L.PCall(0, 1, nil)
	*hasErrorFunc(L), s.cCalls = keep, loops
	if s.stopping || s.p.Killed() {
		L.RaiseError("%s", s.Err().Error())
	}
	if err != nil {
		return errorValue(err)
	}
	return nil
}

func baseLoadString(L *lua.LState) int {
	src := checkString(L, 1)
	given := optString(L, 2, src)
	return loadChunk(L, src, given, chunkName(given, src))
}

// chunkName is the name a chunk of source shows in messages, as Lua 5.1
// makes it (luaO_chunkid): "=name" and "@name" show name; anything else
// is source text, shown as [string "its first line..."]. File chunks are
// named by their path as given.
func chunkName(given, src string) string {
	if given == "" {
		return `[string ""]`
	}
	switch given[0] {
	case '=':
		return given[1:min(len(given), 60)]
	case '@':
		if name := given[1:]; len(name) > 52 {
			return "..." + name[len(name)-52:]
		}
		return given[1:]
	}
	line := given
	if i := strings.IndexAny(line, "\n\r"); i >= 0 {
		line = line[:i]
	}
	const max = 43 // what fits in Lua's 60 bytes with [string "..."]
	if len(line) > max {
		line = line[:max]
	}
	if len(line) < len(given) {
		return `[string "` + line + `..."]`
	}
	return `[string "` + line + `"]`
}

// baseLoad is load(string|function, [chunkname]).
func baseLoad(L *lua.LState) int {
	switch v := L.Get(1).(type) {
	case lua.LString:
		given := optString(L, 2, string(v))
		return loadChunk(L, string(v), given, chunkName(given, string(v)))
	case *lua.LFunction:
		var b strings.Builder
		for {
			L.Push(v)
			// As in Lua 5.1, an error in the reader is load's failure.
			if err := readerCall(L); err != nil {
				L.Push(lua.LNil)
				L.Push(err)
				return 2
			}
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
		given := optString(L, 2, "=(load)")
		return loadChunk(L, b.String(), given, chunkName(given, b.String()))
	default:
		L.ArgError(1, "string or function expected")
		return 0
	}
}

// packagePath is the package.path of a script in folder dir: the working
// folder first, as Lua 5.1's default path, then the script's folder.
func packagePath(dir string) string {
	return "./?.lua;./?/init.lua;" + filepath.Join(dir, "?.lua") + ";" + filepath.Join(dir, "?", "init.lua")
}

// defaultCPath is package.cpath: C libraries are never loaded, but the
// path is there for the code that reads it.
const defaultCPath = "./?.so"

// loadingSentinel marks a module being loaded in package.loaded.
var loadingSentinel = &lua.LUserData{Metatable: lua.LNil, Env: unreachableEnv}

func baseRequire(L *lua.LState) int {
	L.Push(require(L, checkString(L, 1)))
	return 1
}

// require loads module name as Lua 5.1 does: package.loaded, then each
// function of package.loaders in turn (package.preload, then the files of
// package.path that the process may read; C libraries are never loaded).
func require(L *lua.LState, name string) lua.LValue {
	s := stateOf(L)
	if name == "proc" {
		return s.lib(libProc)
	}
	pkg := s.lib(libPackage)
	loaded, ok := pkg.RawGetString("loaded").(*lua.LTable)
	if !ok {
		raise(L, "package.loaded must be a table")
	}
	if v := loaded.RawGetString(name); lua.LVAsBool(v) {
		if v == loadingSentinel {
			raise(L, "loop or previous error loading module '"+name+"'")
		}
		return v
	}
	loaders, ok := L.GetField(pkg, "loaders").(*lua.LTable)
	if !ok {
		raise(L, "'package.loaders' must be a table")
	}
	var tried strings.Builder
	var loader lua.LValue
	for i := 1; ; i++ {
		f := loaders.RawGetInt(i)
		if f == lua.LNil {
			raise(L, "module '"+name+"' not found:"+tried.String())
		}
		L.Push(f)
		L.Push(lua.LString(name))
		callFromGo(L, 1, 1)
		r := L.Get(-1)
		L.Pop(1)
		if r.Type() == lua.LTFunction {
			loader = r
			break
		}
		if msg, ok := toStringValue(r); ok {
			tried.WriteString(msg)
		}
	}
	loaded.RawSetString(name, loadingSentinel)
	L.Push(loader)
	L.Push(lua.LString(name))
	callFromGo(L, 1, 1)
	result := L.Get(-1)
	L.Pop(1)
	if result != lua.LNil {
		loaded.RawSetString(name, result)
	}
	if v := loaded.RawGetString(name); v != loadingSentinel {
		return v
	}
	loaded.RawSetString(name, lua.LTrue)
	return lua.LTrue
}

var packageLoaders = []lua.LGFunction{loaderPreload, loaderLua, loaderC, loaderCRoot}

func loaderPreload(L *lua.LState) int {
	name := checkString(L, 1)
	pre, ok := L.GetField(stateOf(L).lib(libPackage), "preload").(*lua.LTable)
	if !ok {
		raise(L, "'package.preload' must be a table")
	}
	if f := L.GetField(pre, name); f != lua.LNil {
		L.Push(f)
		return 1
	}
	L.Push(lua.LString("\n\tno field package.preload['" + name + "']"))
	return 1
}

// findFile looks for name along package[field]; it returns the first
// file that exists, or "" and the list of files tried.
func findFile(L *lua.LState, name, field string) (string, string) {
	path, ok := L.GetField(stateOf(L).lib(libPackage), field).(lua.LString)
	if !ok {
		raise(L, "'package."+field+"' must be a string")
	}
	file := strings.ReplaceAll(name, ".", string(filepath.Separator))
	var tried strings.Builder
	for _, tmpl := range strings.Split(string(path), ";") {
		if tmpl == "" {
			continue
		}
		candidate := strings.ReplaceAll(tmpl, "?", file)
		if st, err := os.Stat(candidate); err == nil && !st.IsDir() {
			return candidate, ""
		}
		tried.WriteString("\n\tno file '" + candidate + "'")
	}
	return "", tried.String()
}

func loaderLua(L *lua.LState) int {
	name := checkString(L, 1)
	file, tried := findFile(L, name, "path")
	if file == "" {
		L.Push(lua.LString(tried))
		return 1
	}
	fn, msg := stateOf(L).loadFile(file)
	if fn == nil {
		raise(L, "error loading module '"+name+"' from file '"+file+"':\n\t"+msg)
	}
	L.Push(fn)
	return 1
}

// errNoCLibs is why a C library is never loaded.
const errNoCLibs = "dynamic libraries not enabled; check your Lua installation"

func loaderC(L *lua.LState) int {
	name := checkString(L, 1)
	file, tried := findFile(L, name, "cpath")
	if file == "" {
		L.Push(lua.LString(tried))
		return 1
	}
	raise(L, "error loading module '"+name+"' from file '"+file+"':\n\t"+errNoCLibs)
	return 0
}

func loaderCRoot(L *lua.LState) int {
	name := checkString(L, 1)
	root, _, dotted := strings.Cut(name, ".")
	if !dotted {
		return 0
	}
	file, tried := findFile(L, root, "cpath")
	if file == "" {
		L.Push(lua.LString(tried))
		return 1
	}
	raise(L, "error loading module '"+name+"' from file '"+file+"':\n\t"+errNoCLibs)
	return 0
}

// pkgLoadlib is package.loadlib: C libraries are never loaded.
func pkgLoadlib(L *lua.LState) int {
	checkString(L, 1)
	checkString(L, 2)
	L.Push(lua.LNil)
	L.Push(lua.LString(errNoCLibs))
	L.Push(lua.LString("absent"))
	return 3
}

// pkgSeeall gives a module access to the globals.
func pkgSeeall(L *lua.LState) int {
	t := checkTable(L, 1)
	mt, ok := t.Metatable.(*lua.LTable)
	if !ok {
		mt = L.CreateTable(0, 1)
		t.Metatable = mt
	}
	mt.RawSetString("__index", L.Get(lua.GlobalsIndex))
	return 0
}

// baseModule is Lua 5.1's module(name, ...): the module's table, found in
// package.loaded or made at the global path name, becomes the environment
// of the calling function; each further argument is called with it.
func baseModule(L *lua.LState) int {
	name := checkString(L, 1)
	s := stateOf(L)
	loaded, ok := s.lib(libPackage).RawGetString("loaded").(*lua.LTable)
	if !ok {
		raise(L, "package.loaded must be a table")
	}
	mod, ok := loaded.RawGetString(name).(*lua.LTable)
	if !ok {
		mod = findTable(L, name)
		loaded.RawSetString(name, mod)
	}
	if mod.RawGetString("_NAME") == lua.LNil {
		mod.RawSetString("_M", mod)
		mod.RawSetString("_NAME", lua.LString(name))
		pkg := ""
		if i := strings.LastIndexByte(name, '.'); i >= 0 {
			pkg = name[:i+1]
		}
		mod.RawSetString("_PACKAGE", lua.LString(pkg))
	}
	dbg, ok := L.GetStack(1)
	if !ok || debugFrame(dbg).fn().IsG {
		raise(L, "'module' not called from a Lua function")
	}
	debugFrame(dbg).fn().Env = mod
	for i := 2; i <= L.GetTop(); i++ {
		L.Push(L.Get(i))
		L.Push(mod)
		callFromGo(L, 1, 0)
	}
	return 0
}

// findTable returns the table at the dotted global path name, making the
// missing ones (luaL_findtable).
func findTable(L *lua.LState, name string) *lua.LTable {
	t, ok := L.Get(lua.GlobalsIndex).(*lua.LTable)
	if !ok {
		raise(L, "name conflict for module '"+name+"'")
	}
	for _, part := range strings.Split(name, ".") {
		switch v := L.GetField(t, part).(type) {
		case *lua.LTable:
			t = v
		case *lua.LNilType:
			next := L.CreateTable(0, 4)
			L.SetField(t, part, next)
			t = next
		default:
			raise(L, "name conflict for module '"+name+"'")
		}
	}
	return t
}
