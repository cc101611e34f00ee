package luahost

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/dlua/dlua/proc"
)

// Memory accounting
//
// gopher-lua has no allocator hook, so a process's heap is estimated the way
// a garbage collector paces itself: the estimate is the size of the values
// the process could reach at the last walk of its heap ("live"), plus what
// it has allocated since ("charged"). Everything that can allocate much in
// one step charges before it allocates: the VM instructions that build
// strings, tables and closures (see knobs.go), and the builtins that build
// big values (string.rep, table.concat, ...). When the estimate passes the
// limit, the heap is walked to find what is really live; only if that is
// still over the limit does the process end with "memory_limit". Garbage
// costs nothing but a walk now and then; a process far below its limit is
// never walked.

// alloc accounts n bytes that a builtin or an instruction is about to
// allocate. It raises (does not return) when the process must end.
func (s *state) alloc(n int) {
	s.memCharged += int64(n)
	if s.memLimit == 0 {
		// No limit: the estimate is only for inspection. Walk when the
		// process has allocated twice what was live, as a collector would,
		// so that garbage does not inflate it for ever.
		if s.memCharged > 2*s.memLive+1<<20 {
			s.collect()
		}
		return
	}
	if s.memLive+s.memCharged <= s.memLimit {
		return
	}
	// Over the limit by the estimate. Walk only once the process has
	// allocated half of what was live at the last walk, as a collector
	// paces itself: a process living near its limit does not walk its heap
	// on every allocation, and its estimate stays under 1.5× the limit.
	if s.memCharged < s.memLive/2 {
		return
	}
	s.collect()
	s.memCharged = int64(n)
	if s.memLive+s.memCharged > s.memLimit && !s.stopping {
		s.stop(proc.MemoryLimit)
	}
	if s.stopping {
		s.L.RaiseError("%s", errStopped.Error())
	}
}

// collect walks the process's heap and makes its size the new "live".
func (s *state) collect() {
	s.memLive = s.heapSize()
	s.memCharged = 0
	s.walks++
}

// memoryEstimate is the process's heap as inspection reports it.
func (s *state) memoryEstimate() int64 {
	return baseStateBytes + s.memLive + s.memCharged
}

// Sizes the walk gives values, in bytes: close to what gopher-lua
// allocates for each on 64-bit platforms (measured with Go 1.26: a table
// with one string field costs ~700 bytes, most of it in its two maps).
const (
	sizeString   = 32      // the boxed header; the bytes are added
	sizeNumber   = 8       // a number held in a table or an upvalue is boxed
	sizeTable    = 96      // LTable
	sizeSlot     = 16      // one array slot
	sizeHash     = 512     // the maps of a table's hash part, once it has one
	sizeField    = 96      // one hash field: map entries, key list, key index
	sizeFunction = 80      // LFunction
	sizeUpvalue  = 64      // an Upvalue and its slot
	sizeUserdata = 64      // LUserData
	sizeThread   = 8 << 10 // a coroutine's LState with its stacks
)

// heapSize returns the bytes of the values the process can reach: its
// globals, registry, library stand-ins, and the locals and functions of
// every active call, in coroutines too.
func (s *state) heapSize() int64 {
	w := walker{s: s, seen: make(map[any]struct{}, 64)}
	w.value(s.globals)
	if s.L.Env != s.globals {
		w.value(s.L.Env)
	}
	w.value(s.L.G.Registry)
	for _, t := range s.libs {
		if t != nil {
			w.value(t)
		}
	}
	w.value(s.strMeta)
	w.thread(s.L)
	w.value(lua.LNil) // drains what thread queued
	return w.size
}

// walker sums the sizes of values, each counted once. It keeps its own
// work list instead of recursing: a chain of ten million nested tables
// must not overflow the Go stack.
type walker struct {
	s    *state
	seen map[any]struct{}
	todo []lua.LValue
	size int64
}

func (w *walker) visit(p any) bool {
	if _, ok := w.seen[p]; ok {
		return false
	}
	w.seen[p] = struct{}{}
	return true
}

// value counts v and everything it holds.
func (w *walker) value(v lua.LValue) {
	w.todo = append(w.todo, v)
	for len(w.todo) > 0 {
		v := w.todo[len(w.todo)-1]
		w.todo = w.todo[:len(w.todo)-1]
		w.one(v)
	}
}

// one counts v itself and queues what it holds.
func (w *walker) one(v lua.LValue) {
	switch v := v.(type) {
	case lua.LString:
		if len(v) > 64 {
			// Long strings are counted once however often they are held.
			if !w.visit(string(v)) {
				return
			}
		}
		w.size += sizeString + int64(len(v))
	case lua.LNumber:
		w.size += sizeNumber
	case *lua.LTable:
		if !w.visit(v) {
			return
		}
		w.size += sizeTable
		w.todo = append(w.todo, v.Metatable)
		n := v.Len()
		w.size += int64(n) * sizeSlot
		fields := 0
		v.ForEach(func(k, val lua.LValue) {
			if kn, ok := k.(lua.LNumber); !ok || int(kn) > n || kn < 1 {
				fields++
				w.todo = append(w.todo, k)
			}
			w.todo = append(w.todo, val)
		})
		if fields > 0 {
			w.size += sizeHash + int64(fields)*sizeField
		}
	case *lua.LFunction:
		if !w.visit(v) {
			return
		}
		w.size += sizeFunction + int64(len(v.Upvalues))*sizeUpvalue
		for _, uv := range v.Upvalues {
			if uv != nil {
				w.todo = append(w.todo, uv.Value())
			}
		}
		if v.Env != nil && v.Env != unreachableEnv {
			w.todo = append(w.todo, v.Env)
		}
		if v.Proto != nil {
			if n, own := w.s.protos[v.Proto]; own && w.visit(v.Proto) {
				w.size += n // code this process compiled itself
			}
		}
	case *lua.LUserData:
		if !w.visit(v) {
			return
		}
		w.size += sizeUserdata
	case *lua.LState:
		if !w.visit(v) {
			return
		}
		w.size += sizeThread
		w.thread(v)
	}
}

// thread queues the locals, functions and stack of every active call of L.
func (w *walker) thread(L *lua.LState) {
	for level := 0; ; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			break
		}
		if fn, err := L.GetInfo("f", dbg, lua.LNil); err == nil {
			w.todo = append(w.todo, fn)
		}
		for i := 1; ; i++ {
			name, v := L.GetLocal(dbg, i)
			if name == "" {
				break
			}
			w.todo = append(w.todo, v)
		}
	}
	for i := 1; i <= L.GetTop(); i++ {
		w.todo = append(w.todo, L.Get(i))
	}
}

// protoSize estimates the bytes of a compiled prototype and those nested
// in it.
func protoSize(p *lua.FunctionProto) int64 {
	n := int64(256 + 4*len(p.Code) + 16*len(p.Constants) + 8*len(p.DbgSourcePositions) + 48*len(p.DbgLocals))
	for _, c := range p.Constants {
		if s, ok := c.(lua.LString); ok {
			n += int64(len(s))
		}
	}
	for _, nested := range p.FunctionPrototypes {
		n += protoSize(nested)
	}
	return n
}
