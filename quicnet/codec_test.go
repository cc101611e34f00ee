package quicnet

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/dlua/dlua/proc"
)

// fakeCode is the Code of test functions: its chunk is its source.
type fakeCode struct{ src string }

// fakeChunk is the chunk of a fakeCode.
type fakeChunk struct{ src string }

func (c fakeChunk) Key() string    { return "k:" + c.src }
func (c fakeChunk) Size() int      { return len(c.src) }
func (c fakeChunk) Source() []byte { return []byte(c.src) }

// fakeCodec is a CodeCodec for fakeCode; code bytes starting with "bad"
// fail. The zero fakeCodec holds every chunk (it makes it from its key);
// one with held set holds only the chunks it marshalled or was given, and
// counts what it was given.
type fakeCodec struct {
	held     *sync.Map // key -> fakeChunk
	added    *atomic.Int64
	compiler string
}

func newFetchingCodec() fakeCodec {
	return fakeCodec{held: new(sync.Map), added: new(atomic.Int64)}
}

func (c fakeCodec) Compiler() string {
	if c.compiler != "" {
		return c.compiler
	}
	return "fake 1"
}

func (c fakeCodec) MarshalCode(code any) (proc.Chunk, []byte, error) {
	fc, ok := code.(fakeCode)
	if !ok {
		return nil, nil, fmt.Errorf("not a fakeCode: %T", code)
	}
	ch := fakeChunk{fc.src}
	if c.held != nil {
		c.held.Store(ch.Key(), ch)
	}
	return ch, []byte("ref"), nil
}

func (c fakeCodec) Chunk(key string) proc.Chunk {
	if c.held == nil {
		src, ok := strings.CutPrefix(key, "k:")
		if !ok {
			return nil
		}
		return fakeChunk{src}
	}
	if ch, ok := c.held.Load(key); ok {
		return ch.(fakeChunk)
	}
	return nil
}

func (c fakeCodec) AddChunk(key string, src []byte) (proc.Chunk, error) {
	ch := fakeChunk{string(src)}
	if ch.Key() != key {
		return nil, errors.New("source does not match its key")
	}
	if c.held != nil {
		c.held.Store(key, ch)
		c.added.Add(1)
	}
	return ch, nil
}

func (c fakeCodec) UnmarshalCode(ch proc.Chunk, b []byte) (any, error) {
	if bytes.HasPrefix(b, []byte("bad")) {
		return nil, errors.New("bad code")
	}
	return fakeCode{src: string(ch.Source())}, nil
}

// encodeT and decodeT are encodeFrame and decodeFrame for tests: chunks
// are resolved by the codec's own CodeCodec.
func (c *codec) encodeT(f *Frame) ([]byte, error) {
	b, _, err := c.encodeFrame(f)
	return b, err
}

func (c *codec) decodeT(b []byte) (*Frame, Kind, error) {
	return c.decodeFrame(b, c.localResolve)
}

func (c *codec) decodeValueT(b []byte) (proc.Value, error) {
	return c.decodeValue(b, c.localResolve)
}

func (c *codec) localResolve(keys []string) (map[string]proc.Chunk, error) {
	out := map[string]proc.Chunk{}
	for _, k := range keys {
		if ch := c.code.Chunk(k); ch != nil {
			out[k] = ch
		}
	}
	return out, nil
}

func testCodec(t testing.TB) *codec {
	t.Helper()
	c, err := newCodec(DefaultMaxMessageSize, DefaultMaxDepth, fakeCodec{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sameShape reports whether a and b are equal values with the same shape:
// a bijection between their tables and functions.
func sameShape(a, b proc.Value) error {
	m := map[any]any{}
	back := map[any]any{}
	var eq func(a, b proc.Value, path string) error
	eq = func(a, b proc.Value, path string) error {
		switch x := a.(type) {
		case *proc.Table:
			y, ok := b.(*proc.Table)
			if !ok {
				return fmt.Errorf("%s: %T vs %T", path, a, b)
			}
			if p, ok := m[x]; ok {
				if p != y {
					return fmt.Errorf("%s: sharing differs", path)
				}
				return nil
			}
			if _, ok := back[y]; ok {
				return fmt.Errorf("%s: sharing differs (decoded side)", path)
			}
			m[x], back[y] = y, x
			if len(x.Array) != len(y.Array) || len(x.Hash) != len(y.Hash) {
				return fmt.Errorf("%s: sizes differ", path)
			}
			for i := range x.Array {
				if err := eq(x.Array[i], y.Array[i], fmt.Sprintf("%s[%d]", path, i+1)); err != nil {
					return err
				}
			}
			for i := range x.Hash {
				if err := eq(x.Hash[i].Key, y.Hash[i].Key, path+".key"); err != nil {
					return err
				}
				if err := eq(x.Hash[i].Val, y.Hash[i].Val, fmt.Sprintf("%s.%v", path, x.Hash[i].Key)); err != nil {
					return err
				}
			}
			return nil
		case *proc.Func:
			y, ok := b.(*proc.Func)
			if !ok {
				return fmt.Errorf("%s: %T vs %T", path, a, b)
			}
			if p, ok := m[x]; ok {
				if p != y {
					return fmt.Errorf("%s: sharing differs", path)
				}
				return nil
			}
			if _, ok := back[y]; ok {
				return fmt.Errorf("%s: sharing differs (decoded side)", path)
			}
			m[x], back[y] = y, x
			if x.Name != y.Name || !reflect.DeepEqual(x.Code, y.Code) || len(x.Upvalues) != len(y.Upvalues) {
				return fmt.Errorf("%s: function differs: %+v vs %+v", path, x, y)
			}
			for i := range x.Upvalues {
				cx, cy := x.Upvalues[i], y.Upvalues[i]
				p := fmt.Sprintf("%s^%d", path, i)
				if q, ok := m[cx]; ok {
					if q != cy {
						return fmt.Errorf("%s: cell sharing differs", p)
					}
					continue
				}
				if _, ok := back[cy]; ok {
					return fmt.Errorf("%s: cell sharing differs (decoded side)", p)
				}
				m[cx], back[cy] = cy, cx
				if err := eq(cx.V, cy.V, p); err != nil {
					return err
				}
			}
			return nil
		case float64:
			y, ok := b.(float64)
			if !ok || !(x == y && math.Signbit(x) == math.Signbit(y) || math.IsNaN(x) && math.IsNaN(y)) {
				return fmt.Errorf("%s: %v vs %v", path, a, b)
			}
			return nil
		}
		if a != b {
			return fmt.Errorf("%s: %#v vs %#v", path, a, b)
		}
		return nil
	}
	return eq(a, b, "v")
}

func sameFrame(a, b *Frame) error {
	if a.Kind != b.Kind || a.From != b.From || a.To != b.To || a.PID != b.PID || a.Ref != b.Ref ||
		a.Name != b.Name || a.Seq != b.Seq || !reflect.DeepEqual(a.Nodes, b.Nodes) || len(a.Args) != len(b.Args) {
		return fmt.Errorf("fields differ:\n%+v\n%+v", a, b)
	}
	// All values of a frame are one graph: compare them as one table.
	all := func(f *Frame) *proc.Table {
		t := &proc.Table{Array: []proc.Value{f.Msg, f.Opts, f.Reason}}
		t.Array = append(t.Array, f.Args...)
		return t
	}
	return sameShape(all(a), all(b))
}

func tbl(array ...proc.Value) *proc.Table { return &proc.Table{Array: array} }

// cells returns a cell for each value.
func cells(vs ...proc.Value) []*proc.Cell {
	cs := make([]*proc.Cell, len(vs))
	for i, v := range vs {
		cs[i] = &proc.Cell{V: v}
	}
	return cs
}

func TestCodecRoundTrip(t *testing.T) {
	pid := proc.PID{Node: "a", ID: 7, Creation: 3}
	ref := proc.Ref{Node: "b", ID: 1 << 40, Creation: math.MaxUint32}

	cyclic := &proc.Table{}
	cyclic.Hash = []proc.Field{{Key: "self", Val: cyclic}, {Key: cyclic, Val: "key is the table"}}

	shared := tbl("shared")
	sharing := tbl(shared, shared, &proc.Table{Hash: []proc.Field{{Key: "again", Val: shared}}})

	ring := []*proc.Table{{}, {}, {}}
	for i, r := range ring {
		r.Array = []proc.Value{ring[(i+1)%3]}
	}

	rec := &proc.Func{Code: fakeCode{"function f(n) return f(n-1) end"}}
	rec.Upvalues = cells(rec, tbl(rec, 1.0))
	builtin := &proc.Func{Name: "string.format"}
	counter := &proc.Cell{V: 0.0} // one variable captured by two closures
	twoClosures := tbl(&proc.Func{Code: fakeCode{"inc"}, Upvalues: []*proc.Cell{counter, {V: shared}}},
		&proc.Func{Code: fakeCode{"get"}, Upvalues: []*proc.Cell{counter, {V: shared}}})

	deep := proc.Value("bottom")
	for range DefaultMaxDepth {
		deep = tbl(deep)
	}

	tests := []struct {
		name string
		f    *Frame
	}{
		{"nil", &Frame{Kind: KindSend, To: pid}},
		{"scalars", &Frame{Kind: KindSend, Msg: tbl(true, false, 0.0, math.Copysign(0, -1), 1.5, 1e300, -7.0,
			math.Inf(1), math.Inf(-1), math.NaN(), float64(1<<53), math.SmallestNonzeroFloat64)}},
		{"strings", &Frame{Kind: KindSend, Msg: tbl("", "hello", "\xff\xfe not utf-8 \x00", strings.Repeat("x", 100000))}},
		{"pids and refs", &Frame{Kind: KindSend, Msg: tbl(pid, ref, proc.PID{}, proc.Ref{})}},
		{"array holes", &Frame{Kind: KindSend, Msg: tbl(nil, 1.0, nil)}},
		{"hash keys", &Frame{Kind: KindSend, Msg: &proc.Table{Hash: []proc.Field{
			{Key: "k", Val: 1.0}, {Key: 2.5, Val: "v"}, {Key: true, Val: pid}, {Key: pid, Val: ref}, {Key: tbl(), Val: tbl()}}}}},
		{"cycle", &Frame{Kind: KindSend, Msg: cyclic}},
		{"shared subtables", &Frame{Kind: KindSend, Msg: sharing}},
		{"ring", &Frame{Kind: KindSend, Msg: ring[0]}},
		{"recursive function", &Frame{Kind: KindSend, Msg: rec}},
		{"builtin by name", &Frame{Kind: KindSend, Msg: builtin}},
		{"closures sharing a variable", &Frame{Kind: KindSend, Msg: twoClosures}},
		{"nil upvalue", &Frame{Kind: KindSend, Msg: &proc.Func{Code: fakeCode{"f"}, Upvalues: cells(nil, false)}}},
		{"max depth", &Frame{Kind: KindSend, Msg: deep}},
		{"spawn shares across args", &Frame{Kind: KindSpawnRequest, From: pid, Ref: ref, Msg: rec,
			Args: []proc.Value{shared, shared, sharing, nil, "s"}, Opts: &proc.Table{Hash: []proc.Field{{Key: "link", Val: true}}}}},
		{"spawn by module name", &Frame{Kind: KindSpawnRequest, From: pid, Ref: ref, Msg: "mod.fn"}},
		{"exit", &Frame{Kind: KindExit, From: pid, To: pid, Reason: "killed"}},
		{"down with table reason", &Frame{Kind: KindDown, From: pid, To: pid, Ref: ref, Reason: tbl("err", cyclic)}},
		{"global", &Frame{Kind: KindGlobalRegister, From: pid, PID: pid, Ref: ref, Name: "\x00any bytes\xff"}},
		{"spawn reply", &Frame{Kind: KindSpawnReply, To: pid, Ref: ref, PID: pid}},
		{"nodes", &Frame{Kind: KindNodes, Nodes: []NodeAddr{{Name: "a", Addr: "127.0.0.1:1"}, {Name: "b", Addr: "[::1]:2"}}}},
		{"ping", &Frame{Kind: KindPing, Seq: math.MaxUint64}},
	}
	c := testCodec(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := c.encodeT(tt.f)
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			g, kind, err := c.decodeT(b)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if kind != tt.f.Kind {
				t.Errorf("kind %v, want %v", kind, tt.f.Kind)
			}
			if err := sameFrame(tt.f, g); err != nil {
				t.Error(err)
			}
			b2, err := c.encodeT(g)
			if err != nil {
				t.Fatalf("re-encode: %v", err)
			}
			if !bytes.Equal(b, b2) {
				t.Errorf("re-encoding differs")
			}
		})
	}
}

func TestCodecSmallFrame(t *testing.T) {
	c := testCodec(t)
	b, err := c.encodeT(&Frame{Kind: KindSend, From: proc.PID{Node: "a", ID: 1, Creation: 1},
		To: proc.PID{Node: "b", ID: 2, Creation: 1}, Msg: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 32 {
		t.Errorf("a small send frame takes %d bytes: % x", len(b), b)
	}
}

func TestCodecEncodeErrors(t *testing.T) {
	deep := proc.Value(nil)
	for range DefaultMaxDepth + 1 {
		deep = tbl(deep)
	}
	tests := []struct {
		name  string
		codec proc.CodeCodec
		f     *Frame
		want  error
	}{
		{"int", fakeCodec{}, &Frame{Kind: KindSend, Msg: 1}, ErrUnsendable},
		{"map", fakeCodec{}, &Frame{Kind: KindSend, Msg: tbl(map[string]int{})}, ErrUnsendable},
		{"nil table", fakeCodec{}, &Frame{Kind: KindSend, Msg: (*proc.Table)(nil)}, ErrUnsendable},
		{"nil key", fakeCodec{}, &Frame{Kind: KindSend, Msg: &proc.Table{Hash: []proc.Field{{Key: nil, Val: 1.0}}}}, ErrUnsendable},
		{"NaN key", fakeCodec{}, &Frame{Kind: KindSend, Msg: &proc.Table{Hash: []proc.Field{{Key: math.NaN(), Val: 1.0}}}}, ErrUnsendable},
		{"code without codec", nil, &Frame{Kind: KindSend, Msg: &proc.Func{Code: fakeCode{"x"}}}, ErrUnsendable},
		{"code the codec refuses", fakeCodec{}, &Frame{Kind: KindSend, Msg: &proc.Func{Code: 42}}, ErrUnsendable},
		{"function without code or name", fakeCodec{}, &Frame{Kind: KindSend, Msg: &proc.Func{}}, ErrUnsendable},
		{"nil cell", fakeCodec{}, &Frame{Kind: KindSend, Msg: &proc.Func{Name: "f", Upvalues: []*proc.Cell{nil}}}, ErrUnsendable},
		{"too deep", fakeCodec{}, &Frame{Kind: KindSend, Msg: deep}, ErrTooDeep},
		{"too big", fakeCodec{}, &Frame{Kind: KindSend, Msg: strings.Repeat("x", 1<<20)}, ErrFrameTooBig},
		{"unknown kind", fakeCodec{}, &Frame{Kind: 200}, ErrUnknownKind},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := newCodec(1<<20, DefaultMaxDepth, tt.codec)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.encodeT(tt.f)
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("builtin without codec", func(t *testing.T) {
		c, _ := newCodec(DefaultMaxFrameSize, DefaultMaxDepth, nil)
		if _, err := c.encodeT(&Frame{Kind: KindSend, Msg: &proc.Func{Name: "print"}}); err != nil {
			t.Error(err)
		}
	})
}

// rawFrame encodes an arbitrary map as a frame body.
func rawFrame(t testing.TB, m map[int]any) []byte {
	t.Helper()
	em, err := cbor.EncOptions{String: cbor.StringToByteString}.EncMode()
	if err != nil {
		t.Fatal(err)
	}
	b, err := em.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func objRef(i uint64) uint64 { return i }
func table(array, hash []any) []any {
	return []any{objTable, array, hash, "", nil, nil}
}

func TestCodecDecodeErrors(t *testing.T) {
	// A chain of DefaultMaxDepth+1 tables, each holding the next.
	var chain []any
	for i := range DefaultMaxDepth + 1 {
		if i == DefaultMaxDepth {
			chain = append(chain, table(nil, nil))
		} else {
			chain = append(chain, table([]any{objRef(uint64(i + 1))}, nil))
		}
	}
	nested := any("x")
	for range maxCBORNesting + 1 {
		nested = []any{nested}
	}
	pidTag := func(content any) cbor.Tag { return cbor.Tag{Number: tagPID, Content: content} }
	tests := []struct {
		name string
		body []byte
		want error
	}{
		{"empty", nil, ErrMalformed},
		{"garbage", []byte("\xff\x00garbage"), ErrMalformed},
		{"not a map", rawFrame(t, nil)[:0], ErrMalformed},
		{"truncated", rawFrame(t, map[int]any{1: 1, 7: "hello"})[:5], ErrMalformed},
		{"trailing bytes", append(rawFrame(t, map[int]any{1: 1}), 0), ErrMalformed},
		{"unknown kind", rawFrame(t, map[int]any{1: 99}), ErrUnknownKind},
		{"kind zero", rawFrame(t, map[int]any{1: 0}), ErrUnknownKind},
		{"kind overflow", rawFrame(t, map[int]any{1: 1000}), ErrMalformed},
		{"unknown field", rawFrame(t, map[int]any{1: 1, 99: 1}), ErrMalformed},
		{"duplicate key", []byte{0xa2, 0x01, 0x01, 0x01, 0x01}, ErrMalformed},
		{"indefinite length", []byte{0xbf, 0x01, 0x01, 0xff}, ErrMalformed},
		{"negative integer value", rawFrame(t, map[int]any{1: 1, 7: -5}), ErrMalformed},
		{"text string accepted", rawFrame(t, map[int]any{1: 1, 7: cbor.RawMessage{0x61, 'x'}}), nil},
		{"map value", rawFrame(t, map[int]any{1: 1, 7: map[int]int{1: 1}}), ErrMalformed},
		{"array value", rawFrame(t, map[int]any{1: 1, 7: []any{1.0}}), ErrMalformed},
		{"unknown tag", rawFrame(t, map[int]any{1: 1, 7: cbor.Tag{Number: 99, Content: 1}}), ErrMalformed},
		{"bignum", rawFrame(t, map[int]any{1: 1, 7: cbor.Tag{Number: 2, Content: []byte{1}}}), ErrMalformed},
		{"pid arity", rawFrame(t, map[int]any{1: 1, 7: pidTag([]any{"a", 1})}), ErrMalformed},
		{"pid creation overflow", rawFrame(t, map[int]any{1: 1, 7: pidTag([]any{"a", 1, uint64(1) << 40})}), ErrMalformed},
		{"pid node type", rawFrame(t, map[int]any{1: 1, 7: pidTag([]any{1, 1, 1})}), ErrMalformed},
		{"dangling reference", rawFrame(t, map[int]any{1: 1, 7: objRef(0)}), ErrMalformed},
		{"reference out of range", rawFrame(t, map[int]any{1: 1, 7: objRef(1), 11: []any{table(nil, nil)}}), ErrMalformed},
		{"unreachable object", rawFrame(t, map[int]any{1: 1, 11: []any{table(nil, nil)}}), ErrMalformed},
		{"unknown object type", rawFrame(t, map[int]any{1: 1, 7: objRef(0), 11: []any{[]any{7, nil, nil, "", nil, nil}}}), ErrMalformed},
		{"object arity", rawFrame(t, map[int]any{1: 1, 7: objRef(0), 11: []any{[]any{0, nil}}}), ErrMalformed},
		{"odd hash", rawFrame(t, map[int]any{1: 1, 7: objRef(0), 11: []any{table(nil, []any{"k"})}}), ErrMalformed},
		{"nil key", rawFrame(t, map[int]any{1: 1, 7: objRef(0), 11: []any{table(nil, []any{nil, 1.0})}}), ErrMalformed},
		{"NaN key", rawFrame(t, map[int]any{1: 1, 7: objRef(0), 11: []any{table(nil, []any{math.NaN(), 1.0})}}), ErrMalformed},
		{"function without code or name", rawFrame(t, map[int]any{1: 1, 7: objRef(0), 11: []any{[]any{objFunc, nil, nil, "", nil, nil}}}), ErrMalformed},
		{"function with hash", rawFrame(t, map[int]any{1: 1, 7: objRef(0), 11: []any{[]any{objFunc, nil, []any{}, "print", nil, nil}}}), ErrMalformed},
		{"code without chunk", rawFrame(t, map[int]any{1: 1, 7: objRef(0), 11: []any{[]any{objFunc, nil, nil, "", []byte("ref"), nil}}}), ErrMalformed},
		{"chunk without code", rawFrame(t, map[int]any{1: 1, 7: objRef(0), 11: []any{[]any{objFunc, nil, nil, "", nil, []byte("k:f")}}}), ErrMalformed},
		{"name and code", rawFrame(t, map[int]any{1: 1, 7: objRef(0), 11: []any{[]any{objFunc, nil, nil, "print", []byte("ref"), []byte("k:f")}}}), ErrMalformed},
		{"empty chunk key", rawFrame(t, map[int]any{1: 1, 7: objRef(0), 11: []any{[]any{objFunc, nil, nil, "", []byte("ref"), []byte{}}}}), ErrMalformed},
		{"long chunk key", rawFrame(t, map[int]any{1: 1, 7: objRef(0), 11: []any{[]any{objFunc, nil, nil, "", []byte("ref"), make([]byte, maxChunkKey+1)}}}), ErrMalformed},
		{"bad code", rawFrame(t, map[int]any{1: 1, 7: objRef(0), 11: []any{[]any{objFunc, nil, nil, "", []byte("bad"), []byte("k:f")}}}), ErrMalformed},
		{"unknown chunk", rawFrame(t, map[int]any{1: 1, 7: objRef(0), 11: []any{[]any{objFunc, nil, nil, "", []byte("ref"), []byte("x:f")}}}), ErrNoSource},
		{"table with chunk", rawFrame(t, map[int]any{1: 1, 7: objRef(0), 11: []any{[]any{objTable, nil, nil, "", nil, []byte("k:f")}}}), ErrMalformed},
		{"table with code", rawFrame(t, map[int]any{1: 1, 7: objRef(0), 11: []any{[]any{objTable, nil, nil, "", []byte("x"), nil}}}), ErrMalformed},
		{"too deep", rawFrame(t, map[int]any{1: 1, 7: objRef(0), 11: chain}), ErrTooDeep},
		{"cell as a value", rawFrame(t, map[int]any{1: 1, 7: objRef(0), 11: []any{[]any{objCell, []any{1.5}, nil, "", nil, nil}}}), ErrMalformed},
		{"cell of two values", rawFrame(t, map[int]any{1: 1, 7: objRef(0), 11: []any{
			[]any{objFunc, []any{objRef(1)}, nil, "f", nil, nil}, []any{objCell, []any{1.5, 2.5}, nil, "", nil, nil}}}), ErrMalformed},
		{"upvalue not a cell", rawFrame(t, map[int]any{1: 1, 7: objRef(0), 11: []any{
			[]any{objFunc, []any{1.5}, nil, "f", nil, nil}}}), ErrMalformed},
		{"upvalue out of range", rawFrame(t, map[int]any{1: 1, 7: objRef(0), 11: []any{
			[]any{objFunc, []any{objRef(7)}, nil, "f", nil, nil}}}), ErrMalformed},
		{"upvalue a table", rawFrame(t, map[int]any{1: 1, 7: objRef(0), 11: []any{
			[]any{objFunc, []any{objRef(1)}, nil, "f", nil, nil}, table(nil, nil)}}), ErrMalformed},
		{"cbor nesting", rawFrame(t, map[int]any{1: 1, 7: nested}), ErrTooDeep},
		{"too big", make([]byte, DefaultMaxMessageSize+1), ErrFrameTooBig},
		{"gossip in a send", rawFrame(t, map[int]any{1: 1, 13: []any{[]any{"a", "127.0.0.1:1"}}}), ErrMalformed},
		{"gossip bad name", rawFrame(t, map[int]any{1: int(KindNodes), 13: []any{[]any{"a b", "127.0.0.1:1"}}}), ErrMalformed},
		{"gossip bad addr", rawFrame(t, map[int]any{1: int(KindNodes), 13: []any{[]any{"a", "nowhere"}}}), ErrMalformed},
	}
	c := testCodec(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, err := c.decodeT(tt.body)
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v (frame %+v), want %v", err, f, tt.want)
			}
		})
	}
	t.Run("code without codec", func(t *testing.T) {
		c, _ := newCodec(DefaultMaxFrameSize, DefaultMaxDepth, nil)
		body := rawFrame(t, map[int]any{1: 1, 7: objRef(0), 11: []any{[]any{objFunc, nil, nil, "", []byte("x"), []byte("k:x")}}})
		if _, _, err := c.decodeT(body); !errors.Is(err, ErrMalformed) {
			t.Errorf("got %v", err)
		}
	})
}

// TestCodecDepthOrder checks that depth is counted as a recursive copier
// visiting values in order sees it: an object first reached shallow is not
// counted again when reached deeper later.
func TestCodecDepthOrder(t *testing.T) {
	c, err := newCodec(DefaultMaxFrameSize, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	leaf := tbl("leaf")
	ok := tbl(leaf, tbl(tbl(leaf))) // leaf first at depth 2; later at depth 4, already seen
	b, err := c.encodeT(&Frame{Kind: KindSend, Msg: ok})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.decodeT(b); err != nil {
		t.Fatal(err)
	}
	bad := tbl(tbl(tbl(leaf)), leaf) // leaf first at depth 4
	if _, err := c.encodeT(&Frame{Kind: KindSend, Msg: bad}); !errors.Is(err, ErrTooDeep) {
		t.Fatalf("encode: %v", err)
	}
}

// TestCodecDepthCells checks that upvalue cells add no level: a value in a
// cell is as deep as a field of a table would be.
func TestCodecDepthCells(t *testing.T) {
	strict, _ := newCodec(DefaultMaxFrameSize, 3, fakeCodec{})
	loose, _ := newCodec(DefaultMaxFrameSize, 10, fakeCodec{})
	ok := &proc.Func{Code: fakeCode{"f"}, Upvalues: cells(tbl(tbl("x")))} // depths 1, 2, 3
	bad := &proc.Func{Code: fakeCode{"f"}, Upvalues: cells(tbl(tbl(tbl())))}
	b, err := strict.encodeT(&Frame{Kind: KindSend, Msg: ok})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := strict.decodeT(b); err != nil {
		t.Fatal(err)
	}
	if _, err := strict.encodeT(&Frame{Kind: KindSend, Msg: bad}); !errors.Is(err, ErrTooDeep) {
		t.Fatalf("encode: %v", err)
	}
	b, err = loose.encodeT(&Frame{Kind: KindSend, Msg: bad})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := strict.decodeT(b); !errors.Is(err, ErrTooDeep) {
		t.Fatalf("decode: %v", err)
	}
}
