package luahost

// Arguments of builtins, checked and converted as Lua 5.1's auxiliary
// library does, with its error messages: "bad argument #2 to 'format'
// (number expected, got table)", prefixed by the position of the Lua code
// that called the builtin.

import (
	"strconv"

	lua "github.com/yuin/gopher-lua"
)

// raise raises msg as luaL_error does: prefixed by the position of the
// function level levels up (1: the caller of the running builtin).
func raise(L *lua.LState, msg string) {
	L.Error(lua.LString(where(L, 1)+msg), 0)
}

// where is luaL_where: "chunk:line: " of the function at level, or ""
// when it is not a Lua function.
func where(L *lua.LState, level int) string {
	dbg, ok := L.GetStack(level)
	if !ok {
		return ""
	}
	f := debugFrame(dbg)
	if f.isNil() || f.fn().IsG {
		return ""
	}
	line := frameLine(f)
	if line <= 0 {
		return ""
	}
	return f.fn().Proto.SourceName + ":" + strconv.Itoa(line) + ": "
}

// frameLine is the current line of a Lua frame.
func frameLine(f frame) int {
	p := f.fn().Proto
	pc := f.pc() - 1
	if pc < 0 || pc >= len(p.DbgSourcePositions) {
		if pc < 0 && len(p.DbgSourcePositions) > 0 {
			return p.DbgSourcePositions[0]
		}
		return -1
	}
	return p.DbgSourcePositions[pc]
}

// calledAs returns how the function running in f was called: its name and
// kind ("global", "local", "method", "field", "upvalue"), or "", "" when
// that is not known (called from Go, or by a tail call).
func calledAs(f frame) (name, kind string) {
	caller, inst, ok := callerInstruction(f)
	if !ok || f.tailCall() > 0 {
		return "", ""
	}
	switch opcode(inst) {
	case lua.OP_CALL, lua.OP_TAILCALL, lua.OP_TFORLOOP:
	default:
		return "", ""
	}
	return registerName(caller.fn().Proto, caller.pc()-1, argA(inst))
}

// registerName names the value in register reg at instruction pc of p, as
// Lua 5.1's getobjname does: a local's name, or what the last instruction
// that set the register read.
func registerName(p *lua.FunctionProto, pc, reg int) (name, kind string) {
	if n, ok := localName(p, reg, pc); ok {
		return n, "local"
	}
	for i := pc - 1; i >= 0; i-- {
		inst := p.Code[i]
		op := opcode(inst)
		if op == lua.OP_JMP {
			continue
		}
		if argA(inst) != reg {
			if op == lua.OP_LOADNIL && argA(inst) < reg && reg <= argB(inst) {
				return "", ""
			}
			continue
		}
		switch op {
		case lua.OP_GETGLOBAL:
			if k, ok := constantString(p, argBx(inst)); ok {
				return k, "global"
			}
		case lua.OP_MOVE:
			if b := argB(inst); b < reg {
				return registerName(p, i, b)
			}
		case lua.OP_GETTABLE, lua.OP_GETTABLEKS:
			return rkName(p, argC(inst)), "field"
		case lua.OP_SELF:
			return rkName(p, argC(inst)), "method"
		case lua.OP_GETUPVAL:
			if b := argB(inst); b < len(p.DbgUpvalues) {
				return p.DbgUpvalues[b], "upvalue"
			}
		}
		return "", ""
	}
	return "", ""
}

// localName is the name of the local in register reg at instruction pc,
// as Lua 5.1's luaF_getlocalname finds it (gopher-lua's LocalName misses
// the locals that become active at pc itself, the parameters at pc 0).
func localName(p *lua.FunctionProto, reg, pc int) (string, bool) {
	for _, l := range p.DbgLocals {
		if l.StartPc > pc {
			break
		}
		if pc < l.EndPc {
			if reg == 0 {
				return l.Name, true
			}
			reg--
		}
	}
	return "", false
}

func constantString(p *lua.FunctionProto, k int) (string, bool) {
	if k < len(p.Constants) {
		if s, ok := p.Constants[k].(lua.LString); ok {
			return string(s), true
		}
	}
	return "", false
}

func rkName(p *lua.FunctionProto, x int) string {
	if x&bitRK != 0 {
		if s, ok := constantString(p, x&^bitRK); ok {
			return s
		}
	}
	return "?"
}

// argError is luaL_argerror: "bad argument #n to 'name' (msg)".
func argError(L *lua.LState, n int, msg string) {
	name, kind := calledAs(currentFrame(L))
	if kind == "method" {
		n--
		if n == 0 {
			raise(L, "calling '"+name+"' on bad self ("+msg+")")
		}
	}
	if name == "" {
		name = "?"
	}
	raise(L, "bad argument #"+strconv.Itoa(n)+" to '"+name+"' ("+msg+")")
}

// typeName is luaL_typename of argument n: "no value" past the arguments.
func typeName(L *lua.LState, n int) string {
	if n > L.GetTop() {
		return "no value"
	}
	return L.Get(n).Type().String()
}

// typeError is luaL_typerror.
func typeError(L *lua.LState, n int, expected string) {
	argError(L, n, expected+" expected, got "+typeName(L, n))
}

// toNumber is lua_tonumber: a number, or a string that converts to one.
func toNumber(v lua.LValue) (float64, bool) {
	switch v := v.(type) {
	case lua.LNumber:
		return float64(v), true
	case lua.LString:
		return str2number(string(v))
	}
	return 0, false
}

// toStringValue is lua_tolstring: a string, or a number as tostring
// writes it.
func toStringValue(v lua.LValue) (string, bool) {
	switch v := v.(type) {
	case lua.LString:
		return string(v), true
	case lua.LNumber:
		return fmtNumber(float64(v)), true
	}
	return "", false
}

func checkAny(L *lua.LState, n int) lua.LValue {
	if n > L.GetTop() {
		argError(L, n, "value expected")
	}
	return L.Get(n)
}

func checkNumber(L *lua.LState, n int) float64 {
	f, ok := toNumber(L.Get(n))
	if !ok {
		typeError(L, n, "number")
	}
	return f
}

func optNumber(L *lua.LState, n int, def float64) float64 {
	if isNoneOrNil(L, n) {
		return def
	}
	return checkNumber(L, n)
}

// checkInteger is luaL_checkinteger: the number truncated to 64 bits.
func checkInteger(L *lua.LState, n int) int64 { return cInt64(checkNumber(L, n)) }

func optInteger(L *lua.LState, n int, def int64) int64 {
	if isNoneOrNil(L, n) {
		return def
	}
	return checkInteger(L, n)
}

// checkInt is luaL_checkint: the integer truncated to a C int.
func checkInt(L *lua.LState, n int) int { return int(int32(checkInteger(L, n))) }

func optInt(L *lua.LState, n int, def int) int {
	if isNoneOrNil(L, n) {
		return def
	}
	return checkInt(L, n)
}

func checkString(L *lua.LState, n int) string {
	s, ok := toStringValue(L.Get(n))
	if !ok {
		typeError(L, n, "string")
	}
	return s
}

func optString(L *lua.LState, n int, def string) string {
	if isNoneOrNil(L, n) {
		return def
	}
	return checkString(L, n)
}

func checkTable(L *lua.LState, n int) *lua.LTable {
	t, ok := L.Get(n).(*lua.LTable)
	if !ok {
		typeError(L, n, "table")
	}
	return t
}

func isNoneOrNil(L *lua.LState, n int) bool {
	return n > L.GetTop() || L.Get(n) == lua.LNil
}
