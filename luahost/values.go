package luahost

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"weak"

	lua "github.com/yuin/gopher-lua"

	"github.com/dlua/dlua/proc"
)

// Copying values between processes
//
// A value leaves a process as a proc.Value (toValue) and enters another
// as a fresh Lua value (fromValue); nothing is shared but Go strings and
// compiled function prototypes, which are immutable. Tables keep their
// shape, cycles and shared subtables included. A Lua function travels as
// its prototype and its upvalues, copied by value; a library function
// travels by name. Metatables are not copied: a message is plain data.

// copyError is a value that cannot be copied; path says where it is.
type copyError struct {
	path []string // innermost first
	what string
}

func (e *copyError) Error() string {
	var b strings.Builder
	for i := len(e.path) - 1; i >= 0; i-- {
		b.WriteString(e.path[i])
	}
	b.WriteString(": cannot send ")
	b.WriteString(e.what)
	return b.String()
}

// maxCopyDepth bounds the nesting of a copied value, so that a hostile
// structure cannot exhaust the Go stack.
const maxCopyDepth = 200

type toCopier struct {
	s *state
	// The first table copied is remembered apart, so that the common
	// message (one flat table) needs no map.
	first    *lua.LTable
	firstOut *proc.Table
	tables   map[*lua.LTable]*proc.Table
	firstFn  *lua.LFunction
	firstFnV *proc.Func
	funcs    map[*lua.LFunction]*proc.Func
	cells    map[*lua.Upvalue]*proc.Cell // variables captured by more than one function
}

// toValue copies v out of the process. root names v in error messages.
func (s *state) toValue(v lua.LValue, root string) (proc.Value, error) {
	c := toCopier{s: s} // on the stack: its maps are made only for nested values
	out, err := c.value(v, 0)
	if err != nil {
		err.path = append(err.path, root)
		return nil, err
	}
	return out, nil
}

func (c *toCopier) value(v lua.LValue, depth int) (proc.Value, *copyError) {
	switch v := v.(type) {
	case lua.LString:
		return string(v), nil
	case lua.LNumber:
		return float64(v), nil
	case *lua.LNilType:
		return nil, nil
	case lua.LBool:
		return bool(v), nil
	case *lua.LTable:
		return c.table(v, depth)
	case *lua.LUserData:
		switch id := v.Value.(type) {
		case proc.PID:
			if v.Metatable == shared.pidMeta {
				return id, nil
			}
		case proc.Ref:
			if v.Metatable == shared.refMeta {
				return id, nil
			}
		}
		return nil, &copyError{what: "a userdata"}
	case *lua.LFunction:
		return c.function(v, depth)
	case *lua.LState:
		return nil, &copyError{what: "a coroutine"}
	default:
		return nil, &copyError{what: "a " + v.Type().String()}
	}
}

func (c *toCopier) table(t *lua.LTable, depth int) (proc.Value, *copyError) {
	if t == c.first {
		return c.firstOut, nil
	}
	if out, ok := c.tables[t]; ok {
		return out, nil
	}
	if depth >= maxCopyDepth {
		return nil, &copyError{what: "a table nested more than " + strconv.Itoa(maxCopyDepth) + " deep"}
	}
	if t.Metatable != lua.LNil {
		materialize(c.s.L, t) // a library stand-in travels as its contents
	}
	out := &proc.Table{}
	if c.first == nil {
		c.first, c.firstOut = t, out
	} else {
		if c.tables == nil {
			c.tables = make(map[*lua.LTable]*proc.Table)
		}
		c.tables[t] = out
	}
	if n := t.Len(); n > 0 {
		out.Array = make([]proc.Value, 0, n)
	}
	var err *copyError
	t.ForEach(func(k, v lua.LValue) {
		if err != nil {
			return
		}
		if n, ok := k.(lua.LNumber); ok && float64(n) == float64(len(out.Array)+1) && len(out.Array) < cap(out.Array) {
			cv, e := c.value(v, depth+1)
			if e != nil {
				e.path = append(e.path, "["+n.String()+"]")
				err = e
				return
			}
			out.Array = append(out.Array, cv)
			return
		}
		ck, e := c.value(k, depth+1)
		if e != nil {
			e.path = append(e.path, "[key "+k.String()+"]")
			err = e
			return
		}
		cv, e := c.value(v, depth+1)
		if e != nil {
			e.path = append(e.path, keyPath(k))
			err = e
			return
		}
		out.Hash = append(out.Hash, proc.Field{Key: ck, Val: cv})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func keyPath(k lua.LValue) string {
	switch k := k.(type) {
	case lua.LString:
		if isIdent(string(k)) {
			return "." + string(k)
		}
		return "[" + strconv.Quote(string(k)) + "]"
	case lua.LNumber:
		return "[" + k.String() + "]"
	default:
		return "[" + k.Type().String() + "]"
	}
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9' {
			continue
		}
		return false
	}
	return true
}

func (c *toCopier) function(f *lua.LFunction, depth int) (proc.Value, *copyError) {
	if f == c.firstFn {
		return c.firstFnV, nil
	}
	if out, ok := c.funcs[f]; ok {
		return out, nil
	}
	if f.IsG {
		if name, ok := shared.fnName[f]; ok {
			return &proc.Func{Name: name}, nil
		}
		return nil, &copyError{what: "a Go function"}
	}
	if depth >= maxCopyDepth {
		return nil, &copyError{what: "a function nested more than " + strconv.Itoa(maxCopyDepth) + " deep"}
	}
	out := &proc.Func{Code: f.Proto}
	if c.firstFn == nil {
		c.firstFn, c.firstFnV = f, out
	} else {
		if c.funcs == nil {
			c.funcs = make(map[*lua.LFunction]*proc.Func)
		}
		c.funcs[f] = out
	}
	if len(f.Upvalues) > 0 {
		out.Upvalues = make([]*proc.Cell, len(f.Upvalues))
		cells := make([]proc.Cell, len(f.Upvalues)) // one allocation for all
		for i, uv := range f.Upvalues {
			if uv == nil {
				out.Upvalues[i] = &cells[i]
				continue
			}
			if cell, ok := c.cells[uv]; ok {
				out.Upvalues[i] = cell
				continue
			}
			out.Upvalues[i] = &cells[i]
			if c.cells == nil {
				c.cells = make(map[*lua.Upvalue]*proc.Cell)
			}
			c.cells[uv] = &cells[i]
			v, err := c.value(uv.Value(), depth+1)
			if err != nil {
				name := "?"
				if i < len(f.Proto.DbgUpvalues) {
					name = f.Proto.DbgUpvalues[i]
				}
				err.path = append(err.path, " upvalue "+name)
				return nil, err
			}
			cells[i].V = v
		}
	}
	return out, nil
}

type fromCopier struct {
	s        *state
	first    *proc.Table
	firstOut *lua.LTable
	tables   map[*proc.Table]*lua.LTable
	firstFn  *proc.Func
	firstFnV *lua.LFunction
	funcs    map[*proc.Func]*lua.LFunction
	cells    map[*proc.Cell]*lua.Upvalue
}

// fromValue makes a Lua value of this process from v.
func (s *state) fromValue(v proc.Value) lua.LValue {
	switch v.(type) {
	case *proc.Table, *proc.Func:
		c := fromCopier{s: s}
		return c.value(v)
	}
	return s.scalar(v)
}

func (c *fromCopier) value(v proc.Value) lua.LValue {
	switch v := v.(type) {
	case *proc.Table:
		return c.table(v)
	case *proc.Func:
		return c.function(v)
	}
	return c.s.scalar(v)
}

// scalar makes a Lua value of a Value that holds no other values.
func (s *state) scalar(v proc.Value) lua.LValue {
	switch v := v.(type) {
	case nil:
		return lua.LNil
	case string:
		return lua.LString(v)
	case float64:
		return lua.LNumber(v)
	case bool:
		return lua.LBool(v)
	case proc.PID:
		return s.pidValue(v)
	case proc.Ref:
		return s.refValue(v)
	default:
		panic(fmt.Sprintf("luahost: unexpected value %T", v))
	}
}

func (c *fromCopier) table(t *proc.Table) *lua.LTable {
	if t == c.first {
		return c.firstOut
	}
	if out, ok := c.tables[t]; ok {
		return out
	}
	out := c.s.L.CreateTable(len(t.Array), len(t.Hash))
	if c.first == nil {
		c.first, c.firstOut = t, out
	} else {
		if c.tables == nil {
			c.tables = make(map[*proc.Table]*lua.LTable)
		}
		c.tables[t] = out
	}
	for i, v := range t.Array {
		out.RawSetInt(i+1, c.value(v))
	}
	for _, f := range t.Hash {
		if k, ok := f.Key.(string); ok {
			out.RawSetString(k, c.value(f.Val))
		} else {
			out.RawSet(c.value(f.Key), c.value(f.Val))
		}
	}
	return out
}

func (c *fromCopier) function(f *proc.Func) lua.LValue {
	if f == c.firstFn {
		return c.firstFnV
	}
	if out, ok := c.funcs[f]; ok {
		return out
	}
	if f.Name != "" {
		if fn, ok := shared.byName[f.Name]; ok {
			return fn
		}
		return lua.LNil
	}
	var proto *lua.FunctionProto
	switch code := f.Code.(type) {
	case *lua.FunctionProto:
		proto = code
	case *remoteCode:
		p, err := c.s.remoteProto(code, len(f.Upvalues))
		if err != nil {
			c.s.L.RaiseError("%s", err.Error())
		}
		proto = p
	default:
		return lua.LNil
	}
	out := &lua.LFunction{Proto: proto, Env: c.s.globals}
	if c.firstFn == nil {
		c.firstFn, c.firstFnV = f, out
	} else {
		if c.funcs == nil {
			c.funcs = make(map[*proc.Func]*lua.LFunction)
		}
		c.funcs[f] = out
	}
	out.Upvalues = make([]*lua.Upvalue, int(proto.NumUpvalues))
	uvs := make([]lua.Upvalue, len(out.Upvalues)) // one allocation for all
	for i := range out.Upvalues {
		// An Upvalue with no registry is a closed one.
		uv := &uvs[i]
		out.Upvalues[i] = uv
		if i >= len(f.Upvalues) || f.Upvalues[i] == nil {
			uv.SetValue(lua.LNil)
			continue
		}
		cell := f.Upvalues[i]
		if shared, ok := c.cells[cell]; ok {
			out.Upvalues[i] = shared
			continue
		}
		if c.cells == nil {
			c.cells = make(map[*proc.Cell]*lua.Upvalue)
		}
		c.cells[cell] = uv
		uv.SetValue(c.value(cell.V))
	}
	return out
}

// pidValue returns the process's userdata for pid: always the same one
// while the process holds it, so that a pid is the same table key however
// often it arrives.
func (s *state) pidValue(pid proc.PID) *lua.LUserData {
	return s.pids.get(pid, shared.pidMeta)
}

func (s *state) refValue(ref proc.Ref) *lua.LUserData {
	return s.refs.get(ref, shared.refMeta)
}

// intern maps pids (or refs) to the userdata that stand for them in one
// process. It holds them weakly: a pid the process no longer holds may be
// given a new userdata, which nothing can compare with the old one. Most
// processes see a handful of pids, kept in a small array; past that, a map.
type intern[K comparable] struct {
	few   [4]internEntry[K]
	nfew  int
	many  map[K]weak.Pointer[lua.LUserData]
	sweep int // map size at which dead entries are next swept
}

type internEntry[K comparable] struct {
	key K
	ud  weak.Pointer[lua.LUserData]
}

func (in *intern[K]) get(key K, meta *lua.LTable) *lua.LUserData {
	for i := range in.nfew {
		if e := &in.few[i]; e.key == key {
			if ud := e.ud.Value(); ud != nil {
				return ud
			}
			ud := newHandle(key, meta)
			e.ud = weak.Make(ud)
			return ud
		}
	}
	if wp, ok := in.many[key]; ok {
		if ud := wp.Value(); ud != nil {
			return ud
		}
	}
	ud := newHandle(key, meta)
	wp := weak.Make(ud)
	if in.nfew < len(in.few) {
		in.few[in.nfew] = internEntry[K]{key, wp}
		in.nfew++
		return ud
	}
	if in.many == nil {
		in.many = make(map[K]weak.Pointer[lua.LUserData])
	}
	in.many[key] = wp
	if len(in.many) > in.sweep {
		for k, wp := range in.many {
			if wp.Value() == nil {
				delete(in.many, k)
			}
		}
		in.sweep = 2*len(in.many) + 64
	}
	return ud
}

func newHandle(v any, meta *lua.LTable) *lua.LUserData {
	return &lua.LUserData{Value: v, Metatable: meta, Env: unreachableEnv}
}

func pidToString(L *lua.LState) int {
	ud := L.CheckUserData(1)
	L.Push(lua.LString(fmt.Sprint(ud.Value)))
	return 1
}

func pidEq(L *lua.LState) int {
	a, b := L.CheckUserData(1), L.CheckUserData(2)
	L.Push(lua.LBool(a.Value == b.Value))
	return 1
}

// checkPID returns argument n as a pid.
func checkPID(L *lua.LState, n int) proc.PID {
	if ud, ok := L.Get(n).(*lua.LUserData); ok && ud.Metatable == shared.pidMeta {
		return ud.Value.(proc.PID)
	}
	L.ArgError(n, "pid expected, got "+L.Get(n).Type().String())
	return proc.PID{}
}

// checkRef returns argument n as a ref.
func checkRef(L *lua.LState, n int) proc.Ref {
	if ud, ok := L.Get(n).(*lua.LUserData); ok && ud.Metatable == shared.refMeta {
		return ud.Value.(proc.Ref)
	}
	L.ArgError(n, "ref expected, got "+L.Get(n).Type().String())
	return proc.Ref{}
}

// FormatValue prints a Value as Lua source would write it, for error
// reports and the console.
func FormatValue(v proc.Value) string {
	var b strings.Builder
	formatValue(&b, v, map[*proc.Table]bool{})
	return b.String()
}

func formatValue(b *strings.Builder, v proc.Value, seen map[*proc.Table]bool) {
	switch v := v.(type) {
	case nil:
		b.WriteString("nil")
	case string:
		b.WriteString(v)
	case float64:
		b.WriteString(lua.LNumber(v).String())
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case proc.PID:
		b.WriteString(v.String())
	case proc.Ref:
		b.WriteString(v.String())
	case *proc.Func:
		if v.Name != "" {
			b.WriteString("function: builtin " + v.Name)
		} else {
			b.WriteString("function")
		}
	case *proc.Table:
		if seen[v] {
			b.WriteString("{...}")
			return
		}
		seen[v] = true
		defer delete(seen, v)
		b.WriteByte('{')
		for i, e := range v.Array {
			if i > 0 {
				b.WriteString(", ")
			}
			formatQuoted(b, e, seen)
		}
		fields := append([]proc.Field(nil), v.Hash...)
		sort.SliceStable(fields, func(i, j int) bool {
			return fmt.Sprint(fields[i].Key) < fmt.Sprint(fields[j].Key)
		})
		for i, f := range fields {
			if i > 0 || len(v.Array) > 0 {
				b.WriteString(", ")
			}
			if k, ok := f.Key.(string); ok && isIdent(k) {
				b.WriteString(k)
			} else {
				b.WriteByte('[')
				formatQuoted(b, f.Key, seen)
				b.WriteByte(']')
			}
			b.WriteString("=")
			formatQuoted(b, f.Val, seen)
		}
		b.WriteByte('}')
	default:
		fmt.Fprint(b, v)
	}
}

func formatQuoted(b *strings.Builder, v proc.Value, seen map[*proc.Table]bool) {
	if s, ok := v.(string); ok {
		b.WriteString(strconv.Quote(s))
		return
	}
	formatValue(b, v, seen)
}
