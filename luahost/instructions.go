package luahost

// VM instructions that gopher-lua executes differently from Lua 5.1,
// replaced in its jump table:
//
//   - CONCAT writes numbers as tostring does ("%.14g": 0.1 + 0.2 .. "" is
//     "0.3", not "0.30000000000000004"), calls __concat on the same pairs
//     as Lua 5.1, raises Lua 5.1's message ("attempt to concatenate local
//     'x' (a nil value)") and charges the budget one instruction per 64
//     bytes it copies;
//   - LEN of a table ignores __len (Lua 5.1 honours it only for userdata)
//     and goes on past the array part (tablib.go's tableLen), so that a
//     table of more than a million elements has its real length.
//
// This file's init must run before knobs.go's, which wraps CONCAT to
// charge memory: Go runs a package's init functions in the order of its
// file names, and TestBombMemoryLimit's concatenation checks that the
// charge still happens.

import (
	"math"
	"reflect"
	"strconv"
	"strings"
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

var (
	offStateReg    uintptr // LState.reg (*registry)
	offRegistryArr uintptr // registry.array ([]LValue)
	offRegistryTop uintptr // registry.top (int)
)

func init() {
	ls := reflect.TypeFor[lua.LState]()
	reg := field(ls, "reg", reflect.Pointer)
	offStateReg = reg.Offset
	arr := field(reg.Type.Elem(), "array", reflect.Slice)
	if arr.Type != reflect.TypeFor[[]lua.LValue]() {
		panic("luahost: gopher-lua's registry.array is not []LValue")
	}
	offRegistryArr = arr.Offset
	offRegistryTop = field(reg.Type.Elem(), "top", reflect.Int).Offset

	if jumpTable[lua.OP_CONCAT] == nil || jumpTable[lua.OP_LEN] == nil {
		panic("luahost: gopher-lua has no CONCAT or LEN handler")
	}
	jumpTable[lua.OP_CONCAT] = opConcat
	origForprep := jumpTable[lua.OP_FORPREP]
	jumpTable[lua.OP_FORPREP] = func(L *lua.LState, inst uint32, baseframe unsafe.Pointer) int {
		// Lua 5.1 converts numeric strings; gopher-lua refuses them
		a := argA(inst)
		for i, what := range [...]string{"initial value", "limit", "step"} {
			switch v := register(L, a+i).(type) {
			case lua.LNumber:
			default:
				f, ok := toNumber(v)
				if !ok {
					raise0(L, "'for' "+what+" must be a number")
				}
				setRegister(L, a+i, lua.LNumber(f))
			}
		}
		return origForprep(L, inst, baseframe)
	}
	for _, op := range []int{lua.OP_ADD, lua.OP_SUB, lua.OP_MUL, lua.OP_DIV, lua.OP_MOD, lua.OP_POW} {
		jumpTable[op] = arith(op, jumpTable[op])
	}
	origUnm := jumpTable[lua.OP_UNM]
	jumpTable[lua.OP_UNM] = func(L *lua.LState, inst uint32, baseframe unsafe.Pointer) int {
		v := register(L, argB(inst))
		if _, ok := v.(lua.LNumber); ok {
			return origUnm(L, inst, baseframe)
		}
		if f, ok := toNumber(v); ok {
			setRegister(L, argA(inst), lua.LNumber(-f))
			return 0
		}
		if metaField(L, v, "__unm") == lua.LNil {
			raise0(L, "attempt to perform arithmetic on "+describeValue(L, argB(inst), v))
		}
		return origUnm(L, inst, baseframe)
	}
	origLen := jumpTable[lua.OP_LEN]
	jumpTable[lua.OP_LEN] = func(L *lua.LState, inst uint32, baseframe unsafe.Pointer) int {
		switch v := register(L, argB(inst)).(type) {
		case *lua.LTable:
			s, _ := L.Context().(*state)
			setRegister(L, argA(inst), lua.LNumber(tableLen(s, v)))
			return 0
		case lua.LString:
			setRegister(L, argA(inst), lua.LNumber(len(v)))
			return 0
		default:
			if metaField(L, v, "__len") == lua.LNil {
				raise0(L, "attempt to get length of "+describeValue(L, argB(inst), v))
			}
		}
		return origLen(L, inst, baseframe)
	}
}

// arith wraps the handler of an arithmetic instruction: numeric strings
// convert as Lua 5.1 converts them ("010" is 10, "0x10" is 16, "1_0" is
// not a number; gopher-lua reads them with Go's rules), and % is Lua
// 5.1's a - floor(a/b)*b.
func arith(op int, orig instFunc) instFunc {
	return func(L *lua.LState, inst uint32, baseframe unsafe.Pointer) int {
		x, y := rkValue(L, argB(inst)), rkValue(L, argC(inst))
		a, aok := x.(lua.LNumber)
		b, bok := y.(lua.LNumber)
		if aok && bok {
			if op != lua.OP_MOD {
				return orig(L, inst, baseframe)
			}
		} else {
			fa, aok := toNumber(x)
			fb, bok := toNumber(y)
			if !aok || !bok {
				ev := arithEvents[op]
				if metaField(L, x, ev) != lua.LNil || metaField(L, y, ev) != lua.LNil {
					return orig(L, inst, baseframe)
				}
				bad, r := x, argB(inst)
				if aok {
					bad, r = y, argC(inst)
				}
				if r&bitRK != 0 {
					raise0(L, "attempt to perform arithmetic on a "+bad.Type().String()+" value")
				}
				raise0(L, "attempt to perform arithmetic on "+describeValue(L, r, bad))
			}
			a, b = lua.LNumber(fa), lua.LNumber(fb)
		}
		var r float64
		switch fa, fb := float64(a), float64(b); op {
		case lua.OP_ADD:
			r = fa + fb
		case lua.OP_SUB:
			r = fa - fb
		case lua.OP_MUL:
			r = fa * fb
		case lua.OP_DIV:
			r = fa / fb
		case lua.OP_MOD:
			r = fa - math.Floor(fa/fb)*fb
		case lua.OP_POW:
			r = math.Pow(fa, fb)
		}
		setRegister(L, argA(inst), lua.LNumber(r))
		return 0
	}
}

var arithEvents = map[int]string{
	lua.OP_ADD: "__add", lua.OP_SUB: "__sub", lua.OP_MUL: "__mul",
	lua.OP_DIV: "__div", lua.OP_MOD: "__mod", lua.OP_POW: "__pow",
}

// rkValue is the value of an RK operand: a constant or a register.
func rkValue(L *lua.LState, x int) lua.LValue {
	if x&bitRK != 0 {
		return currentFrame(L).fn().Proto.Constants[x&^bitRK]
	}
	return register(L, x)
}

// registers returns the value stack of L and the base of the running
// call's registers in it.
func registers(L *lua.LState) ([]lua.LValue, int) {
	reg := *(*unsafe.Pointer)(unsafe.Add(unsafe.Pointer(L), offStateReg))
	arr := *(*[]lua.LValue)(unsafe.Add(reg, offRegistryArr))
	return arr, currentFrame(L).localBase()
}

func register(L *lua.LState, r int) lua.LValue {
	arr, base := registers(L)
	return arr[base+r]
}

func setRegister(L *lua.LState, r int, v lua.LValue) {
	reg := *(*unsafe.Pointer)(unsafe.Add(unsafe.Pointer(L), offStateReg))
	arr, base := registers(L)
	arr[base+r] = v
	if top := (*int)(unsafe.Add(reg, offRegistryTop)); base+r >= *top {
		*top = base + r + 1
	}
}

func concatable(v lua.LValue) bool {
	switch v.(type) {
	case lua.LString, lua.LNumber:
		return true
	}
	return false
}

// opConcat is R(A) := R(B) .. ... .. R(C), as Lua 5.1's luaV_concat: from
// the right, the longest run of strings and numbers is joined into one
// string, and a pair with anything else goes to __concat.
func opConcat(L *lua.LState, inst uint32, _ unsafe.Pointer) int {
	a, b, c := argA(inst), argB(inst), argC(inst)
	s, _ := L.Context().(*state) // nil in a state that is not a process's
	for top := c; top > b; {
		x, y := register(L, top-1), register(L, top)
		if !concatable(x) || !concatable(y) {
			setRegister(L, top-1, concatMeta(L, top-1, x, y))
			top--
			continue
		}
		n := 2 // operands in the run, ending at top
		size := concatLen(x) + concatLen(y)
		for top-n >= b && concatable(register(L, top-n)) {
			size = satAdd(size, concatLen(register(L, top-n)))
			n++
		}
		if s != nil {
			chargeBytes(s, size)
		}
		if size > maxStringBytes {
			raise0(L, "string length overflow")
		}
		var sb strings.Builder
		sb.Grow(size)
		var num []byte
		for i := top - n + 1; i <= top; i++ {
			switch v := register(L, i).(type) {
			case lua.LString:
				sb.WriteString(string(v))
			case lua.LNumber:
				num = appendNumber(num[:0], float64(v))
				sb.Write(num)
			}
		}
		setRegister(L, top-n+1, lua.LString(sb.String()))
		top -= n - 1
	}
	setRegister(L, a, register(L, b))
	return 0
}

// concatLen is the length of a string, or at most that of a number.
func concatLen(v lua.LValue) int {
	if str, ok := v.(lua.LString); ok {
		return len(str)
	}
	return 24
}

// concatMeta calls the __concat metamethod of x or y, or raises Lua 5.1's
// error naming the operand that cannot be joined (r is x's register).
func concatMeta(L *lua.LState, r int, x, y lua.LValue) lua.LValue {
	tm := metaField(L, x, "__concat")
	if tm == lua.LNil {
		tm = metaField(L, y, "__concat")
	}
	if tm == lua.LNil {
		bad, reg := x, r
		if concatable(x) {
			bad, reg = y, r+1
		}
		raise0(L, "attempt to concatenate "+describeValue(L, reg, bad))
	}
	L.Push(tm)
	L.Push(x)
	L.Push(y)
	L.Call(2, 1)
	v := L.Get(-1)
	L.Pop(1)
	return v
}

// metaField is the field event of v's metatable, read raw.
func metaField(L *lua.LState, v lua.LValue, event string) lua.LValue {
	if mt, ok := rawMetatable(L, v).(*lua.LTable); ok {
		return mt.RawGetString(event)
	}
	return lua.LNil
}

// rawMetatable is v's metatable, whatever its __metatable field says.
func rawMetatable(L *lua.LState, v lua.LValue) lua.LValue {
	switch v := v.(type) {
	case *lua.LTable:
		return v.Metatable
	case *lua.LUserData:
		return v.Metatable
	}
	return L.GetMetatable(v)
}

// describeValue describes v, in register r of the running Lua function,
// for an error message: "local 'x' (a nil value)", "global 'x' (a nil
// value)", ... or "a nil value" for a temporary.
func describeValue(L *lua.LState, r int, v lua.LValue) string {
	what := "a " + v.Type().String() + " value"
	f := currentFrame(L)
	if f.isNil() || f.fn().IsG {
		return what
	}
	name, kind := registerName(f.fn().Proto, f.pc()-1, r)
	if name == "" {
		return what
	}
	return kind + " '" + name + "' (" + what + ")"
}

// raise0 raises msg with the position of the running Lua function, as
// luaG_runerror does.
func raise0(L *lua.LState, msg string) {
	f := currentFrame(L)
	prefix := ""
	if !f.isNil() && !f.fn().IsG {
		if line := frameLine(f); line > 0 {
			prefix = f.fn().Proto.SourceName + ":" + strconv.Itoa(line) + ": "
		}
	}
	L.Error(lua.LString(prefix+msg), 0)
}
