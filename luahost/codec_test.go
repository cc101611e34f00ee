package luahost

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// codecSnippets are chunks that the round-trip tests compile, send through
// the codec and run on both sides. Each returns values or raises an error.
var codecSnippets = []string{
	// constants and arithmetic
	`return 1, -2.5, 0, -0, 1e300, 2^53, 2^53+2, 0/0 ~= 0/0, 1/0, -1/0, "s", "", true, false, nil`,
	`local a, b = 7, 3 return a+b, a-b, a*b, a/b, a%b, a^b, -a, #"four", not a`,
	`return "a" .. 1 .. "b" .. 2.5, ("x"):rep(3), #("\0\1\2\255")`,
	`local t = {} for i = 1, 300 do t[i] = "k" .. i end return #t, t[1], t[300]`,
	// closures and upvalues
	`local function counter() local n = 0 return function() n = n + 1 return n end end
	 local c1, c2 = counter(), counter()
	 c1() c1() c2()
	 return c1(), c2()`,
	`local fs = {}
	 for i = 1, 5 do local j = i * 10 fs[i] = function() return i + j end end
	 local s = 0 for _, f in ipairs(fs) do s = s + f() end return s`,
	`local x = 1
	 local function a() return x end
	 local function b() x = x + 1 return a() end
	 return b(), b(), a()`,
	`local function outer() local u = 5 return function() return function() u = u * 2 return u end end end
	 local f = outer()()
	 return f(), f()`,
	// varargs
	`local function f(...) return select('#', ...), ... end return f(1, nil, 3, nil)`,
	`local function g(a, ...) local t = {...} return a, #t, unpack(t) end return g(1, 2, 3)`,
	`local function h(...) return ... end return h(h(1, 2), h(3, 4))`,
	`local function k(...) local a, b, c = ... return c, b, a end return k(1, 2)`,
	`local function v(...) return {n = select('#', ...), ...} end local t = v(1, 2, 3) return t.n, t[3]`,
	`local function old(...) return arg and arg.n end return old(1, 2, 3)`,
	// tables, methods, metatables
	`local t = {x = 1, y = {z = "deep"}, [10] = "ten", "a", "b"} return t.x, t.y.z, t[10], t[1], t[2], #t`,
	`local Account = {} Account.__index = Account
	 function Account.new(b) return setmetatable({balance = b}, Account) end
	 function Account:deposit(v) self.balance = self.balance + v return self end
	 local a = Account.new(10) a:deposit(5):deposit(2) return a.balance`,
	`local mt = {__add = function(a, b) return a.v + b.v end, __concat = function(a, b) return "cat" end,
	            __index = function(t, k) return k .. "!" end, __call = function(self, x) return x * 2 end,
	            __eq = function() return true end, __lt = function() return true end, __le = function() return false end,
	            __unm = function() return "neg" end, __len = function() return 42 end}
	 local a, b = setmetatable({v = 1}, mt), setmetatable({v = 2}, mt)
	 return a + b, a .. b, a.foo, a(21), a == b, a < b, a <= b, -a`,
	// loops and control flow
	`local s = 0 for i = 10, 1, -2 do s = s + i end
	 local w = 0 while w < 100 do w = w * 2 + 1 end
	 local r = 0 repeat r = r + 1 until r >= 7
	 return s, w, r`,
	`local t = {a = 1, b = 2, c = 3} local keys = {}
	 for k, v in pairs(t) do keys[#keys + 1] = k .. v end table.sort(keys)
	 return table.concat(keys, ",")`,
	`local n = 0 for i = 1, 10 do if i % 2 == 0 then n = n + i elseif i == 5 then n = n - 100 else n = n + 1 end end return n`,
	`local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end return fib(20)`,
	`local function loop(n, acc) if n == 0 then return acc end return loop(n - 1, acc + n) end return loop(1000, 0)`,
	`local a, b = nil, false return a or "x", b and "y", a == nil and 1 or 2, (a or b) == false`,
	`for i = 1, 3 do goto continue ::continue:: end return "goto ok"`,
	`local i = 0 while true do i = i + 1 if i > 5 then break end end return i`,
	`local r = {} for _, v in ipairs({3, 1, 2}) do local x = v r[#r + 1] = function() return x end end return r[1]() + r[2]() * 10 + r[3]() * 100`,
	`local t = {} for i = 1, 60 do t[i] = i end local u = {unpack(t)} return #u, u[60]`,
	// globals, strings, big constant tables
	`G1 = 5 G2 = G1 * 2 return G2, type(print), string.format("%5.2f|%s", 3.14159, "x")`,
	`return ("%d"):format(42), string.upper("abc"), ("hello"):sub(2, 3), tostring(nil)`,
	// errors with line numbers
	"local x = 1\nlocal y = nil\nreturn x + y",
	"local t = nil\n\n\nreturn t.field",
	"error('boom')",
	"local function f()\n  error('inner', 1)\nend\nlocal function g() f() end\ng()",
	"local function f(n) if n == 0 then local z = nil; return z() end return f(n - 1) end\nreturn f(3)",
	"return #nil",
	"local s = 'a' .. {}",
	"error({code = 1})",
	"local ok, err = pcall(function()\n error('caught')\nend)\nreturn ok, err",
}

// bigConstants makes a chunk with more than 256 constants, so that string
// keys are loaded into registers (GETTABLEKS with a register key).
func bigConstants() string {
	var b strings.Builder
	b.WriteString("local t = {}\n")
	for i := range 300 {
		fmt.Fprintf(&b, "t.key%d = %d.5\n", i, i)
	}
	b.WriteString("local s = 0\n")
	for i := 250; i < 300; i++ {
		fmt.Fprintf(&b, "s = s + t.key%d\n", i)
	}
	b.WriteString("local o = {m = function(self) return self end}\n")
	b.WriteString("o.key299 = function(self, x) return x end\n")
	b.WriteString("return s, o:key299(7), t.key0")
	return b.String()
}

func compileChunk(t testing.TB, src, name string) *lua.FunctionProto {
	t.Helper()
	chunk, err := parse.Parse(strings.NewReader(src), name)
	if err != nil {
		t.Fatalf("%s: parse: %v", name, err)
	}
	p, err := lua.Compile(chunk, name)
	if err != nil {
		t.Fatalf("%s: compile: %v", name, err)
	}
	return p
}

func roundTrip(t testing.TB, p *lua.FunctionProto) *lua.FunctionProto {
	t.Helper()
	b, err := Codec{}.MarshalCode(p)
	if err != nil {
		t.Fatalf("MarshalCode: %v", err)
	}
	code, err := Codec{}.UnmarshalCode(b)
	if err != nil {
		t.Fatalf("UnmarshalCode: %v", err)
	}
	q := code.(*lua.FunctionProto)
	if diff := protoDiff(p, q, "function"); diff != "" {
		t.Fatalf("decoded prototype differs: %s", diff)
	}
	return q
}

// stringConstants reads a prototype's unexported stringConstants.
func stringConstants(p *lua.FunctionProto) []string {
	v := reflect.ValueOf(p).Elem().FieldByName("stringConstants")
	out := make([]string, v.Len())
	for i := range out {
		out[i] = v.Index(i).String()
	}
	return out
}

// protoDiff compares every field of two prototypes, the unexported
// stringConstants too, and describes the first difference.
func protoDiff(p, q *lua.FunctionProto, path string) string {
	eq := func(a, b any) bool {
		va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
		if va.Kind() == reflect.Slice && va.Len() == 0 && vb.Len() == 0 {
			return true
		}
		return reflect.DeepEqual(a, b)
	}
	fields := []struct {
		name string
		a, b any
	}{
		{"SourceName", p.SourceName, q.SourceName},
		{"LineDefined", p.LineDefined, q.LineDefined},
		{"LastLineDefined", p.LastLineDefined, q.LastLineDefined},
		{"NumUpvalues", p.NumUpvalues, q.NumUpvalues},
		{"NumParameters", p.NumParameters, q.NumParameters},
		{"IsVarArg", p.IsVarArg, q.IsVarArg},
		{"NumUsedRegisters", p.NumUsedRegisters, q.NumUsedRegisters},
		{"Code", p.Code, q.Code},
		{"DbgSourcePositions", p.DbgSourcePositions, q.DbgSourcePositions},
		{"DbgLocals", p.DbgLocals, q.DbgLocals},
		{"DbgCalls", p.DbgCalls, q.DbgCalls},
		{"DbgUpvalues", p.DbgUpvalues, q.DbgUpvalues},
		{"stringConstants", stringConstants(p), stringConstants(q)},
	}
	for _, f := range fields {
		if !eq(f.a, f.b) {
			return fmt.Sprintf("%s.%s: %v != %v", path, f.name, f.a, f.b)
		}
	}
	if len(p.Constants) != len(q.Constants) {
		return fmt.Sprintf("%s: %d constants != %d", path, len(p.Constants), len(q.Constants))
	}
	for i, k := range p.Constants {
		k2 := q.Constants[i]
		same := k == k2
		if n, ok := k.(lua.LNumber); ok {
			n2, ok2 := k2.(lua.LNumber)
			same = ok2 && math.Float64bits(float64(n)) == math.Float64bits(float64(n2))
		}
		if !same {
			return fmt.Sprintf("%s: constant %d: %#v != %#v", path, i, k, k2)
		}
	}
	if len(p.FunctionPrototypes) != len(q.FunctionPrototypes) {
		return fmt.Sprintf("%s: %d functions != %d", path, len(p.FunctionPrototypes), len(q.FunctionPrototypes))
	}
	for i := range p.FunctionPrototypes {
		if d := protoDiff(p.FunctionPrototypes[i], q.FunctionPrototypes[i], fmt.Sprintf("%s.%d", path, i)); d != "" {
			return d
		}
	}
	return ""
}

// runProto runs p as a chunk in a fresh state and describes what it did:
// its printed output, its results, or its error with the traceback.
func runProto(p *lua.FunctionProto) string {
	L := lua.NewState()
	defer L.Close()
	var out strings.Builder
	L.SetGlobal("print", L.NewFunction(func(L *lua.LState) int {
		for i := 1; i <= L.GetTop(); i++ {
			if i > 1 {
				out.WriteByte('\t')
			}
			out.WriteString(L.ToStringMeta(L.Get(i)).String())
		}
		out.WriteByte('\n')
		return 0
	}))
	L.Push(L.NewFunctionFromProto(p))
	err := L.PCall(0, lua.MultRet, nil)
	res := out.String()
	if err != nil {
		if ae, ok := err.(*lua.ApiError); ok {
			return res + "error: " + describe(ae.Object, 0) + "\n" + ae.StackTrace
		}
		return res + "error: " + err.Error()
	}
	for i := 1; i <= L.GetTop(); i++ {
		res += "\n" + describe(L.Get(i), 0)
	}
	return res
}

func describe(v lua.LValue, depth int) string {
	switch v := v.(type) {
	case *lua.LTable:
		if depth > 3 {
			return "{...}"
		}
		var parts []string
		v.ForEach(func(k, x lua.LValue) {
			parts = append(parts, describe(k, depth+1)+"="+describe(x, depth+1))
		})
		sort.Strings(parts)
		return "{" + strings.Join(parts, ",") + "}"
	case *lua.LFunction:
		return "function"
	case lua.LString:
		return fmt.Sprintf("%q", string(v))
	case lua.LNumber:
		return fmt.Sprintf("%v", float64(v))
	default:
		return v.String()
	}
}

func TestCodecRoundTrip(t *testing.T) {
	srcs := append([]string{bigConstants()}, codecSnippets...)
	for i, src := range srcs {
		name := fmt.Sprintf("snip%d.lua", i)
		p := compileChunk(t, src, name)
		q := roundTrip(t, p)
		want, got := runProto(p), runProto(q)
		if want != got {
			t.Errorf("%s: original and decoded differ\nsource:\n%s\noriginal:\n%s\ndecoded:\n%s", name, src, want, got)
		}
	}
}

// TestCodecErrorLines checks that errors of decoded code name the file and
// line of the source.
func TestCodecErrorLines(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"local x = 1\nlocal y = nil\nreturn x + y", "lines.lua:3:"},
		{"local t = nil\n\n\nreturn t.field", "lines.lua:4:"},
		{"local function f()\n  error('inner')\nend\n\nf()", "lines.lua:2: inner"},
		{"local function f()\n  error('inner')\nend\n\nf()", "lines.lua:5: in main chunk"},
		{"\n\nlocal function deep()\n return nil + 1\nend\nreturn (function() return deep() end)()", "lines.lua:4:"},
	} {
		p := roundTrip(t, compileChunk(t, c.src, "lines.lua"))
		got := runProto(p)
		if !strings.Contains(got, c.want) {
			t.Errorf("%q: got %q, want it to contain %q", c.src, got, c.want)
		}
	}
}

// TestCodecClosure sends a closure that captured variables, as values.go
// does: its prototype through the codec, its upvalues copied, the shared
// ones shared.
func TestCodecClosure(t *testing.T) {
	src := `local count, name, step = 0, "ctr", {by = 2}
	local function get() return name .. ":" .. count end
	local function inc(n) count = count + (n or step.by) return get() end
	return inc, get`
	A := lua.NewState()
	defer A.Close()
	fn, err := A.Load(strings.NewReader(src), "closure.lua")
	if err != nil {
		t.Fatal(err)
	}
	A.Push(fn)
	if err := A.PCall(0, 2, nil); err != nil {
		t.Fatal(err)
	}
	inc, get := A.Get(-2).(*lua.LFunction), A.Get(-1).(*lua.LFunction)
	A.Pop(2)

	B := lua.NewState()
	defer B.Close()
	cells := map[*lua.Upvalue]*lua.Upvalue{}
	send := func(f *lua.LFunction) *lua.LFunction {
		out := &lua.LFunction{Proto: roundTrip(t, f.Proto), Env: B.G.Global}
		for _, uv := range f.Upvalues {
			c, ok := cells[uv]
			if !ok {
				c = &lua.Upvalue{}
				c.SetValue(copyValue(B, uv.Value()))
				cells[uv] = c
			}
			out.Upvalues = append(out.Upvalues, c)
		}
		return out
	}
	inc2, get2 := send(inc), send(get)
	call := func(L *lua.LState, f *lua.LFunction, args ...lua.LValue) string {
		L.Push(f)
		for _, a := range args {
			L.Push(a)
		}
		if err := L.PCall(len(args), 1, nil); err != nil {
			return "error: " + err.Error()
		}
		defer L.Pop(1)
		return L.Get(-1).String()
	}
	for _, args := range [][]lua.LValue{nil, {lua.LNumber(5)}, nil, {lua.LString("x")}} {
		want, got := call(A, inc, args...), call(B, inc2, args...)
		if want != got {
			t.Errorf("inc(%v): original %q, decoded %q", args, want, got)
		}
	}
	if want, got := call(A, get), call(B, get2); want != got || want != "ctr:9" {
		t.Errorf("get(): original %q, decoded %q, want ctr:9 (shared count)", want, got)
	}
	if got := call(B, inc2, lua.LString("x")); !strings.Contains(got, "closure.lua:3:") {
		t.Errorf("error of the decoded closure: %q, want closure.lua:3:", got)
	}
}

func copyValue(L *lua.LState, v lua.LValue) lua.LValue {
	if t, ok := v.(*lua.LTable); ok {
		out := L.NewTable()
		t.ForEach(func(k, v lua.LValue) { out.RawSet(copyValue(L, k), copyValue(L, v)) })
		return out
	}
	return v
}

// luaCorpus returns the Lua files of this repository and gopher-lua's own
// test scripts.
func luaCorpus(t testing.TB) []string {
	var files []string
	root, _ := filepath.Abs("..")
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".lua") {
			files = append(files, path)
		}
		return nil
	})
	if dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/yuin/gopher-lua").Output(); err == nil {
		d := strings.TrimSpace(string(dir))
		for _, sub := range []string{"_glua-tests", "_lua5.1-tests"} {
			m, _ := filepath.Glob(filepath.Join(d, sub, "*.lua"))
			files = append(files, m...)
		}
	}
	return files
}

// TestCodecCorpus sends every Lua file it can find through the codec: the
// verifier must accept all that gopher-lua compiles, and the decoded
// prototypes must equal the originals.
func TestCodecCorpus(t *testing.T) {
	files := luaCorpus(t)
	if len(files) < 20 {
		t.Fatalf("only %d Lua files found", len(files))
	}
	n, srcBytes, codeBytes := 0, 0, 0
	minRatio, maxRatio := math.Inf(1), 0.0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		chunk, err := parse.Parse(bytes.NewReader(src), f)
		if err != nil {
			continue // not Lua 5.1 (some test files are meant to fail)
		}
		p, err := lua.Compile(chunk, f)
		if err != nil {
			continue
		}
		b, err := Codec{}.MarshalCode(p)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		q, size, err := unmarshalProto(b)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if d := protoDiff(p, q, "function"); d != "" {
			t.Errorf("%s: %s", f, d)
		}
		n++
		ratio := float64(size) / float64(len(b))
		minRatio, maxRatio = min(minRatio, ratio), max(maxRatio, ratio)
		srcBytes += len(src)
		codeBytes += len(b)
	}
	t.Logf("%d of %d files compiled, sent and verified; %d bytes of source, %d of code; decoded/encoded %.1f to %.1f",
		n, len(files), srcBytes, codeBytes, minRatio, maxRatio)
}

// TestCodecGluaScripts runs gopher-lua's own test scripts, original and
// decoded, and compares what they print and how they end.
func TestCodecGluaScripts(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/yuin/gopher-lua").Output()
	if err != nil {
		t.Skip("gopher-lua's sources not found:", err)
	}
	root := strings.TrimSpace(string(out))
	for _, name := range []string{
		"_glua-tests/base.lua", "_glua-tests/vm.lua", "_glua-tests/table.lua", "_glua-tests/strings.lua",
		"_glua-tests/math.lua", "_glua-tests/goto.lua", "_glua-tests/issues.lua", "_glua-tests/coroutine.lua",
		"_glua-tests/db.lua", "_lua5.1-tests/calls.lua", "_lua5.1-tests/closure.lua",
		"_lua5.1-tests/constructs.lua", "_lua5.1-tests/events.lua", "_lua5.1-tests/literals.lua",
		"_lua5.1-tests/locals.lua", "_lua5.1-tests/math.lua", "_lua5.1-tests/strings.lua",
		"_lua5.1-tests/vararg.lua", "_lua5.1-tests/pm.lua", "_lua5.1-tests/nextvar.lua",
	} {
		src, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Skip(err)
		}
		p := compileChunk(t, string(src), name)
		q := roundTrip(t, p)
		want, got := runProto(p), runProto(q)
		if want != got {
			t.Errorf("%s: original and decoded differ\noriginal:\n%.2000s\ndecoded:\n%.2000s", name, want, got)
		}
	}
}

// Hand-made prototypes, for the hostile cases.

func iABC(op, a, b, c int) uint32 { return uint32(op)<<26 | uint32(a)<<18 | uint32(c)<<9 | uint32(b) }
func iABx(op, a, bx int) uint32   { return uint32(op)<<26 | uint32(a)<<18 | uint32(bx) }
func iAsBx(op, a, sbx int) uint32 { return iABx(op, a, sbx+(1<<18-1)>>1) }

var ret0 = iABC(lua.OP_RETURN, 0, 1, 0)

// mkProto makes a prototype with the given code, constants and nested
// prototypes; its debug information fits.
func mkProto(regs uint8, code []uint32, consts []lua.LValue, protos ...*lua.FunctionProto) *lua.FunctionProto {
	p := &lua.FunctionProto{
		SourceName:         "forged.lua",
		NumUsedRegisters:   regs,
		Code:               code,
		Constants:          consts,
		FunctionPrototypes: protos,
		DbgSourcePositions: make([]int, len(code)),
	}
	sk := make([]string, len(consts))
	for i, k := range consts {
		if s, ok := k.(lua.LString); ok {
			sk[i] = string(s)
		}
	}
	setStringConstants(p, sk)
	return p
}

// marshalUnverified encodes p without verifying it, as a hostile peer
// could.
func marshalUnverified(t testing.TB, p *lua.FunctionProto) []byte {
	t.Helper()
	e := codeEncoder{noVerify: true}
	if err := e.proto(p, 0, nil); err != nil {
		t.Fatalf("encode: %v", err)
	}
	return e.bytes()
}

func TestUnmarshalCodeRejectsForgedCode(t *testing.T) {
	str := []lua.LValue{lua.LString("print"), lua.LNumber(1)}
	up1 := mkProto(2, []uint32{iABC(lua.OP_GETUPVAL, 0, 0, 0), iABC(lua.OP_RETURN, 0, 2, 0)}, nil)
	up1.NumUpvalues, up1.DbgUpvalues = 1, []string{"u"}
	for _, c := range []struct {
		name string
		p    *lua.FunctionProto
		want string
	}{
		{"no code", mkProto(2, nil, nil), "no instructions"},
		{"bad opcode", mkProto(2, []uint32{63 << 26, ret0}, nil), "unknown opcode 63"},
		{"opcode past NOP", mkProto(2, []uint32{uint32(lua.OP_NOP+1) << 26, ret0}, nil), "unknown opcode"},
		{"no final RETURN", mkProto(2, []uint32{iABC(lua.OP_LOADNIL, 0, 0, 0)}, nil), "last instruction is not a RETURN"},
		{"register read unset", mkProto(2, []uint32{iABC(lua.OP_MOVE, 0, 5, 0), ret0}, nil), "register 5 is read but holds no value"},
		{"register past 255", mkProto(2, []uint32{iABC(lua.OP_LOADNIL, 0, 300, 0), ret0}, nil), "register 256 out of range"},
		{"LOADK constant", mkProto(2, []uint32{iABx(lua.OP_LOADK, 0, 2), ret0}, str), "constant 2 of 2"},
		{"RK constant", mkProto(2, []uint32{iABC(lua.OP_ADD, 0, 0, 256+7), ret0}, str), "constant 7 of 2"},
		{"GETGLOBAL number", mkProto(2, []uint32{iABx(lua.OP_GETGLOBAL, 0, 1), ret0}, str), "constant 1 is not a string"},
		{"GETTABLEKS register key", mkProto(4, []uint32{iABC(lua.OP_GETTABLEKS, 0, 1, 2), ret0}, str), "does not surely hold a string"},
		{"last register at entry", mkProto(3, []uint32{iABC(lua.OP_RETURN, 2, 2, 0)}, nil), "register 2 is read"},
		{"SETTABLEKS number key", mkProto(3, []uint32{iABC(lua.OP_SETTABLEKS, 0, 256+1, 1), ret0}, str), "not a string"},
		{"jump past end", mkProto(2, []uint32{iAsBx(lua.OP_JMP, 0, 5), ret0}, nil), "jumps to 6, outside the code"},
		{"jump before start", mkProto(2, []uint32{iAsBx(lua.OP_JMP, 0, -3), ret0}, nil), "jumps to -2, outside the code"},
		{"skip past end", mkProto(2, []uint32{iABC(lua.OP_LOADNIL, 0, 0, 0), iABC(lua.OP_TEST, 0, 0, 0), ret0}, nil), "jumps to 3"},
		{"FORLOOP past end", mkProto(4, []uint32{iAsBx(lua.OP_FORLOOP, 0, 100), ret0}, nil), "outside the code"},
		{"upvalue out of range", mkProto(2, []uint32{iABC(lua.OP_GETUPVAL, 0, 0, 0), ret0}, nil), "upvalue 0 of 0"},
		{"CLOSURE index", mkProto(2, []uint32{iABx(lua.OP_CLOSURE, 0, 1), ret0}, nil, mkProto(2, []uint32{ret0}, nil)), "function 1 of 1"},
		{"CLOSURE missing pseudo", mkProto(2, []uint32{iABx(lua.OP_CLOSURE, 0, 0), ret0}, nil, up1), "last instruction is not a RETURN"},
		{"CLOSURE bad pseudo", mkProto(2, []uint32{iABx(lua.OP_CLOSURE, 0, 0), iABC(lua.OP_LOADNIL, 0, 0, 0), ret0}, nil, up1), "neither MOVE nor GETUPVAL"},
		{"CLOSURE captures unset", mkProto(2, []uint32{iABx(lua.OP_CLOSURE, 0, 0), iABC(lua.OP_MOVE, 0, 9, 0), ret0}, nil, up1), "register 9 is read"},
		{"jump onto pseudo", mkProto(2, []uint32{iAsBx(lua.OP_JMP, 0, 1), iABx(lua.OP_CLOSURE, 0, 0), iABC(lua.OP_MOVE, 0, 0, 0), ret0}, nil, up1), "an operand"},
		{"SETLIST data at end", mkProto(3, []uint32{iABC(lua.OP_NEWTABLE, 0, 0, 0), iABC(lua.OP_SETLIST, 0, 1, 0)}, nil), "operands past the end"},
		{"SETLIST non-table", mkProto(3, []uint32{iABC(lua.OP_SETLIST, 0, 1, 1), ret0}, nil), "does not surely hold a table"},
		{"SETLIST table lost", mkProto(3, []uint32{iABC(lua.OP_NEWTABLE, 0, 0, 0), iABC(lua.OP_LOADNIL, 0, 0, 0), iABC(lua.OP_SETLIST, 0, 1, 1), ret0}, nil), "does not surely hold a table"},
		{"CALL B=0 without open", mkProto(3, []uint32{iABC(lua.OP_LOADNIL, 0, 0, 0), iABC(lua.OP_CALL, 0, 0, 1), ret0}, nil), "top is not known"},
		{"RETURN B=0 without open", mkProto(3, []uint32{iABC(lua.OP_LOADNIL, 0, 0, 0), iABC(lua.OP_RETURN, 0, 0, 0)}, nil), "top is not known"},
		{"RETURN B=0 below open", mkProto(3, []uint32{iABC(lua.OP_CALL, 0, 1, 2), iABC(lua.OP_RETURN, 2, 0, 0)}, nil), "top is not known"},
		{"read after CALL truncates", mkProto(4, []uint32{iABC(lua.OP_CALL, 0, 1, 1), iABC(lua.OP_MOVE, 3, 2, 0), ret0}, nil), "register 2 is read"},
		{"captured lost by CALL", mkProto(4, []uint32{iABx(lua.OP_CLOSURE, 0, 0), iABC(lua.OP_MOVE, 0, 2, 0), iABC(lua.OP_CALL, 1, 1, 1), ret0}, nil, up1), "captured by a closure"},
		{"VARARG not vararg", mkProto(3, []uint32{iABC(lua.OP_VARARG, 0, 2, 0), ret0}, nil), "without ..."},
		{"TFORLOOP C=0", mkProto(6, []uint32{iABC(lua.OP_TFORLOOP, 0, 0, 0), iAsBx(lua.OP_JMP, 0, -2), ret0}, nil), "without variables"},
		{"TFORLOOP no JMP", mkProto(6, []uint32{iABC(lua.OP_TFORLOOP, 0, 0, 1), ret0, ret0}, nil), "not followed by a JMP"},
		{"MOVEN short", mkProto(3, []uint32{iABC(lua.OP_MOVEN, 0, 1, 2), iABC(lua.OP_MOVE, 1, 0, 0), ret0}, nil), "not followed by 2 MOVEs"},
		{"LOADNIL reversed", mkProto(3, []uint32{iABC(lua.OP_LOADNIL, 2, 1, 0), ret0}, nil), "LOADNIL of 2..1"},
		{"CONCAT reversed", mkProto(3, []uint32{iABC(lua.OP_CONCAT, 0, 2, 1), ret0}, nil), "CONCAT of 2..1"},
		{"too many parameters", func() *lua.FunctionProto { p := mkProto(2, []uint32{ret0}, nil); p.NumParameters = 2; return p }(), "2 parameters in 2 registers"},
		{"upvalue names", func() *lua.FunctionProto { p := mkProto(2, []uint32{ret0}, nil); p.NumUpvalues = 1; return p }(), "upvalue names"},
		{"nested bad", mkProto(2, []uint32{ret0}, nil, mkProto(2, []uint32{63 << 26, ret0}, nil)), "function 0: pc 0"},
		{"loop reads unset", mkProto(4, []uint32{
			iABC(lua.OP_LOADBOOL, 0, 1, 0), // 0: r0 = true
			iABC(lua.OP_TEST, 0, 0, 0),     // 1: if not r0 then skip
			iAsBx(lua.OP_JMP, 0, 1),        // 2: -> 4
			iABC(lua.OP_LOADNIL, 3, 3, 0),  // 3: r3 = nil (only on one path)
			iABC(lua.OP_CALL, 0, 1, 1),     // 4: r0() drops r1..
			iABC(lua.OP_MOVE, 1, 3, 0),     // 5: r1 = r3: unset
			iABC(lua.OP_RETURN, 0, 1, 0),   // 6
		}, nil), "register 3 is read"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := marshalUnverified(t, c.p)
			_, err := Codec{}.UnmarshalCode(b)
			if err == nil || !errors.Is(err, ErrBadCode) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an ErrBadCode containing %q", err, c.want)
			}
			if _, err := (Codec{}).MarshalCode(c.p); err == nil {
				t.Fatalf("MarshalCode accepted it")
			}
		})
	}
}

func TestUnmarshalCodeRejectsBadBytes(t *testing.T) {
	p := compileChunk(t, codecSnippets[4], "c.lua")
	good, err := Codec{}.MarshalCode(p)
	if err != nil {
		t.Fatal(err)
	}
	uv := func(v uint64) []byte { return binary.AppendUvarint(nil, v) }
	cat := func(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
	for _, c := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "empty"},
		{"version", append([]byte{2}, good[1:]...), "unknown version 2"},
		{"trailing", append(append([]byte{}, good...), 0), "1 bytes after the code"},
		{"huge string count", cat([]byte{1}, uv(1<<40)), "count"},
		{"huge string", cat([]byte{1}, uv(1), uv(1<<62)), "count"},
		{"bad varint", cat([]byte{1}, bytes.Repeat([]byte{0xff}, 11)), "varint"},
		{"huge code count", cat([]byte{1}, uv(1), uv(1), []byte("x"), uv(0), uv(0), uv(0), []byte{0, 0, 0, 2}, uv(1<<30)), "count"},
		{"string index", cat([]byte{1}, uv(0), uv(3)), "string 3 of 0"},
		{"too big", make([]byte, maxCodeSize+1), "limit"},
		{"too deep", deepBlob(maxProtoDepth + 1), "nested more than 200 deep"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Codec{}.UnmarshalCode(c.b)
			if err == nil || !errors.Is(err, ErrBadCode) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an ErrBadCode containing %q", err, c.want)
			}
		})
	}
	if _, err := (Codec{}).UnmarshalCode(deepBlob(maxProtoDepth)); err != nil {
		t.Errorf("functions nested %d deep: %v", maxProtoDepth, err)
	}

	// Every truncation fails; every bit flip fails or decodes to code
	// that runs without a Go panic.
	for i := range good {
		if _, err := (Codec{}).UnmarshalCode(good[:i]); err == nil {
			t.Errorf("truncated to %d bytes: no error", i)
		}
	}
	accepted := 0
	for i := range len(good) * 8 {
		b := append([]byte{}, good...)
		b[i/8] ^= 1 << (i % 8)
		if code, err := (Codec{}).UnmarshalCode(b); err == nil {
			accepted++
			if msg := runForged(code.(*lua.FunctionProto)); msg != "" {
				t.Errorf("bit %d flipped: %s", i, msg)
			}
		}
	}
	t.Logf("%d of %d bit flips decode, and run without a Go panic", accepted, len(good)*8)

	// Marshal refuses what it cannot send.
	if _, err := (Codec{}).MarshalCode("code"); err == nil {
		t.Error("MarshalCode accepted a string")
	}
	if _, err := (Codec{}).MarshalCode((*lua.FunctionProto)(nil)); err == nil {
		t.Error("MarshalCode accepted a nil prototype")
	}
	far := mkProto(2, []uint32{ret0}, nil)
	far.LineDefined = 1 << 40
	if _, err := (Codec{}).MarshalCode(far); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("MarshalCode of a line past int32: %v", err)
	}
}

// deepBlob encodes functions nested n deep.
func deepBlob(n int) []byte {
	p := mkProto(2, []uint32{ret0}, nil)
	for range n - 1 {
		p = mkProto(2, []uint32{ret0}, nil, p)
	}
	e := codeEncoder{noVerify: true, maxDepth: n + 1}
	if err := e.proto(p, 0, nil); err != nil {
		panic(err)
	}
	return e.bytes()
}

// budget is the context of a forged function's state: Done reports done
// after a number of instructions.
type budget struct{ left int }

var errBudget = errors.New("instruction budget exhausted")

var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (b *budget) Deadline() (time.Time, bool) { return time.Time{}, false }
func (b *budget) Value(any) any               { return nil }
func (b *budget) Err() error {
	if b.left <= 0 {
		return errBudget
	}
	return nil
}
func (b *budget) Done() <-chan struct{} {
	b.left--
	if b.left <= 0 {
		return closed
	}
	return nil
}

// runForged runs a decoded prototype with an instruction budget, with the
// upvalues and arguments made up, then the functions it returns, and
// reports a Go panic (an error that is not a Lua error).
func runForged(p *lua.FunctionProto) (msg string) {
	opts := options
	opts.IncludeGoStackTrace = true
	opts.CallStackSize = 200
	// dlua's auto-growing call stack (MinimizeStackMemory) overflows with
	// a Go panic, "lua callstack overflow", even from ordinary recursion:
	// in gopher-lua 1.1.2 its IsFull never reports full. The fixed stack
	// raises a Lua error, so that a Go panic here means a verifier bug.
	opts.MinimizeStackMemory = false
	L := lua.NewState(opts)
	defer L.Close()
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprintf("panic outside the VM: %v", r)
		}
	}()
	// The base library without what loads code, prints, or catches Go
	// panics as Lua errors (pcall); no coroutines (see verifyProto).
	lua.OpenBase(L)
	lua.OpenTable(L)
	lua.OpenMath(L)
	for _, name := range []string{"pcall", "xpcall", "print", "load", "loadstring", "dofile", "loadfile",
		"require", "module", "collectgarbage", "coroutine", "newproxy"} {
		L.SetGlobal(name, lua.LNil)
	}
	L.SetContext(&budget{left: 100000})
	mt := L.NewTable()
	L.SetField(mt, "__index", L.NewFunction(func(L *lua.LState) int { L.Push(L.Get(2)); return 1 }))
	L.SetField(mt, "__add", L.NewFunction(func(L *lua.LState) int { L.Push(lua.LNumber(1)); return 1 }))
	tbl := L.NewTable()
	tbl.RawSetInt(1, lua.LString("one"))
	L.SetMetatable(tbl, mt)
	vals := []lua.LValue{lua.LNumber(3), lua.LString("s"), tbl, lua.LTrue, lua.LNil}
	fn := &lua.LFunction{Proto: p, Env: L.G.Global}
	for i := range int(p.NumUpvalues) {
		uv := &lua.Upvalue{}
		uv.SetValue(vals[i%len(vals)])
		fn.Upvalues = append(fn.Upvalues, uv)
	}
	call := func(f lua.LValue, args ...lua.LValue) []lua.LValue {
		top := L.GetTop()
		L.Push(f)
		for _, a := range args {
			L.Push(a)
		}
		if err := L.PCall(len(args), lua.MultRet, nil); err != nil {
			var ae *lua.ApiError
			if !errors.As(err, &ae) || ae.Type != lua.ApiErrorRun {
				msg = fmt.Sprintf("not a Lua error: %v", err)
			}
			return nil
		}
		res := make([]lua.LValue, 0, L.GetTop()-top)
		for i := top + 1; i <= L.GetTop(); i++ {
			res = append(res, L.Get(i))
		}
		L.SetTop(top)
		return res
	}
	res := call(fn, vals...)
	for _, r := range res {
		if f, ok := r.(*lua.LFunction); ok && msg == "" {
			call(f, vals...)
		}
	}
	return msg
}

func FuzzUnmarshalCode(f *testing.F) {
	for i, src := range append([]string{bigConstants()}, codecSnippets...) {
		b, err := Codec{}.MarshalCode(compileChunk(f, src, fmt.Sprintf("seed%d.lua", i)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		code, err := Codec{}.UnmarshalCode(b)
		if err != nil {
			if !errors.Is(err, ErrBadCode) {
				t.Fatalf("error that is not ErrBadCode: %v", err)
			}
			return
		}
		p := code.(*lua.FunctionProto)
		// What decodes encodes back to the same bytes.
		again, err := Codec{}.MarshalCode(p)
		if err != nil {
			t.Fatalf("decoded but does not encode: %v", err)
		}
		if _, err := (Codec{}).UnmarshalCode(again); err != nil {
			t.Fatalf("re-encoded does not decode: %v", err)
		}
		if msg := runForged(p); msg != "" {
			t.Fatal(msg)
		}
	})
}

// TestCodecWriteSeeds writes the fuzz seed corpus (go test -run
// TestCodecWriteSeeds with DLUA_WRITE_SEEDS=1).
func TestCodecWriteSeeds(t *testing.T) {
	if os.Getenv("DLUA_WRITE_SEEDS") == "" {
		t.Skip("set DLUA_WRITE_SEEDS=1 to write testdata/fuzz/FuzzUnmarshalCode")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzUnmarshalCode")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, src := range append([]string{bigConstants()}, codecSnippets...) {
		b, err := Codec{}.MarshalCode(compileChunk(t, src, fmt.Sprintf("seed%d.lua", i)))
		if err != nil {
			t.Fatal(err)
		}
		data := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-snippet-%02d", i)), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const benchClosureSrc = `
local queue, stats = {}, {sent = 0, dropped = 0}
return function(msg, limit)
  if type(msg) ~= "table" or not msg.to then
    stats.dropped = stats.dropped + 1
    return nil, "bad message"
  end
  local n = 0
  for i, item in ipairs(msg.items or {}) do
    if i > (limit or 10) then break end
    queue[#queue + 1] = {to = msg.to, item = item, at = i}
    n = n + 1
  end
  stats.sent = stats.sent + n
  return n, string.format("%d queued for %s", n, tostring(msg.to))
end`

func benchClosure(b *testing.B) *lua.FunctionProto {
	p := compileChunk(b, benchClosureSrc, "@worker.lua")
	return p.FunctionPrototypes[0]
}

func BenchmarkMarshalCode(b *testing.B) {
	p := benchClosure(b)
	var n int
	b.ReportAllocs()
	for b.Loop() {
		out, err := Codec{}.MarshalCode(p)
		if err != nil {
			b.Fatal(err)
		}
		n = len(out)
	}
	b.ReportMetric(float64(n), "bytes")
	b.ReportMetric(float64(len(p.Code)), "instructions")
}

func BenchmarkUnmarshalCode(b *testing.B) {
	data, err := Codec{}.MarshalCode(benchClosure(b))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (Codec{}).UnmarshalCode(data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(data)), "bytes")
}

// fuzzTemplates are the compiled snippets and all their nested prototypes,
// whose constants, nested prototypes and shapes FuzzCodecVerifier keeps while
// it replaces their code.
var fuzzTemplates = sync.OnceValue(func() []*lua.FunctionProto {
	var out []*lua.FunctionProto
	var walk func(p *lua.FunctionProto)
	walk = func(p *lua.FunctionProto) {
		out = append(out, p)
		for _, c := range p.FunctionPrototypes {
			walk(c)
		}
	}
	for i, src := range append([]string{bigConstants()}, codecSnippets...) {
		chunk, err := parse.Parse(strings.NewReader(src), fmt.Sprintf("t%d.lua", i))
		if err != nil {
			panic(err)
		}
		p, err := lua.Compile(chunk, fmt.Sprintf("t%d.lua", i))
		if err != nil {
			panic(err)
		}
		walk(p)
	}
	return out
})

// forgeCode makes a prototype from fuzz data: data[0] picks a template,
// the rest is its new code, 4 bytes an instruction (little-endian), the
// opcode folded into gopher-lua's range.
func forgeCode(data []byte) *lua.FunctionProto {
	ts := fuzzTemplates()
	if len(data) < 1 {
		return nil
	}
	t := ts[int(data[0])%len(ts)]
	p := *t
	p.Code = nil
	for b := data[1:]; len(b) >= 4; b = b[4:] {
		w := binary.LittleEndian.Uint32(b)
		op := (w >> 26) % uint32(lua.OP_NOP+1)
		p.Code = append(p.Code, op<<26|w&(1<<26-1))
	}
	p.Code = append(p.Code, ret0)
	p.DbgSourcePositions = make([]int, len(p.Code))
	for i := range p.DbgSourcePositions {
		p.DbgSourcePositions[i] = i + 1
	}
	return &p
}

// FuzzCodecVerifier sends forged code (real constants, nested prototypes and
// upvalues, made-up instructions) through UnmarshalCode, and runs what the
// verifier accepts: FuzzUnmarshalCode mutates whole blobs, whose varints
// few mutations keep valid; this one mutates instructions.
func FuzzCodecVerifier(f *testing.F) {
	for i, t := range fuzzTemplates() {
		if i > 255 {
			break
		}
		data := []byte{byte(i)}
		for _, w := range t.Code[:len(t.Code)-1] {
			data = binary.LittleEndian.AppendUint32(data, w)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := forgeCode(data)
		if p == nil {
			return
		}
		code, err := Codec{}.UnmarshalCode(marshalUnverified(t, p))
		if err != nil {
			if !errors.Is(err, ErrBadCode) {
				t.Fatalf("error that is not ErrBadCode: %v", err)
			}
			return
		}
		start := time.Now()
		if msg := runForged(code.(*lua.FunctionProto)); msg != "" {
			t.Fatal(msg)
		}
		if d := time.Since(start); d > 2*time.Second && os.Getenv("SLOWCHECK") != "" {
			t.Fatalf("slow: %v", d)
		}
	})
}

// TestUnmarshalCodeLargeForged times the verifier on the largest
// prototypes it accepts, with jumps everywhere: its work is bounded.
func TestUnmarshalCodeLargeForged(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	consts := []lua.LValue{lua.LString("k"), lua.LNumber(1)}
	for _, shape := range []string{"random", "chain"} {
		n := maxInstructions
		code := make([]uint32, n)
		for i := range n - 1 {
			r := func() int { return rng.IntN(200) }
			switch shape {
			case "random":
				switch rng.IntN(6) {
				case 0:
					code[i] = iABC(lua.OP_MOVE, r(), r(), 0)
				case 1:
					code[i] = iABx(lua.OP_LOADK, r(), rng.IntN(2))
				case 2:
					code[i] = iABC(lua.OP_NEWTABLE, r(), 0, 0)
				case 3:
					code[i] = iABC(lua.OP_TEST, r(), 0, 0)
				case 4:
					code[i] = iAsBx(lua.OP_JMP, 0, max(-i-1, min(n-2-i, rng.IntN(20001)-10000)))
				default:
					a := r()
					code[i] = iABC(lua.OP_LOADNIL, a, a, 0)
				}
			case "chain": // every block jumps back to the one before
				if i%2 == 0 {
					code[i] = iABC(lua.OP_NEWTABLE, i%200, 0, 0)
				} else {
					code[i] = iAsBx(lua.OP_JMP, 0, max(-i-1, -3))
				}
			}
		}
		code[n-1] = ret0
		p := mkProto(200, code, consts)
		b := marshalUnverified(t, p)
		start := time.Now()
		_, err := Codec{}.UnmarshalCode(b)
		t.Logf("%s: %d instructions, %d bytes: %v in %v", shape, n, len(b), err, time.Since(start))
	}
}
