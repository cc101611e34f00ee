package quicnet

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/dlua/dlua/proc"
)

var writeCorpus = flag.Bool("write-corpus", false, "rewrite the seed corpora in testdata/fuzz")

// decodeErrors are the errors the decoders may return.
var decodeErrors = []error{ErrMalformed, ErrUnknownKind, ErrTooDeep, ErrFrameTooBig, ErrNoSource}

func checkDecodeError(t *testing.T, err error) {
	t.Helper()
	for _, e := range decodeErrors {
		if errors.Is(err, e) {
			return
		}
	}
	t.Fatalf("decode error wraps no sentinel: %v", err)
}

// fuzzCodec is small enough that the fuzzer reaches the limits.
func fuzzCodec(t testing.TB) *codec {
	c, err := newCodec(64<<10, 8, fakeCodec{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// seedFrames are frames whose encodings seed FuzzDecodeFrame.
func seedFrames() map[string]*Frame {
	pid := proc.PID{Node: "a", ID: 7, Creation: 3}
	ref := proc.Ref{Node: "b", ID: 9, Creation: 4}
	cyc := &proc.Table{}
	cyc.Hash = []proc.Field{{Key: "self", Val: cyc}, {Key: 1.5, Val: pid}}
	shared := tbl("s")
	fn := &proc.Func{Code: fakeCode{"src"}}
	fn.Upvalues = cells(fn, shared)
	return map[string]*Frame{
		"send_string":   {Kind: KindSend, From: pid, To: pid, Msg: "hello"},
		"send_table":    {Kind: KindSend, To: pid, Msg: tbl(1.0, true, nil, "x", ref)},
		"send_cycle":    {Kind: KindSend, Msg: cyc},
		"send_shared":   {Kind: KindSend, Msg: tbl(shared, shared)},
		"send_func":     {Kind: KindSend, Msg: fn},
		"send_builtin":  {Kind: KindSend, Msg: &proc.Func{Name: "print"}},
		"send_name":     {Kind: KindSendName, From: pid, Name: "logger", Msg: math.Inf(-1)},
		"exit":          {Kind: KindExit, From: pid, To: pid, Reason: "kill"},
		"down":          {Kind: KindDown, From: pid, To: pid, Ref: ref, Reason: tbl("error", 42.0)},
		"spawn_request": {Kind: KindSpawnRequest, From: pid, Ref: ref, Msg: fn, Args: []proc.Value{shared, shared, 1.0}, Opts: &proc.Table{Hash: []proc.Field{{Key: "link", Val: true}}}},
		"spawn_reply":   {Kind: KindSpawnReply, To: pid, Ref: ref, PID: pid},
		"global":        {Kind: KindGlobalRegister, From: pid, Ref: ref, PID: pid, Name: "g"},
		"nodes":         {Kind: KindNodes, Nodes: []NodeAddr{{Name: "c", Addr: "127.0.0.1:7000"}}},
		"ping":          {Kind: KindPing, Seq: 12345},
	}
}

// seedValues are values whose encodings seed FuzzDecodeValue.
func seedValues() map[string]proc.Value {
	frames := seedFrames()
	vs := map[string]proc.Value{"nil": nil, "false": false, "float": -0.5, "string": "\xffbytes", "pid": proc.PID{Node: "n", ID: 1, Creation: 1}}
	for _, name := range []string{"send_table", "send_cycle", "send_shared", "send_func", "down"} {
		f := frames[name]
		if f.Msg != nil {
			vs[name] = f.Msg
		} else {
			vs[name] = f.Reason
		}
	}
	deep := proc.Value("x")
	for range 8 {
		deep = tbl(deep)
	}
	vs["deepest"] = deep
	return vs
}

// malformedSeeds are hand-made bad inputs.
func malformedSeeds(t testing.TB) map[string][]byte {
	return map[string][]byte{
		"garbage":       []byte("garbage"),
		"unknown_kind":  rawFrame(t, map[int]any{1: 99}),
		"dangling_ref":  rawFrame(t, map[int]any{1: 1, 7: objRef(3)}),
		"odd_hash":      rawFrame(t, map[int]any{1: 1, 7: objRef(0), 11: []any{table(nil, []any{"k"})}}),
		"unknown_field": rawFrame(t, map[int]any{1: 1, 42: 1}),
	}
}

// TestWriteSeedCorpus rewrites testdata/fuzz/Fuzz*/seed-* with
// -write-corpus.
func TestWriteSeedCorpus(t *testing.T) {
	if !*writeCorpus {
		t.Skip("run with -write-corpus to rewrite the seed corpora")
	}
	c := fuzzCodec(t)
	write := func(target, name string, b []byte) {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		data := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		if err := os.WriteFile(filepath.Join(dir, "seed-"+name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, f := range seedFrames() {
		b, err := c.encodeT(f)
		if err != nil {
			t.Fatal(name, err)
		}
		write("FuzzDecodeFrame", name, b)
	}
	for name, b := range malformedSeeds(t) {
		write("FuzzDecodeFrame", name, b)
	}
	for name, v := range seedValues() {
		b, err := c.encodeValue(v)
		if err != nil {
			t.Fatal(name, err)
		}
		write("FuzzDecodeValue", name, b)
	}
	em, _ := cbor.EncOptions{String: cbor.StringToByteString}.EncMode()
	bad, _ := em.Marshal([]any{objRef(0), []any{table([]any{objRef(0), objRef(1)}, nil)}})
	write("FuzzDecodeValue", "dangling_ref", bad)
}

// FuzzDecodeFrame: decoding never panics; it fails with a sentinel or
// returns a frame that encodes and decodes to the same shape.
func FuzzDecodeFrame(f *testing.F) {
	c := fuzzCodec(f)
	for _, fr := range seedFrames() {
		b, err := c.encodeT(fr)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, _, err := c.decodeT(b)
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		b2, err := c.encodeT(fr)
		if errors.Is(err, ErrFrameTooBig) {
			return
		}
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		fr2, _, err := c.decodeT(b2)
		if err != nil {
			t.Fatalf("decode of re-encoded frame: %v", err)
		}
		if err := sameFrame(fr, fr2); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzDecodeValue: the same for a value on its own.
func FuzzDecodeValue(f *testing.F) {
	c := fuzzCodec(f)
	for _, v := range seedValues() {
		b, err := c.encodeValue(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := c.decodeValueT(b)
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		b2, err := c.encodeValue(v)
		if errors.Is(err, ErrFrameTooBig) {
			return
		}
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		v2, err := c.decodeValueT(b2)
		if err != nil {
			t.Fatalf("decode of re-encoded value: %v", err)
		}
		if err := sameShape(v, v2); err != nil {
			t.Fatal(err)
		}
	})
}
