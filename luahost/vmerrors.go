package luahost

// Lua 5.1's messages for the errors gopher-lua's VM raises in its own
// words. The VM's hot paths (calls, indexing, comparisons) are left
// alone; the message is rewritten where the error is caught (pcall,
// xpcall, the end of a process), before the stack is unwound, while the
// instruction that failed and its registers can still be read:
//
//	attempt to call a non-function object      -> attempt to call global 'f' (a nil value)
//	attempt to index a non-table object(nil)... -> attempt to index local 't' (a nil value)
//	attempt to compare table with table        -> attempt to compare two table values

import (
	"strings"
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

// vmError returns obj, or Lua 5.1's message for it if it is one of
// gopher-lua's VM errors. L is in the error handler, called by the frame
// that raised.
func vmError(L *lua.LState, obj lua.LValue) lua.LValue {
	msg, ok := obj.(lua.LString)
	if !ok {
		return obj
	}
	i := strings.Index(string(msg), "attempt to ")
	if i < 0 {
		return obj
	}
	prefix, text := string(msg[:i]), string(msg[i:])
	if a, b, ok := strings.Cut(strings.TrimPrefix(text, "attempt to compare "), " with "); ok &&
		strings.HasPrefix(text, "attempt to compare ") && a == b {
		return lua.LString(prefix + "attempt to compare two " + a + " values")
	}
	f := currentFrame(L)
	if !f.isNil() {
		f = f.parent()
	}
	if f.isNil() || f.fn().IsG || f.pc() < 1 {
		return obj
	}
	p := f.fn().Proto
	pc := f.pc() - 1
	inst := p.Code[pc]
	var reg int
	var what string
	switch {
	case text == "attempt to call a non-function object":
		switch opcode(inst) {
		case lua.OP_CALL, lua.OP_TAILCALL:
			reg, what = argA(inst), "call"
		default:
			return obj
		}
	case strings.HasPrefix(text, "attempt to index a non-table object("):
		switch opcode(inst) {
		case lua.OP_GETTABLE, lua.OP_GETTABLEKS, lua.OP_SELF:
			reg, what = argB(inst), "index"
		case lua.OP_SETTABLE, lua.OP_SETTABLEKS:
			reg, what = argA(inst), "index"
		default:
			return obj
		}
	default:
		return obj
	}
	v := frameRegister(L, f, reg)
	desc := "a " + v.Type().String() + " value"
	if name, kind := registerName(p, pc, reg); name != "" {
		desc = kind + " '" + name + "' (" + desc + ")"
	}
	return lua.LString(prefix + "attempt to " + what + " " + desc)
}

// frameRegister is register r of the Lua call f of L.
func frameRegister(L *lua.LState, f frame, r int) lua.LValue {
	reg := *(*unsafe.Pointer)(unsafe.Add(unsafe.Pointer(L), offStateReg))
	arr := *(*[]lua.LValue)(unsafe.Add(reg, offRegistryArr))
	if i := f.localBase() + r; i < len(arr) && arr[i] != nil {
		return arr[i]
	}
	return lua.LNil
}
