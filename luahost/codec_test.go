package luahost

import (
	"context"
	"errors"
	"io"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/dlua/dlua/proc"
)

// testHost is a Host on a node of its own.
func testHost(t *testing.T, name string, limits Limits) *Host {
	t.Helper()
	pn := proc.NewNode(proc.Config{Name: name})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10e9)
		defer cancel()
		pn.Shutdown(ctx, proc.Kill)
	})
	return New(Config{Node: pn, Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Limits: limits})
}

// valueOf runs line on h (with env) and returns the value it sends to
// the global sink.
func valueOf(t *testing.T, h *Host, line string, env map[string]proc.Value) proc.Value {
	t.Helper()
	got := make(chan proc.Value, 1)
	sink, _, err := h.Node().Spawn(nil, proc.SpawnOpts{}, func(p *proc.Process) proc.Value {
		e, err := p.Receive(-1, nil)
		if err == nil {
			got <- e.V
		}
		return proc.Normal
	})
	if err != nil {
		t.Fatal(err)
	}
	all := map[string]proc.Value{"sink": sink}
	for k, v := range env {
		all[k] = v
	}
	res, err := h.Eval(t.Context(), line, all)
	if err != nil || res.Err != "" {
		t.Fatalf("%s: %v %s", line, err, res.Err)
	}
	return <-got
}

// transfer carries v from one Host's codec to another's as a transport
// does: each function as its chunk's key and its place, the source asked
// for when the receiver does not hold the chunk. It returns v on the
// receiving side and the number of sources that had to be sent.
func transfer(t *testing.T, from, to Codec, v proc.Value) (proc.Value, int) {
	t.Helper()
	sent := 0
	seen := map[any]proc.Value{}
	var walk func(v proc.Value) proc.Value
	walk = func(v proc.Value) proc.Value {
		switch v := v.(type) {
		case *proc.Table:
			if out, ok := seen[v]; ok {
				return out
			}
			out := &proc.Table{}
			seen[v] = out
			for _, x := range v.Array {
				out.Array = append(out.Array, walk(x))
			}
			for _, f := range v.Hash {
				out.Hash = append(out.Hash, proc.Field{Key: walk(f.Key), Val: walk(f.Val)})
			}
			return out
		case *proc.Func:
			if out, ok := seen[v]; ok {
				return out
			}
			out := &proc.Func{Name: v.Name}
			seen[v] = out
			if v.Code != nil {
				ch, ref, err := from.MarshalCode(v.Code)
				if err != nil {
					t.Fatalf("MarshalCode: %v", err)
				}
				got := to.Chunk(ch.Key())
				if got == nil {
					sent++
					if got, err = to.AddChunk(ch.Key(), ch.Source()); err != nil {
						t.Fatalf("AddChunk: %v", err)
					}
				}
				if out.Code, err = to.UnmarshalCode(got, ref); err != nil {
					t.Fatalf("UnmarshalCode: %v", err)
				}
			}
			cells := map[*proc.Cell]*proc.Cell{}
			for _, c := range v.Upvalues {
				if seen[c] == nil {
					nc := &proc.Cell{}
					seen[c] = nc
					cells[c] = nc
					nc.V = walk(c.V)
				}
				out.Upvalues = append(out.Upvalues, seen[c].(*proc.Cell))
			}
			return out
		}
		return v
	}
	return walk(v), sent
}

// TestCodecFunctionsTravel sends functions from one Host to another and
// runs them there: closures, shared upvalues, recursion, nested
// functions of a file, of loadstring and load chunks, and error
// positions, which keep the chunk's name and line.
func TestCodecFunctionsTravel(t *testing.T) {
	tests := []struct {
		name string
		make string // Lua that sends a value to sink
		call string // Lua with the value in v; its result is compared
		want string
	}{
		{"closure", `local k = 40; send(sink, function(x) return x + k end)`, `v(2)`, "42"},
		{"shared upvalue", `local n = 0
			send(sink, {function() n = n + 1 return n end, function() return n * 10 end})`,
			`v[1](), v[1](), v[2]()`, "1 2 20"},
		{"recursion", `local function fib(n) if n < 2 then return n end return fib(n-1) + fib(n-2) end
			send(sink, fib)`, `v(15)`, "610"},
		{"nested", `send(sink, function() return function(a) return function(b) return a .. b end end end)`,
			`v()("x")("y")`, "xy"},
		{"loadstring", `send(sink, loadstring("local a = ... ; return function() return a * 2 end")(21))`, `v()`, "42"},
		{"load reader", `local parts = {"return func", "tion(s) return s:upper() end"}
			local i = 0
			send(sink, load(function() i = i + 1 return parts[i] end)())`, `v("up")`, "UP"},
		{"error position", `send(sink, loadstring("\n\nreturn function() error('boom') end", "=mychunk")())`,
			`select(2, pcall(v))`, "mychunk:3: boom"},
		{"table of functions", `local t = {}; t.self = t; t.get = function() return t.x end; t.x = "ok"
			send(sink, t)`, `v.get()`, "ok"},
	}
	a := testHost(t, "a", Limits{})
	b := testHost(t, "b", Limits{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := valueOf(t, a, tt.make, nil)
			w, _ := transfer(t, a.Codec(), b.Codec(), v)
			res, err := b.Eval(t.Context(), tt.call, map[string]proc.Value{"v": w})
			if err != nil {
				t.Fatal(err)
			}
			if res.Err != "" || strings.Join(res.Values, " ") != tt.want {
				t.Errorf("got %v (error %q), want %s", res.Values, res.Err, tt.want)
			}
		})
	}
}

// TestCodecSourceOnce: a chunk's source crosses once; more functions of
// it, and the same function again, need only their key and place.
func TestCodecSourceOnce(t *testing.T) {
	a := testHost(t, "a", Limits{})
	b := testHost(t, "b", Limits{})
	v := valueOf(t, a, `local f = loadstring("return 1")
		local fs = {}; for i = 1, 3 do fs[i] = function() return i end end
		send(sink, {fs, f})`, nil)
	w, sent := transfer(t, a.Codec(), b.Codec(), v)
	if sent != 2 { // the prompt's chunk, and the loadstring one
		t.Errorf("%d sources sent, want 2", sent)
	}
	if _, again := transfer(t, a.Codec(), b.Codec(), v); again != 0 {
		t.Errorf("%d sources sent again, want 0 (b holds them)", again)
	}
	res, err := b.Eval(t.Context(), `v[1][1]() + v[1][2]() + v[1][3]()`, map[string]proc.Value{"v": w})
	if err != nil || res.Err != "" || res.Values[0] != "6" {
		t.Errorf("got %+v, %v", res, err)
	}
}

// TestCodecReceiverLimits: compiling a function that arrives is charged
// to the process that receives it.
func TestCodecReceiverLimits(t *testing.T) {
	a := testHost(t, "a", Limits{})
	b := testHost(t, "b", Limits{MaxMemory: 1 << 20})
	big := "local t = {" + strings.Repeat("1,", 200000) + "} return function() return #t end"
	v := valueOf(t, a, `send(sink, loadstring(big)())`, map[string]proc.Value{"big": big})
	w, _ := transfer(t, a.Codec(), b.Codec(), v)
	if got := receiveOn(t, b, w); got != proc.MemoryLimit {
		t.Errorf("the receiver ended with %v, want memory_limit", got)
	}
}

// receiveOn sends v to a Lua process of h that receives it and calls it;
// it returns the process's exit reason, as Eval formats it.
func receiveOn(t *testing.T, h *Host, v proc.Value) string {
	t.Helper()
	giver, _, err := h.Node().Spawn(nil, proc.SpawnOpts{}, func(p *proc.Process) proc.Value {
		if e, err := p.Receive(-1, nil); err == nil {
			p.Send(e.V.(proc.PID), v)
		}
		return proc.Normal
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.Eval(t.Context(), `send(giver, self()); local f = receive(); f()`, map[string]proc.Value{"giver": giver})
	if err != nil {
		t.Fatal(err)
	}
	return res.Err
}

// TestCodecRefuses: what a peer may send wrong is refused with
// ErrBadCode, never run.
func TestCodecRefuses(t *testing.T) {
	a := testHost(t, "a", Limits{})
	b := testHost(t, "b", Limits{})
	v := valueOf(t, a, `local u = 1; send(sink, function() return u end)`, nil).(*proc.Func)
	ch, ref, err := a.Codec().MarshalCode(v.Code)
	if err != nil {
		t.Fatal(err)
	}
	src := ch.Source()
	bc := b.Codec()
	t.Run("source not matching its key", func(t *testing.T) {
		forged := append([]byte(nil), src...)
		forged[len(forged)-1] ^= 1
		if _, err := bc.AddChunk(ch.Key(), forged); !errors.Is(err, ErrBadCode) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("bytecode", func(t *testing.T) {
		bad := (&chunk{name: "x", src: "\x1bLua\x51\x00"}).Source()
		got, err := bc.AddChunk(keyOf(bad), bad)
		if err != nil {
			t.Fatal(err)
		}
		code, err := bc.UnmarshalCode(got, appendRef(nil, nil))
		if err != nil {
			t.Fatal(err)
		}
		res, err := b.Eval(t.Context(), `v()`, map[string]proc.Value{"v": &proc.Func{Code: code}})
		if err != nil || !strings.Contains(res.Err, "cannot load precompiled code") {
			t.Errorf("got %+v, %v", res, err)
		}
	})
	got, err := bc.AddChunk(ch.Key(), src)
	if err != nil {
		t.Fatal(err)
	}
	runs := []struct {
		name     string
		ref      []byte
		upvalues int
		want     string
	}{
		{"no function at the path", appendRef(nil, []int{0, 5}), 1, "no function at"},
		{"upvalues not as sent", ref, 3, "has 1 upvalues, 3 were sent"},
	}
	for _, tt := range runs {
		t.Run(tt.name, func(t *testing.T) {
			code, err := bc.UnmarshalCode(got, tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			f := &proc.Func{Code: code}
			for range tt.upvalues {
				f.Upvalues = append(f.Upvalues, &proc.Cell{V: 1.0})
			}
			res, err := b.Eval(t.Context(), `v()`, map[string]proc.Value{"v": f})
			if err != nil || !strings.Contains(res.Err, tt.want) {
				t.Errorf("got %+v, %v; want an error with %q", res, err, tt.want)
			}
		})
	}
	refs := []struct {
		name string
		ref  []byte
	}{
		{"empty", nil},
		{"version", []byte{2, 0}},
		{"path too long", appendRef(nil, make([]int, maxRefPath+1))},
		{"index too big", appendRef(nil, []int{maxInstructions})},
		{"trailing bytes", append(appendRef(nil, []int{1}), 0)},
		{"truncated", appendRef(nil, []int{1 << 20})[:3]},
	}
	for _, tt := range refs {
		t.Run("ref "+tt.name, func(t *testing.T) {
			if _, err := bc.UnmarshalCode(got, tt.ref); !errors.Is(err, ErrBadCode) {
				t.Errorf("got %v", err)
			}
		})
	}
	t.Run("code of another kind", func(t *testing.T) {
		if _, _, err := bc.MarshalCode(42); !errors.Is(err, ErrBadCode) {
			t.Errorf("got %v", err)
		}
	})
}

// TestCompilerVersion: the version names gopher-lua's module version and
// the chunk transform.
func TestCompilerVersion(t *testing.T) {
	bi := &debug.BuildInfo{Deps: []*debug.Module{{Path: gopherLua, Version: "v1.1.2"}}}
	if got, want := compilerString(bi), "gopher-lua v1.1.2; dlua chunk 1"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	bi.Deps[0].Replace = &debug.Module{Path: "../fork", Version: ""}
	if got := compilerString(bi); !strings.Contains(got, "../fork") {
		t.Errorf("a replaced module: %q", got)
	}
	if got := compilerString(nil); !strings.Contains(got, "unknown") {
		t.Errorf("no build info: %q", got)
	}
}

// FuzzCodecDecode: what a peer sends as a source and a reference never
// panics the codec: it is refused, or it names a function that the
// receiving process compiles from source.
func FuzzCodecDecode(f *testing.F) {
	f.Add([]byte{5, 'c', 'h', 'u', 'n', 'k', 'r', 'e', 't', 'u', 'r', 'n', ' ', '1'}, appendRef(nil, nil))
	f.Add((&chunk{name: "n", src: "return function() return function() end end"}).Source(), appendRef(nil, []int{0, 0}))
	f.Add([]byte{0xff, 0xff}, []byte{1, 1, 0xff})
	r := newChunks()
	c := Codec{r: r}
	f.Fuzz(func(t *testing.T, source, ref []byte) {
		key := keyOf(source)
		ch, err := c.AddChunk(key, source)
		if err != nil {
			if !errors.Is(err, ErrBadCode) {
				t.Fatalf("AddChunk: %v", err)
			}
			return
		}
		code, err := c.UnmarshalCode(ch, ref)
		if err != nil {
			if !errors.Is(err, ErrBadCode) {
				t.Fatalf("UnmarshalCode: %v", err)
			}
			return
		}
		rc := code.(*remoteCode)
		root, err := r.compiledFor(rc.c, func() {})
		if err != nil {
			return // source that does not compile: the process gets the error
		}
		if _, err := protoAt(root, rc.path); err != nil && !errors.Is(err, ErrBadCode) {
			t.Fatal(err)
		}
	})
}
