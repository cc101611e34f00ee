package luahost

import (
	"math"
	"os"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"
)

// How the libraries reach a process
//
// Building the standard library tables costs ~25 KB and ~30 µs per state,
// more than the rest of a process. So every library exists once, built at
// start-up into tables that no state ever writes ("shared"), and a process
// sees them through small per-state stand-ins:
//
//   - The globals table of a process starts empty. Its metatable (shared)
//     has __index = the shared base table (print, pairs, spawn, ...), whose
//     own metatable resolves the library names (string, table, proc, ...,
//     _G) to the process's stand-ins, made on first use and then stored in
//     the globals.
//   - A stand-in is an empty table whose metatable (shared) has __index =
//     the shared library. Reads cost two extra table lookups and no call.
//   - The first write to a stand-in (string.trim = f) and any raw or
//     reflective access (pairs, next, rawget, rawset, getmetatable,
//     setmetatable) first "materializes" it: the library's fields are
//     copied into it and its metatable removed; from then on it is an
//     ordinary table owned by the process.
//   - Each process has its own string metatable, whose __index is its
//     string stand-in: functions added to string work as methods, and
//     getmetatable("").__index == string.
//
// Shared Go functions are only ever read; the paths by which Lua could
// reach a shared table (getmetatable, getfenv of a Go function) are
// closed. What Lua can still tell: rawequal(string.format, ...) across
// processes is moot (functions cannot be compared across states), and
// library functions are the same objects in every process.

type libID int

const (
	libString libID = iota
	libTable
	libMath
	libOS
	libIO
	libCoroutine
	libDebug
	libProc
	libPackage
	libProcGlobal // proc.global: reached through the proc stand-in only
	numLibs
)

// globalLibs are the libraries that are globals, by name.
var globalLibs = map[string]libID{
	"string": libString, "table": libTable, "math": libMath, "os": libOS,
	"io": libIO, "coroutine": libCoroutine, "debug": libDebug, "proc": libProc,
	"package": libPackage,
}

// sharedLibs are the read-only tables and functions every state uses.
type sharedLibs struct {
	base        *lua.LTable // base functions and the process builtins
	globalsMeta *lua.LTable // metatable of every process's globals
	lib         [numLibs]*lua.LTable
	libMeta     [numLibs]*lua.LTable
	standin     map[*lua.LTable]libID // stand-in metatables; -1: the globals'

	// builtins that can be sent: shared Go functions travel by name
	fnName map[*lua.LFunction]string
	byName map[string]*lua.LFunction

	traceback    *lua.LFunction
	tostring     *lua.LFunction // the base tostring, which print calls directly
	ipairsIter   *lua.LFunction
	pcallHandler *lua.LFunction
	loaders      []*lua.LFunction // package.loaders
	ioFile       *lua.LTable      // metatable of io.stdout and io.stderr
	pidMeta      *lua.LTable
	refMeta      *lua.LTable
}

var (
	shared     *sharedLibs
	sharedOnce sync.Once
)

const globalsID libID = -1

// gofn makes a shared Go function. Its Env is an empty table that no Lua
// code can reach (getfenv answers with the caller's globals instead).
func gofn(f lua.LGFunction) *lua.LFunction {
	return &lua.LFunction{IsG: true, GFunction: f, Env: unreachableEnv}
}

var unreachableEnv = &lua.LTable{Metatable: lua.LNil}

func initShared() {
	sharedOnce.Do(func() { shared = buildShared() })
}

func buildShared() *sharedLibs {
	sh := &sharedLibs{
		standin: make(map[*lua.LTable]libID),
		fnName:  make(map[*lua.LFunction]string),
		byName:  make(map[string]*lua.LFunction),
	}
	// A template state lends gopher-lua's library functions. Only those
	// that do not use the environment of the state that made them are kept.
	T := lua.NewState()
	defer T.Close()
	from := func(lib string) *lua.LTable {
		if lib == "" {
			return T.G.Global
		}
		return T.GetGlobal(lib).(*lua.LTable)
	}
	newTable := func(n int) *lua.LTable { return T.CreateTable(0, n) }

	add := func(t *lua.LTable, prefix, name string, fn *lua.LFunction) {
		t.RawSetString(name, fn)
		full := name
		if prefix != "" {
			full = prefix + "." + name
		}
		if _, dup := sh.fnName[fn]; !dup {
			sh.fnName[fn] = full
		}
		sh.byName[full] = fn
	}
	borrow := func(t *lua.LTable, lib, prefix string, names ...string) {
		src := from(lib)
		for _, n := range names {
			fn, ok := src.RawGetString(n).(*lua.LFunction)
			if !ok {
				panic("luahost: gopher-lua has no " + lib + "." + n)
			}
			add(t, prefix, n, fn)
		}
	}

	base := newTable(64)
	base.RawSetString("_VERSION", lua.LString("Lua 5.1"))
	for _, f := range []libFunc{
		{"assert", baseAssert}, {"error", baseError}, {"ipairs", baseIpairs},
		{"pcall", basePcall}, {"rawequal", baseRawequal}, {"select", baseSelect},
		{"tonumber", baseTonumber}, {"tostring", baseTostring}, {"type", baseType},
		{"unpack", baseUnpack}, {"xpcall", baseXpcall}, {"setfenv", baseSetfenv},
		{"collectgarbage", baseCollectgarbage}, {"gcinfo", baseGcinfo}, {"module", baseModule},
	} {
		add(base, "", f.name, gofn(f.fn))
	}
	for name, f := range baseFuncs {
		add(base, "", name, gofn(f))
	}
	sh.tostring = base.RawGetString("tostring").(*lua.LFunction)
	sh.ipairsIter = gofn(ipairsIter)
	sh.pcallHandler = gofn(pcallHandler)

	lib := func(id libID, name string, funcs []libFunc) {
		sh.lib[id] = newTable(len(funcs))
		for _, f := range funcs {
			add(sh.lib[id], name, f.name, gofn(f.fn))
		}
	}
	defer func() {
		// string.gfind is Lua 5.1's old name of gmatch: the same function
		sh.lib[libString].RawSetString("gfind", sh.lib[libString].RawGetString("gmatch"))
	}()
	lib(libString, "string", stringFuncs)
	lib(libTable, "table", tableFuncs)
	lib(libMath, "math", mathFuncs)
	sh.lib[libMath].RawSetString("pi", lua.LNumber(math.Pi))
	sh.lib[libMath].RawSetString("huge", lua.LNumber(math.Inf(1)))
	lib(libOS, "os", []libFunc{
		{"clock", osClock}, {"date", osDate}, {"difftime", osDifftime}, {"time", osTime},
		{"getenv", osGetenv}, {"remove", osRemove}, {"rename", osRename},
		{"setlocale", osSetlocale}, {"exit", osExit},
	})
	origCreate := from("coroutine").RawGetString("create").(*lua.LFunction).GFunction
	origResume := from("coroutine").RawGetString("resume").(*lua.LFunction).GFunction
	lib(libCoroutine, "coroutine", coroutineFuncs(origCreate, origResume))
	lib(libDebug, "debug", debugFuncs)
	borrow(sh.lib[libDebug], "debug", "debug", "traceback")
	sh.traceback = sh.lib[libDebug].RawGetString("traceback").(*lua.LFunction)

	sh.ioFile = newTable(3)
	fileMethods := newTable(2)
	add(fileMethods, "file", "write", gofn(stdinMethod(fileWrite, stdinWrite)))
	add(fileMethods, "file", "flush", gofn(stdinMethod(fileFlush, func(*lua.LState) int { return 0 })))
	add(fileMethods, "file", "read", gofn(stdinMethod(fileRead, stdinRead)))
	add(fileMethods, "file", "lines", gofn(stdinMethod(fileLines, stdinLines)))
	add(fileMethods, "file", "close", gofn(stdinMethod(fileClose, stdinClose)))
	add(fileMethods, "file", "setvbuf", gofn(fileSetvbuf))
	add(fileMethods, "file", "seek", gofn(fileSeek))
	sh.ioFile.RawSetString("__index", fileMethods)
	sh.ioFile.RawSetString("__metatable", lua.LString("file"))
	sh.ioFile.RawSetString("__tostring", gofn(stdinMethod(fileToString, func(L *lua.LState) int {
		L.Push(lua.LString("file (stdin)"))
		return 1
	})))
	sh.lib[libIO] = newTable(8)
	add(sh.lib[libIO], "io", "write", gofn(ioWrite))
	add(sh.lib[libIO], "io", "read", gofn(ioRead))
	add(sh.lib[libIO], "io", "open", gofn(ioOpen))
	add(sh.lib[libIO], "io", "lines", gofn(ioLines))
	add(sh.lib[libIO], "io", "close", gofn(ioClose))
	add(sh.lib[libIO], "io", "type", gofn(ioType))
	add(sh.lib[libIO], "io", "flush", gofn(ioFlush))
	sh.lib[libIO].RawSetString("stdin", &lua.LUserData{Value: stdinFile{}, Metatable: sh.ioFile, Env: unreachableEnv})
	sh.lib[libIO].RawSetString("stdout", &lua.LUserData{Value: streamStdout, Metatable: sh.ioFile, Env: unreachableEnv})
	sh.lib[libIO].RawSetString("stderr", &lua.LUserData{Value: streamStderr, Metatable: sh.ioFile, Env: unreachableEnv})

	sh.lib[libProc] = newTable(32)
	for name, f := range procFuncs {
		fn := gofn(f)
		add(sh.lib[libProc], "proc", name, fn)
		if aliased[name] {
			add(base, "", name, fn)
		}
	}
	sh.lib[libProcGlobal] = newTable(4)
	for name, f := range procGlobalFuncs {
		add(sh.lib[libProcGlobal], "proc.global", name, gofn(f))
	}
	sh.lib[libPackage] = newTable(4)
	sh.lib[libPackage].RawSetString("config", lua.LString("/\n;\n?\n!\n-"))
	add(sh.lib[libPackage], "package", "loadlib", gofn(pkgLoadlib))
	add(sh.lib[libPackage], "package", "seeall", gofn(pkgSeeall))
	for _, f := range packageLoaders {
		sh.loaders = append(sh.loaders, gofn(f))
	}

	sh.pidMeta = newTable(4)
	sh.pidMeta.RawSetString("__tostring", gofn(pidToString))
	sh.pidMeta.RawSetString("__eq", gofn(pidEq))
	sh.pidMeta.RawSetString("__metatable", lua.LString("pid"))
	sh.refMeta = newTable(4)
	sh.refMeta.RawSetString("__tostring", gofn(pidToString))
	sh.refMeta.RawSetString("__eq", gofn(pidEq))
	sh.refMeta.RawSetString("__metatable", lua.LString("ref"))

	for id := range numLibs {
		mt := newTable(2)
		mt.RawSetString("__index", sh.lib[id])
		mt.RawSetString("__newindex", gofn(materializeSet))
		sh.libMeta[id] = mt
		sh.standin[mt] = id
	}
	// The base table's own metatable resolves library names per process.
	baseMeta := newTable(1)
	baseMeta.RawSetString("__index", gofn(libIndex))
	base.Metatable = baseMeta
	sh.base = base
	sh.globalsMeta = newTable(2)
	sh.globalsMeta.RawSetString("__index", base)
	sh.globalsMeta.RawSetString("__newindex", gofn(globalsNewIndex))
	sh.standin[sh.globalsMeta] = globalsID
	return sh
}

// bareThread runs a coroutine constructor with the context set aside, so
// that gopher-lua does not wrap it in a cancelable context of its own (a
// goroutine per coroutine), then gives the new thread the process's state
// as context: its instructions are counted and a kill stops it too.
func bareThread(L *lua.LState, make lua.LGFunction, thread func(lua.LValue) *lua.LState) int {
	stateOf(L).alloc(sizeThread)
	ctx := L.RemoveContext()
	n := make(L)
	L.SetContext(ctx)
	th := thread(L.Get(-1))
	th.SetContext(ctx)
	stateOf(L).countLoops(th)
	return n
}

// lib returns the process's stand-in of library id, making it on first use.
func (s *state) lib(id libID) *lua.LTable {
	if t := s.libs[id]; t != nil {
		return t
	}
	t := s.L.CreateTable(0, 0)
	t.Metatable = shared.libMeta[id]
	s.libs[id] = t
	switch id {
	case libProc:
		// proc.global is a stand-in of its own, never the shared table:
		// materializing proc keeps it (only missing fields are copied).
		t.RawSetString("global", s.lib(libProcGlobal))
	case libPackage:
		loaded := s.L.CreateTable(0, 8)
		t.RawSetString("loaded", loaded)
		t.RawSetString("preload", s.L.CreateTable(0, 0))
		t.RawSetString("path", lua.LString(s.pkgPath))
		t.RawSetString("cpath", lua.LString(defaultCPath))
		loaders := s.L.CreateTable(len(shared.loaders), 0)
		for _, f := range shared.loaders {
			loaders.Append(f)
		}
		t.RawSetString("loaders", loaders)
		// As in Lua, package.loaded keeps the libraries even when the
		// script has removed their globals.
		for name, lid := range globalLibs {
			loaded.RawSetString(name, s.lib(lid))
		}
		loaded.RawSetString("_G", s.globals)
	}
	return t
}

// libIndex resolves a global that is neither the process's own nor a base
// function: the library names and _G.
func libIndex(L *lua.LState) int {
	key, ok := L.Get(2).(lua.LString)
	if !ok {
		L.Push(lua.LNil)
		return 1
	}
	s := stateOf(L)
	if key == "_G" {
		// Cached in the globals on first use: reaching here again means
		// the script removed it.
		if s.gCached {
			L.Push(lua.LNil)
			return 1
		}
		s.gCached = true
		s.globals.RawSetString("_G", s.globals)
		L.Push(s.globals)
		return 1
	}
	id, ok := globalLibs[string(key)]
	if !ok || s.deleted[id] || s.cached[id] {
		L.Push(lua.LNil)
		return 1
	}
	t := s.lib(id)
	s.cached[id] = true
	s.globals.RawSetString(string(key), t)
	L.Push(t)
	return 1
}

// globalsNewIndex runs when a script sets a global that its globals table
// does not hold yet. Setting a name the base or the libraries provide
// (print, string, _G, ...) first makes the globals an ordinary table, so
// that setting it to nil later removes it for good.
func globalsNewIndex(L *lua.LState) int {
	t, k, v := L.CheckTable(1), L.CheckAny(2), L.CheckAny(3)
	if name, ok := k.(lua.LString); ok {
		if id, lib := globalLibs[string(name)]; lib && v == lua.LNil {
			stateOf(L).deleted[id] = true
		}
		_, lib := globalLibs[string(name)]
		if lib || name == "_G" || shared.base.RawGet(k) != lua.LNil {
			materialize(L, t)
		}
	}
	t.RawSet(k, v)
	return 0
}

// materializeSet is the __newindex of a library stand-in.
func materializeSet(L *lua.LState) int {
	t := L.CheckTable(1)
	materialize(L, t)
	t.RawSet(L.CheckAny(2), L.CheckAny(3))
	return 0
}

// materialize turns a stand-in into an ordinary table holding its own
// copy of the library. It does nothing to other tables.
func materialize(L *lua.LState, t *lua.LTable) {
	mt, ok := t.Metatable.(*lua.LTable)
	if !ok {
		return
	}
	id, ok := shared.standin[mt]
	if !ok {
		return
	}
	t.Metatable = lua.LNil
	copyMissing := func(src *lua.LTable) {
		src.ForEach(func(k, v lua.LValue) {
			if t.RawGet(k) == lua.LNil {
				t.RawSet(k, v)
			}
		})
	}
	if id != globalsID {
		copyMissing(shared.lib[id])
		return
	}
	s := stateOf(L)
	copyMissing(shared.base)
	for name, lid := range globalLibs {
		if !s.deleted[lid] && !s.cached[lid] && t.RawGetString(name) == lua.LNil {
			t.RawSetString(name, s.lib(lid))
		}
		s.cached[lid] = true
	}
	if !s.gCached && t.RawGetString("_G") == lua.LNil {
		t.RawSetString("_G", s.globals)
	}
	s.gCached = true
}

// materialized returns t after materializing it if it is a stand-in.
func materialized(L *lua.LState, t *lua.LTable) *lua.LTable {
	if t.Metatable != lua.LNil {
		materialize(L, t)
	}
	return t
}

// baseFuncs are the base functions dlua defines itself: those that must see
// through stand-ins, and those that touch the host.
var baseFuncs = map[string]lua.LGFunction{
	"next": func(L *lua.LState) int {
		tb := materialized(L, checkTable(L, 1))
		k, v := tb.Next(L.Get(2))
		if k == lua.LNil {
			L.Push(lua.LNil)
			return 1
		}
		L.Push(k)
		L.Push(v)
		return 2
	},
	"pairs": func(L *lua.LState) int {
		tb := materialized(L, checkTable(L, 1))
		L.Push(shared.base.RawGetString("next"))
		L.Push(tb)
		L.Push(lua.LNil)
		return 3
	},
	"rawget": func(L *lua.LState) int {
		t := materialized(L, checkTable(L, 1))
		L.Push(t.RawGet(checkAny(L, 2)))
		return 1
	},
	"rawset": func(L *lua.LState) int {
		tb := materialized(L, checkTable(L, 1))
		k := checkAny(L, 2)
		checkAny(L, 3)
		if k == lua.LNil {
			raise(L, "table index is nil")
		}
		if s := stateOf(L); s.memLimit != 0 {
			s.alloc(setCost(tb, k))
		}
		tb.RawSet(k, L.Get(3))
		L.SetTop(1)
		return 1
	},
	"getmetatable": func(L *lua.LState) int {
		v := checkAny(L, 1)
		if t, ok := v.(*lua.LTable); ok {
			materialized(L, t)
		}
		L.Push(L.GetMetatable(v))
		return 1
	},
	"setmetatable": func(L *lua.LState) int {
		t := checkTable(L, 1)
		if mt := L.Get(2); mt.Type() != lua.LTNil && mt.Type() != lua.LTTable {
			argError(L, 2, "nil or table expected")
		}
		materialized(L, t)
		if mt, ok := t.Metatable.(*lua.LTable); ok && mt.RawGetString("__metatable") != lua.LNil {
			raise(L, "cannot change a protected metatable")
		}
		t.Metatable = L.Get(2)
		L.SetTop(1)
		return 1
	},
	"getfenv": func(L *lua.LState) int {
		var fn lua.LValue
		switch v := L.Get(1).(type) {
		case *lua.LFunction:
			fn = v
		case *lua.LNilType, lua.LNumber:
			level := optInt(L, 1, 1)
			if level == 0 {
				L.Push(L.Env)
				return 1
			}
			dbg, ok := L.GetStack(level)
			if !ok {
				argError(L, 1, "invalid level")
			}
			fn, _ = L.GetInfo("f", dbg, lua.LNil)
		default:
			level := checkInt(L, 1)
			_ = level
		}
		if f, ok := fn.(*lua.LFunction); ok && !f.IsG {
			L.Push(f.Env)
		} else {
			L.Push(L.Env)
		}
		return 1
	},
	"print":      basePrint,
	"load":       baseLoad,
	"loadstring": baseLoadString,
	"require":    baseRequire,
	"loadfile":   baseLoadFile,
	"dofile":     baseDoFile,
}

func osGetenv(L *lua.LState) int {
	name := L.CheckString(1)
	s := stateOf(L)
	for _, allowed := range s.limits.AllowEnv {
		if allowed == name {
			if v, ok := os.LookupEnv(name); ok {
				L.Push(lua.LString(v))
				return 1
			}
		}
	}
	L.Push(lua.LNil)
	return 1
}

// trimTraceback drops gopher-lua's Go frames from a traceback.
func trimTraceback(tb string) string {
	var keep []string
	for _, line := range strings.Split(tb, "\n") {
		if strings.TrimSpace(line) == "[G]: ?" {
			continue
		}
		keep = append(keep, line)
	}
	return strings.Join(keep, "\n")
}
