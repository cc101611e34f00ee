package luahost

// Reading gopher-lua's call frames.
//
// Several Lua 5.1 behaviours need to know more of a call than gopher-lua
// exports: which instruction called the running function (for function
// names in error messages), whether a coroutine may yield (no Go call in
// between), which registers belong to a call (to close its upvalues when
// pcall catches an error). The fields are read at offsets found by name
// with reflect and checked when the package starts, as knobs.go does: a
// gopher-lua release that changes them fails loudly.

import (
	"reflect"
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

var (
	offFrameParent    uintptr // callFrame.Parent (*callFrame)
	offFramePc        uintptr // callFrame.Pc (int)
	offFrameLocalBase uintptr // callFrame.LocalBase (int)
	offFrameTailCall  uintptr // callFrame.TailCall (int)
	offDebugFrame     uintptr // Debug.frame (*callFrame)
	offHasErrorFunc   uintptr // LState.hasErrorFunc (bool)
	offMainLoop       uintptr // LState.mainLoop (func(*LState, *callFrame))
)

func init() {
	ls := reflect.TypeFor[lua.LState]()
	cf := field(ls, "currentFrame", reflect.Pointer)
	frame := cf.Type.Elem()
	parent := field(frame, "Parent", reflect.Pointer)
	if parent.Type.Elem() != frame {
		panic("luahost: gopher-lua's callFrame.Parent is not *callFrame")
	}
	offFrameParent = parent.Offset
	offFramePc = field(frame, "Pc", reflect.Int).Offset
	offFrameLocalBase = field(frame, "LocalBase", reflect.Int).Offset
	offFrameTailCall = field(frame, "TailCall", reflect.Int).Offset
	df := field(reflect.TypeFor[lua.Debug](), "frame", reflect.Pointer)
	if df.Type.Elem() != frame {
		panic("luahost: gopher-lua's Debug.frame is not *callFrame")
	}
	offDebugFrame = df.Offset
	offHasErrorFunc = field(ls, "hasErrorFunc", reflect.Bool).Offset
	ml := field(ls, "mainLoop", reflect.Func)
	if ml.Type.NumIn() != 2 || ml.Type.In(0) != reflect.TypeFor[*lua.LState]() || ml.Type.In(1) != cf.Type || ml.Type.NumOut() != 0 {
		panic("luahost: gopher-lua's LState.mainLoop is not func(*LState, *callFrame)")
	}
	offMainLoop = ml.Offset
}

// vmLoop is gopher-lua's mainLoop: it runs L's calls from baseframe on.
type vmLoop func(L *lua.LState, baseframe unsafe.Pointer)

// wrapLoop makes L run its VM loop through wrap, which gets the loop
// gopher-lua chose (with or without a context). gopher-lua runs the loop
// once per call from Go into Lua: a builtin's callback, a metamethod the
// VM calls, a coroutine's resume.
func wrapLoop(L *lua.LState, wrap func(loop vmLoop) vmLoop) {
	p := (*vmLoop)(unsafe.Add(unsafe.Pointer(L), offMainLoop))
	*p = wrap(*p)
}

// frame is a gopher-lua *callFrame; nil is no frame.
type frame struct{ p unsafe.Pointer }

func (f frame) isNil() bool { return f.p == nil }

func currentFrame(L *lua.LState) frame {
	return frame{*(*unsafe.Pointer)(unsafe.Add(unsafe.Pointer(L), offCurrentFrame))}
}

// debugFrame is the frame a lua.Debug from GetStack describes.
func debugFrame(d *lua.Debug) frame {
	return frame{*(*unsafe.Pointer)(unsafe.Add(unsafe.Pointer(d), offDebugFrame))}
}

func (f frame) fn() *lua.LFunction {
	return *(**lua.LFunction)(unsafe.Add(f.p, offFrameFn))
}

func (f frame) parent() frame {
	return frame{*(*unsafe.Pointer)(unsafe.Add(f.p, offFrameParent))}
}

func (f frame) pc() int        { return *(*int)(unsafe.Add(f.p, offFramePc)) }
func (f frame) setPc(pc int)   { *(*int)(unsafe.Add(f.p, offFramePc)) = pc }
func (f frame) localBase() int { return *(*int)(unsafe.Add(f.p, offFrameLocalBase)) }
func (f frame) tailCall() int  { return *(*int)(unsafe.Add(f.p, offFrameTailCall)) }

// hasErrorFunc reads and sets LState.hasErrorFunc: while it is false,
// gopher-lua closes every open upvalue of the thread when an error is
// raised.
func hasErrorFunc(L *lua.LState) *bool {
	return (*bool)(unsafe.Add(unsafe.Pointer(L), offHasErrorFunc))
}

//go:linkname closeUpvalues github.com/yuin/gopher-lua.(*LState).closeUpvalues
func closeUpvalues(L *lua.LState, idx int)

// Instruction opcodes, as gopher-lua encodes them.
func opcode(inst uint32) int { return int(inst >> 26) }

// callerInstruction returns the instruction of f's caller that is calling
// f, if the caller is a Lua function.
func callerInstruction(f frame) (caller frame, inst uint32, ok bool) {
	if f.isNil() {
		return frame{}, 0, false
	}
	p := f.parent()
	if p.isNil() || p.fn().IsG {
		return p, 0, false
	}
	pc := p.pc() - 1
	code := p.fn().Proto.Code
	if pc < 0 || pc >= len(code) {
		return p, 0, false
	}
	return p, code[pc], true
}
