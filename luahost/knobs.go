package luahost

import (
	"fmt"
	"reflect"
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

// The gopher-lua knobs dlua sets: every global of gopher-lua that dlua
// changes is changed here, once, before any state runs.
//
//  1. lua.MaxArrayIndex: integer keys below it live in a table's array
//     part, and gopher-lua fills the gap up to a new key with nils, so
//     t[1e7] = 1 would allocate 160 MB in one instruction. dlua lowers it to
//     1<<20: larger integer keys live in the hash part. The instruction
//     hooks below charge the gap below it to the process's memory.
//  2. The VM's jump table: the instructions that can allocate much in one
//     step (CONCAT, NEWTABLE, SETTABLE, SETTABLEKS, SETGLOBAL, SETLIST,
//     CLOSURE) are wrapped so that a process with a memory limit charges
//     the allocation before it happens (see memory.go). gopher-lua has no
//     allocator hook (its issue #230); this is the narrowest place to
//     stand in for one. A process without a memory limit pays one type
//     assertion and one compare per such instruction.
//
// Both reach inside gopher-lua (a linkname to its jump table, and the
// offsets of unexported fields, found by name with reflect). Their
// shapes are checked when the package starts and by TestKnobs: a
// gopher-lua release that changes them fails loudly, never silently.

const maxArrayIndex = 1 << 20

// instFunc is gopher-lua's instFunc; the *callFrame is opaque to us.
type instFunc func(L *lua.LState, inst uint32, baseframe unsafe.Pointer) int

//go:linkname jumpTable github.com/yuin/gopher-lua.jumpTable
var jumpTable [lua.OP_NOP + 1]instFunc

// Offsets of unexported fields, found by name.
var (
	offCurrentFrame uintptr // LState.currentFrame (*callFrame)
	offFrameFn      uintptr // callFrame.Fn (*LFunction)
	offTableArray   uintptr // LTable.array ([]LValue)
)

func init() {
	lua.MaxArrayIndex = maxArrayIndex
	ls := reflect.TypeFor[lua.LState]()
	cf := field(ls, "currentFrame", reflect.Pointer)
	offCurrentFrame = cf.Offset
	frame := cf.Type.Elem()
	fn := field(frame, "Fn", reflect.Pointer)
	if fn.Type != reflect.TypeFor[*lua.LFunction]() {
		panic("luahost: gopher-lua's callFrame.Fn is not *LFunction")
	}
	offFrameFn = fn.Offset
	arr := field(reflect.TypeFor[lua.LTable](), "array", reflect.Slice)
	if arr.Type != reflect.TypeFor[[]lua.LValue]() {
		panic("luahost: gopher-lua's LTable.array is not []LValue")
	}
	offTableArray = arr.Offset

	hook(lua.OP_CONCAT, func(s *state, L *lua.LState, inst uint32) {
		b, c := argB(inst), argC(inst)
		n := 0
		for i := b; i <= c; i++ {
			switch v := L.Get(i + 1).(type) {
			case lua.LString:
				n += len(v)
			case lua.LNumber:
				n += 24
			}
		}
		s.alloc(sizeString + n)
	})
	hook(lua.OP_NEWTABLE, func(s *state, L *lua.LState, inst uint32) {
		n := sizeTable + argB(inst)*sizeSlot
		if c := argC(inst); c > 0 {
			n += sizeHash + c*sizeField
		}
		s.alloc(n)
	})
	hook(lua.OP_SETTABLE, func(s *state, L *lua.LState, inst uint32) {
		if t, ok := L.Get(argA(inst) + 1).(*lua.LTable); ok {
			s.alloc(setCost(t, rk(L, argB(inst))))
		}
	})
	hook(lua.OP_SETTABLEKS, func(s *state, L *lua.LState, inst uint32) {
		if t, ok := L.Get(argA(inst) + 1).(*lua.LTable); ok {
			s.alloc(setCost(t, rk(L, argB(inst))))
		}
	})
	hook(lua.OP_SETGLOBAL, func(s *state, L *lua.LState, inst uint32) {
		fn := currentFn(L)
		if fn == nil || fn.Env == nil {
			return
		}
		if k := argBx(inst); k < len(fn.Proto.Constants) {
			s.alloc(setCost(fn.Env, fn.Proto.Constants[k]))
		}
	})
	hook(lua.OP_SETLIST, func(s *state, L *lua.LState, inst uint32) {
		n := argB(inst)
		if n == 0 {
			n = L.GetTop() - argA(inst) - 1
		}
		s.alloc(n * sizeSlot)
	})
	hook(lua.OP_CLOSURE, func(s *state, L *lua.LState, inst uint32) {
		n := 0
		if fn := currentFn(L); fn != nil && argBx(inst) < len(fn.Proto.FunctionPrototypes) {
			n = int(fn.Proto.FunctionPrototypes[argBx(inst)].NumUpvalues)
		}
		s.alloc(sizeFunction + n*sizeUpvalue)
	})
}

func field(t reflect.Type, name string, kind reflect.Kind) reflect.StructField {
	f, ok := t.FieldByName(name)
	if !ok || f.Type.Kind() != kind {
		panic(fmt.Sprintf("luahost: gopher-lua's %s has no %s field %s", t, kind, name))
	}
	return f
}

// hook wraps the handler of op: before it runs, a process with a memory
// limit runs pre.
func hook(op int, pre func(s *state, L *lua.LState, inst uint32)) {
	orig := jumpTable[op]
	if orig == nil {
		panic(fmt.Sprintf("luahost: gopher-lua has no handler for opcode %d", op))
	}
	jumpTable[op] = func(L *lua.LState, inst uint32, baseframe unsafe.Pointer) int {
		if s, ok := L.Context().(*state); ok && s.memLimit != 0 {
			pre(s, L, inst)
		}
		return orig(L, inst, baseframe)
	}
}

// Instruction fields, as gopher-lua encodes them (opcode.go).
func argA(inst uint32) int  { return int(inst>>18) & 0xff }
func argB(inst uint32) int  { return int(inst & 0x1ff) }
func argC(inst uint32) int  { return int(inst>>9) & 0x1ff }
func argBx(inst uint32) int { return int(inst & 0x3ffff) }

const bitRK = 1 << 8 // an RK operand with this bit is a constant

// currentFn returns the function of the running call of L.
func currentFn(L *lua.LState) *lua.LFunction {
	frame := *(*unsafe.Pointer)(unsafe.Add(unsafe.Pointer(L), offCurrentFrame))
	if frame == nil {
		return nil
	}
	return *(**lua.LFunction)(unsafe.Add(frame, offFrameFn))
}

// rk returns the value of an RK operand: a constant of the running
// function, or a register.
func rk(L *lua.LState, x int) lua.LValue {
	if x&bitRK == 0 {
		return L.Get(x + 1)
	}
	fn := currentFn(L)
	if fn == nil || x&^bitRK >= len(fn.Proto.Constants) {
		return lua.LNil
	}
	return fn.Proto.Constants[x&^bitRK]
}

// arrayLen returns the length of t's array part.
func arrayLen(t *lua.LTable) int {
	return len(*(*[]lua.LValue)(unsafe.Add(unsafe.Pointer(t), offTableArray)))
}

// setCost is what t[k] = v may allocate: the gap of nils gopher-lua puts
// before a new integer key of the array part, or a new hash field.
func setCost(t *lua.LTable, k lua.LValue) int {
	if n, ok := k.(lua.LNumber); ok {
		i := int(n)
		if lua.LNumber(i) == n && i >= 1 && i < maxArrayIndex {
			if alen := arrayLen(t); i > alen {
				return (i - alen) * sizeSlot
			}
			return 0
		}
	}
	if t.RawGet(k) != lua.LNil {
		return 0
	}
	return sizeField
}

// ---------------------------------------------------------------------
// FunctionProto.stringConstants (for codec.go)
//
// gopher-lua's VM reads the names of GETGLOBAL, SETGLOBAL and the string
// keys of GETTABLEKS, SETTABLEKS and SELF from FunctionProto's unexported
// stringConstants: one string per constant, the constant itself if it is
// a string and "" otherwise, filled by the compiler at the end of
// compileFunctionExpr and by nothing else. No public path fills it for a
// prototype decoded from bytes (codec.go), so setStringConstants sets it
// at its offset, found by name with reflect and checked here when the
// package starts (and by the codec tests, which run decoded prototypes).

var offProtoStringConstants uintptr // FunctionProto.stringConstants ([]string)

func init() {
	sc := field(reflect.TypeFor[lua.FunctionProto](), "stringConstants", reflect.Slice)
	if sc.Type != reflect.TypeFor[[]string]() {
		panic("luahost: gopher-lua's FunctionProto.stringConstants is not []string")
	}
	offProtoStringConstants = sc.Offset
}

// setStringConstants sets p's stringConstants to sk, which must be as the
// compiler makes it from p.Constants.
func setStringConstants(p *lua.FunctionProto, sk []string) {
	*(*[]string)(unsafe.Add(unsafe.Pointer(p), offProtoStringConstants)) = sk
}
