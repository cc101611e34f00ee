package quicnet

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"

	"github.com/fxamacker/cbor/v2"

	"github.com/dlua/dlua/proc"
)

// CBOR tags of pids and refs in values (first-come-first-served range of
// the IANA registry; private to this protocol).
const (
	tagPID = 40960 // [node, id, creation]
	tagRef = 40961 // [node, id, creation]
)

// Object types in the frame's object list.
const (
	objTable = 0
	objFunc  = 1
	objCell  = 2
)

// maxCBORNesting bounds the structural nesting of a frame's CBOR: frame
// map → object list → object → hash part → tag → pid array is six levels.
// Value nesting does not add CBOR nesting: tables and functions are
// objects, referenced by index.
const maxCBORNesting = 12

// wireID is a pid or a ref on the wire.
type wireID struct {
	_        struct{} `cbor:",toarray"`
	Node     string
	ID       uint64
	Creation uint32
}

// pidTag and refTag are a pid and a ref inside a value: registered with
// the codec's TagSet, they are encoded with their tag, and a tagged item
// decodes to them.
type pidTag struct {
	_        struct{} `cbor:",toarray"`
	Node     string
	ID       uint64
	Creation uint32
}

type refTag struct {
	_        struct{} `cbor:",toarray"`
	Node     string
	ID       uint64
	Creation uint32
}

// wireObj is a table (Type 0: Array, Hash as key, value, key, value...),
// a function (Type 1: Name, or Chunk and Code, and in Array the indexes
// of its upvalue cells) or a cell (Type 2: its value, alone in Array).
type wireObj struct {
	_     struct{} `cbor:",toarray"`
	Type  uint8
	Array []any
	Hash  []any
	Name  string
	Code  []byte // the function's place in its chunk (CodeCodec)
	Chunk []byte // the key of the function's chunk
}

// wireNode is a gossip entry.
type wireNode struct {
	_    struct{} `cbor:",toarray"`
	Name string
	Addr string
}

// wireFrame is a Frame on the wire: a CBOR map with small integer keys.
// Values (Msg, Args, Opts, Reason and everything in Objs) are CBOR items:
// null, bool, float, byte string (a Lua string), unsigned integer (the
// index of a table or function in Objs), or a tagged pid or ref.
type wireFrame struct {
	Kind   Kind       `cbor:"1,keyasint"`
	From   *wireID    `cbor:"2,keyasint,omitempty"`
	To     *wireID    `cbor:"3,keyasint,omitempty"`
	PID    *wireID    `cbor:"4,keyasint,omitempty"`
	Ref    *wireID    `cbor:"5,keyasint,omitempty"`
	Name   string     `cbor:"6,keyasint,omitempty"`
	Msg    any        `cbor:"7,keyasint,omitempty"`
	Args   []any      `cbor:"8,keyasint,omitempty"`
	Opts   any        `cbor:"9,keyasint,omitempty"`
	Reason any        `cbor:"10,keyasint,omitempty"`
	Objs   []wireObj  `cbor:"11,keyasint,omitempty"`
	Seq    uint64     `cbor:"12,keyasint,omitempty"`
	Nodes  []wireNode `cbor:"13,keyasint,omitempty"`
}

// codec encodes and decodes frames within a node's limits. It is
// immutable and safe for concurrent use.
type codec struct {
	enc      cbor.EncMode
	dec      cbor.DecMode
	maxFrame int // the largest body encodeFrame makes and decodeFrame takes
	maxDepth int
	code     proc.CodeCodec
}

// chunkResolver returns the chunks of keys, from this node or by asking
// the peer that sent them; an error closes that peer's connection.
type chunkResolver func(keys []string) (map[string]proc.Chunk, error)

// maxChunkKey bounds the key of a chunk on the wire.
const maxChunkKey = 64

func newCodec(maxFrame, maxDepth int, code proc.CodeCodec) (*codec, error) {
	tags := cbor.NewTagSet()
	opts := cbor.TagOptions{EncTag: cbor.EncTagRequired, DecTag: cbor.DecTagRequired}
	if err := tags.Add(opts, reflect.TypeFor[pidTag](), tagPID); err != nil {
		return nil, err
	}
	if err := tags.Add(opts, reflect.TypeFor[refTag](), tagRef); err != nil {
		return nil, err
	}
	enc, err := cbor.EncOptions{
		Sort:          cbor.SortNone,
		ShortestFloat: cbor.ShortestFloat16, // lossless: 1.0 takes 3 bytes
		IndefLength:   cbor.IndefLengthForbidden,
		String:        cbor.StringToByteString, // Lua strings are bytes
		TagsMd:        cbor.TagsAllowed,
	}.EncModeWithTags(tags)
	if err != nil {
		return nil, err
	}
	dec, err := cbor.DecOptions{
		DupMapKey:             cbor.DupMapKeyEnforcedAPF,
		MaxNestedLevels:       maxCBORNesting,
		MaxArrayElements:      max(16, maxFrame),
		MaxMapPairs:           16,
		IndefLength:           cbor.IndefLengthForbidden,
		TagsMd:                cbor.TagsAllowed,
		ExtraReturnErrors:     cbor.ExtraDecErrorUnknownField,
		DefaultByteStringType: reflect.TypeFor[string](),
		ByteStringToString:    cbor.ByteStringToStringAllowed,
		BignumTag:             cbor.BignumTagForbidden,
	}.DecModeWithTags(tags)
	if err != nil {
		return nil, err
	}
	return &codec{enc: enc, dec: dec, maxFrame: maxFrame, maxDepth: maxDepth, code: code}, nil
}

// encodeFrame returns the body of f on the wire (without the length
// prefix), and the chunks of the functions in it (which the peer may ask
// for). Its errors wrap ErrFrameTooBig, ErrTooDeep or ErrUnsendable.
func (c *codec) encodeFrame(f *Frame) ([]byte, []proc.Chunk, error) {
	b, g, err := c.encode(f)
	if err != nil {
		return nil, nil, err
	}
	return b, g.chunks, nil
}

// encodeInternal encodes a frame that carries no functions.
func (c *codec) encodeInternal(f *Frame) ([]byte, error) {
	b, _, err := c.encode(f)
	return b, err
}

func (c *codec) encode(f *Frame) ([]byte, *graphEncoder, error) {
	b, g, err := c.encodeWire(f)
	if err != nil {
		return nil, nil, err
	}
	if len(b) > c.maxFrame {
		return nil, nil, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooBig, len(b), c.maxFrame)
	}
	return b, g, nil
}

func (c *codec) encodeWire(f *Frame) ([]byte, *graphEncoder, error) {
	if !f.Kind.Valid() {
		return nil, nil, fmt.Errorf("%w: %v", ErrUnknownKind, f.Kind)
	}
	w := wireFrame{
		Kind: f.Kind,
		From: toWireID(f.From.Node, f.From.ID, f.From.Creation),
		To:   toWireID(f.To.Node, f.To.ID, f.To.Creation),
		PID:  toWireID(f.PID.Node, f.PID.ID, f.PID.Creation),
		Ref:  toWireID(f.Ref.Node, f.Ref.ID, f.Ref.Creation),
		Name: f.Name,
		Seq:  f.Seq,
	}
	g := &graphEncoder{code: c.code, maxDepth: c.maxDepth}
	var err error
	if w.Msg, err = g.value(f.Msg, 0); err != nil {
		return nil, nil, err
	}
	if len(f.Args) > 0 {
		w.Args = make([]any, len(f.Args))
		for i, a := range f.Args {
			if w.Args[i], err = g.value(a, 0); err != nil {
				return nil, nil, err
			}
		}
	}
	if w.Opts, err = g.value(f.Opts, 0); err != nil {
		return nil, nil, err
	}
	if w.Reason, err = g.value(f.Reason, 0); err != nil {
		return nil, nil, err
	}
	w.Objs = g.objs
	if len(f.Nodes) > 0 {
		w.Nodes = make([]wireNode, len(f.Nodes))
		for i, n := range f.Nodes {
			w.Nodes[i] = wireNode{Name: n.Name, Addr: n.Addr}
		}
	}
	b, err := c.enc.Marshal(&w)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrUnsendable, err)
	}
	return b, g, nil
}

func toWireID(node string, id uint64, creation uint32) *wireID {
	if node == "" && id == 0 && creation == 0 {
		return nil
	}
	return &wireID{Node: node, ID: id, Creation: creation}
}

// graphEncoder turns Values into CBOR items, collecting tables and
// functions in objs in depth-first pre-order: the first visit of an
// object gives its index, later visits refer to it.
type graphEncoder struct {
	small    [8]any         // the first objects, found by a linear search
	ids      map[any]uint64 // all objects, once there are more than len(small)
	objs     []wireObj
	code     proc.CodeCodec
	maxDepth int
	chunks   []proc.Chunk // of the functions met, each once
}

// value encodes v, found at depth (the number of tables and functions
// around it).
func (g *graphEncoder) value(v proc.Value, depth int) (any, error) {
	switch v := v.(type) {
	case nil, bool, float64, string:
		return v, nil
	case proc.PID:
		return pidTag{Node: v.Node, ID: v.ID, Creation: v.Creation}, nil
	case proc.Ref:
		return refTag{Node: v.Node, ID: v.ID, Creation: v.Creation}, nil
	case *proc.Table:
		if v == nil {
			return nil, fmt.Errorf("%w: nil *proc.Table", ErrUnsendable)
		}
		if id, ok := g.lookup(v); ok {
			return id, nil
		}
		id, err := g.enter(v, depth)
		if err != nil {
			return nil, err
		}
		o := wireObj{Type: objTable}
		if len(v.Array) > 0 {
			o.Array = make([]any, len(v.Array))
			for i, x := range v.Array {
				if o.Array[i], err = g.value(x, depth+1); err != nil {
					return nil, err
				}
			}
		}
		if len(v.Hash) > 0 {
			o.Hash = make([]any, 2*len(v.Hash))
			for i, f := range v.Hash {
				if f.Key == nil {
					return nil, fmt.Errorf("%w: nil table key", ErrUnsendable)
				}
				if x, ok := f.Key.(float64); ok && math.IsNaN(x) {
					return nil, fmt.Errorf("%w: NaN table key", ErrUnsendable)
				}
				if o.Hash[2*i], err = g.value(f.Key, depth+1); err != nil {
					return nil, err
				}
				if o.Hash[2*i+1], err = g.value(f.Val, depth+1); err != nil {
					return nil, err
				}
			}
		}
		g.objs[id] = o
		return id, nil
	case *proc.Func:
		if v == nil {
			return nil, fmt.Errorf("%w: nil *proc.Func", ErrUnsendable)
		}
		if id, ok := g.lookup(v); ok {
			return id, nil
		}
		id, err := g.enter(v, depth)
		if err != nil {
			return nil, err
		}
		o := wireObj{Type: objFunc, Name: v.Name}
		switch {
		case v.Code != nil && g.code == nil:
			return nil, fmt.Errorf("%w: function code and no CodeCodec", ErrUnsendable)
		case v.Code != nil:
			ch, ref, err := g.marshalCode(v.Code)
			if err != nil {
				return nil, fmt.Errorf("%w: function code: %w", ErrUnsendable, err)
			}
			o.Code, o.Chunk = ref, []byte(ch.Key())
			if o.Code == nil {
				o.Code = []byte{}
			}
		case v.Name == "":
			return nil, fmt.Errorf("%w: function with neither code nor name", ErrUnsendable)
		}
		if len(v.Upvalues) > 0 {
			o.Array = make([]any, len(v.Upvalues))
			for i, c := range v.Upvalues {
				if c == nil {
					return nil, fmt.Errorf("%w: nil upvalue cell", ErrUnsendable)
				}
				if o.Array[i], err = g.cell(c, depth+1); err != nil {
					return nil, err
				}
			}
		}
		g.objs[id] = o
		return id, nil
	}
	return nil, fmt.Errorf("%w: %T", ErrUnsendable, v)
}

// marshalCode asks the CodeCodec for a function's chunk and place, and
// notes the chunk.
func (g *graphEncoder) marshalCode(code any) (proc.Chunk, []byte, error) {
	ch, ref, err := g.code.MarshalCode(code)
	if err != nil {
		return nil, nil, err
	}
	if ch == nil || ch.Key() == "" || len(ch.Key()) > maxChunkKey {
		return nil, nil, errors.New("CodeCodec gave no chunk key")
	}
	for _, c := range g.chunks {
		if c.Key() == ch.Key() {
			return ch, ref, nil
		}
	}
	g.chunks = append(g.chunks, ch)
	return ch, ref, nil
}

// cell encodes an upvalue cell, whose value is at depth. A cell adds no
// level: its value is as deep as a table's field would be.
func (g *graphEncoder) cell(c *proc.Cell, depth int) (any, error) {
	if id, ok := g.lookup(c); ok {
		return id, nil
	}
	id := g.add(c)
	x, err := g.value(c.V, depth)
	if err != nil {
		return nil, err
	}
	g.objs[id] = wireObj{Type: objCell, Array: []any{x}}
	return id, nil
}

// lookup returns the index of an object already entered.
func (g *graphEncoder) lookup(p any) (uint64, bool) {
	if g.ids != nil {
		id, ok := g.ids[p]
		return id, ok
	}
	for i := range min(len(g.objs), len(g.small)) {
		if g.small[i] == p {
			return uint64(i), true
		}
	}
	return 0, false
}

// enter gives the table or function p, found at depth, its index.
func (g *graphEncoder) enter(p any, depth int) (uint64, error) {
	if depth+1 > g.maxDepth {
		return 0, fmt.Errorf("%w: more than %d levels", ErrTooDeep, g.maxDepth)
	}
	return g.add(p), nil
}

// add gives the object p its index.
func (g *graphEncoder) add(p any) uint64 {
	id := uint64(len(g.objs))
	switch {
	case g.ids != nil:
		g.ids[p] = id
	case id < uint64(len(g.small)):
		g.small[id] = p
	default:
		g.ids = make(map[any]uint64, 2*len(g.small))
		for i, q := range g.small {
			g.ids[q] = uint64(i)
		}
		g.ids[p] = id
	}
	g.objs = append(g.objs, wireObj{})
	return id
}

// decodeFrame decodes a frame body, with resolve finding the chunks of
// its functions (nil: none can be found). Its errors wrap ErrMalformed,
// ErrUnknownKind, ErrTooDeep or ErrFrameTooBig, or are resolve's; the
// returned kind is the frame's kind when it could be read.
func (c *codec) decodeFrame(b []byte, resolve chunkResolver) (*Frame, Kind, error) {
	if len(b) > c.maxFrame {
		return nil, 0, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooBig, len(b), c.maxFrame)
	}
	var w wireFrame
	if err := c.dec.Unmarshal(b, &w); err != nil {
		var nest *cbor.MaxNestedLevelError
		if errors.As(err, &nest) {
			return nil, 0, fmt.Errorf("%w: %w", ErrTooDeep, err)
		}
		return nil, 0, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if !w.Kind.Valid() {
		return nil, w.Kind, fmt.Errorf("%w: %d", ErrUnknownKind, w.Kind)
	}
	f := &Frame{Kind: w.Kind, Name: w.Name, Seq: w.Seq}
	f.From = proc.PID(fromWireID(w.From))
	f.To = proc.PID(fromWireID(w.To))
	f.PID = proc.PID(fromWireID(w.PID))
	f.Ref = proc.Ref(fromWireID(w.Ref))
	g := graphDecoder{wire: w.Objs, code: c.code, resolve: resolve}
	if err := g.objects(); err != nil {
		return nil, w.Kind, err
	}
	var err error
	if f.Msg, err = g.value(w.Msg); err != nil {
		return nil, w.Kind, err
	}
	if len(w.Args) > 0 {
		f.Args = make([]proc.Value, len(w.Args))
		for i, a := range w.Args {
			if f.Args[i], err = g.value(a); err != nil {
				return nil, w.Kind, err
			}
		}
	}
	if f.Opts, err = g.value(w.Opts); err != nil {
		return nil, w.Kind, err
	}
	if f.Reason, err = g.value(w.Reason); err != nil {
		return nil, w.Kind, err
	}
	if len(w.Objs) > 0 {
		roots := make([]any, 0, 3+len(w.Args))
		roots = append(roots, w.Msg)
		roots = append(roots, w.Args...)
		roots = append(roots, w.Opts, w.Reason)
		if err := g.checkShape(roots, c.maxDepth); err != nil {
			return nil, w.Kind, err
		}
	}
	if len(w.Nodes) > 0 {
		if w.Kind != KindNodes {
			return nil, w.Kind, fmt.Errorf("%w: gossip in a %v frame", ErrMalformed, w.Kind)
		}
		f.Nodes = make([]NodeAddr, len(w.Nodes))
		for i, n := range w.Nodes {
			if err := validName(n.Name); err != nil {
				return nil, w.Kind, fmt.Errorf("%w: gossip: node name: %w", ErrMalformed, err)
			}
			if err := validAddr(n.Addr); err != nil {
				return nil, w.Kind, fmt.Errorf("%w: gossip: address of %s: %w", ErrMalformed, n.Name, err)
			}
			f.Nodes[i] = NodeAddr{Name: n.Name, Addr: n.Addr}
		}
	}
	return f, w.Kind, nil
}

// wireValue is one value on its own, with its objects: what
// encodeValue and decodeValue read and write (the fuzz target of the value
// decoder, and a building block for other messages).
type wireValue struct {
	_    struct{} `cbor:",toarray"`
	Root any
	Objs []wireObj
}

// encodeValue encodes one value as a wireValue.
func (c *codec) encodeValue(v proc.Value) ([]byte, error) {
	g := &graphEncoder{code: c.code, maxDepth: c.maxDepth}
	root, err := g.value(v, 0)
	if err != nil {
		return nil, err
	}
	b, err := c.enc.Marshal(&wireValue{Root: root, Objs: g.objs})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnsendable, err)
	}
	if len(b) > c.maxFrame {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooBig, len(b), c.maxFrame)
	}
	return b, nil
}

// decodeValue decodes a wireValue, with the limits of a frame.
func (c *codec) decodeValue(b []byte, resolve chunkResolver) (proc.Value, error) {
	if len(b) > c.maxFrame {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooBig, len(b), c.maxFrame)
	}
	var w wireValue
	if err := c.dec.Unmarshal(b, &w); err != nil {
		var nest *cbor.MaxNestedLevelError
		if errors.As(err, &nest) {
			return nil, fmt.Errorf("%w: %w", ErrTooDeep, err)
		}
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	g := graphDecoder{wire: w.Objs, code: c.code, resolve: resolve}
	if err := g.objects(); err != nil {
		return nil, err
	}
	v, err := g.value(w.Root)
	if err != nil {
		return nil, err
	}
	if err := g.checkShape([]any{w.Root}, c.maxDepth); err != nil {
		return nil, err
	}
	return v, nil
}

type idFields struct {
	Node     string
	ID       uint64
	Creation uint32
}

func fromWireID(w *wireID) idFields {
	if w == nil {
		return idFields{}
	}
	return idFields{Node: w.Node, ID: w.ID, Creation: w.Creation}
}

// graphDecoder turns CBOR items back into Values, resolving object
// indexes.
type graphDecoder struct {
	wire    []wireObj
	objs    []any // *proc.Table or *proc.Func, by index
	code    proc.CodeCodec
	resolve chunkResolver
	chunks  map[string]proc.Chunk
}

// objects makes every object, then fills them (so that references may
// point forwards and backwards).
func (g *graphDecoder) objects() error {
	if len(g.wire) == 0 {
		return nil
	}
	g.objs = make([]any, len(g.wire))
	for i, o := range g.wire {
		switch o.Type {
		case objTable:
			if o.Name != "" || o.Code != nil || o.Chunk != nil {
				return fmt.Errorf("%w: object %d: table with a name or code", ErrMalformed, i)
			}
			g.objs[i] = &proc.Table{}
		case objFunc:
			if o.Hash != nil {
				return fmt.Errorf("%w: object %d: function with a hash part", ErrMalformed, i)
			}
			if o.Code == nil && o.Name == "" {
				return fmt.Errorf("%w: object %d: function with neither code nor name", ErrMalformed, i)
			}
			if (o.Code == nil) != (o.Chunk == nil) || o.Code != nil && o.Name != "" {
				return fmt.Errorf("%w: object %d: function with a name and code, or code and no chunk", ErrMalformed, i)
			}
			if o.Chunk != nil && (len(o.Chunk) == 0 || len(o.Chunk) > maxChunkKey) {
				return fmt.Errorf("%w: object %d: chunk key of %d bytes", ErrMalformed, i, len(o.Chunk))
			}
			g.objs[i] = &proc.Func{Name: o.Name}
		case objCell:
			if len(o.Array) != 1 || o.Hash != nil || o.Name != "" || o.Code != nil || o.Chunk != nil {
				return fmt.Errorf("%w: object %d: cell not of one value", ErrMalformed, i)
			}
			g.objs[i] = &proc.Cell{}
		default:
			return fmt.Errorf("%w: object %d: unknown type %d", ErrMalformed, i, o.Type)
		}
	}
	if err := g.resolveChunks(); err != nil {
		return err
	}
	for i, o := range g.wire {
		var err error
		switch p := g.objs[i].(type) {
		case *proc.Table:
			if len(o.Array) > 0 {
				p.Array = make([]proc.Value, len(o.Array))
				for j, x := range o.Array {
					if p.Array[j], err = g.value(x); err != nil {
						return err
					}
				}
			}
			if len(o.Hash)%2 != 0 {
				return fmt.Errorf("%w: object %d: odd hash part", ErrMalformed, i)
			}
			if len(o.Hash) > 0 {
				p.Hash = make([]proc.Field, len(o.Hash)/2)
				for j := range p.Hash {
					k, err := g.value(o.Hash[2*j])
					if err != nil {
						return err
					}
					if k == nil {
						return fmt.Errorf("%w: object %d: nil key", ErrMalformed, i)
					}
					if x, ok := k.(float64); ok && math.IsNaN(x) {
						return fmt.Errorf("%w: object %d: NaN key", ErrMalformed, i)
					}
					v, err := g.value(o.Hash[2*j+1])
					if err != nil {
						return err
					}
					p.Hash[j] = proc.Field{Key: k, Val: v}
				}
			}
		case *proc.Func:
			if o.Code != nil {
				if g.code == nil {
					return fmt.Errorf("%w: object %d: function code and no CodeCodec", ErrMalformed, i)
				}
				if p.Code, err = g.unmarshalCode(g.chunks[string(o.Chunk)], o.Code); err != nil {
					return fmt.Errorf("%w: object %d: function code: %w", ErrMalformed, i, err)
				}
			}
			if len(o.Array) > 0 {
				p.Upvalues = make([]*proc.Cell, len(o.Array))
				for j, x := range o.Array {
					k, ok := x.(uint64)
					if ok = ok && k < uint64(len(g.objs)); ok {
						p.Upvalues[j], ok = g.objs[k].(*proc.Cell)
					}
					if !ok {
						return fmt.Errorf("%w: object %d: upvalue %d is not a cell", ErrMalformed, i, j)
					}
				}
			}
		case *proc.Cell:
			if p.V, err = g.value(o.Array[0]); err != nil {
				return err
			}
		}
	}
	return nil
}

// resolveChunks finds the chunk of every function of the frame, once
// each, before any function is made.
func (g *graphDecoder) resolveChunks() error {
	var keys []string
	for _, o := range g.wire {
		if o.Type != objFunc || o.Chunk == nil || slices.Contains(keys, string(o.Chunk)) {
			continue
		}
		keys = append(keys, string(o.Chunk))
	}
	if len(keys) == 0 {
		return nil
	}
	if g.code == nil || g.resolve == nil {
		return fmt.Errorf("%w: function code and no CodeCodec", ErrMalformed)
	}
	chunks, err := g.resolve(keys)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if chunks[k] == nil {
			return fmt.Errorf("%w: no source for a chunk", ErrNoSource)
		}
	}
	g.chunks = chunks
	return nil
}

// unmarshalCode calls the CodeCodec, turning a panic into an error: the
// bytes come from the network.
func (g *graphDecoder) unmarshalCode(ch proc.Chunk, b []byte) (code any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("CodeCodec panicked: %v", r)
		}
	}()
	code, err = g.code.UnmarshalCode(ch, b)
	if err == nil && code == nil {
		err = errors.New("CodeCodec returned no code")
	}
	return code, err
}

// value converts one CBOR item.
func (g *graphDecoder) value(x any) (proc.Value, error) {
	switch v := x.(type) {
	case nil, bool, float64, string:
		return v, nil
	case uint64:
		if v >= uint64(len(g.objs)) {
			return nil, fmt.Errorf("%w: reference to object %d of %d", ErrMalformed, v, len(g.objs))
		}
		if _, ok := g.objs[v].(*proc.Cell); ok {
			return nil, fmt.Errorf("%w: cell %d used as a value", ErrMalformed, v)
		}
		return g.objs[v], nil
	case pidTag:
		return proc.PID{Node: v.Node, ID: v.ID, Creation: v.Creation}, nil
	case refTag:
		return proc.Ref{Node: v.Node, ID: v.ID, Creation: v.Creation}, nil
	case cbor.Tag:
		return nil, fmt.Errorf("%w: unknown tag %d", ErrMalformed, v.Number)
	}
	return nil, fmt.Errorf("%w: unexpected %T in a value", ErrMalformed, x)
}

// checkShape walks the graph from the roots in the order a recursive copier
// would (roots in order; in a table its array part, then each key and
// value; in a function its upvalue cells, and in a cell its value), with
// one visited set for the whole frame. It fails if a table or function is
// first reached deeper than maxDepth (cells add no level), or if an object
// is not reachable at all. It works on the wire form (object
// references are indexes, already checked by value) and uses no recursion.
func (g *graphDecoder) checkShape(roots []any, maxDepth int) error {
	if len(g.wire) == 0 {
		return nil
	}
	type item struct {
		obj   int
		next  int // next child to visit
		depth int // tables and functions from the root to obj, obj included
	}
	var (
		seenBuf  [16]bool
		stackBuf [16]item
		seen     []bool
		stack    = stackBuf[:0]
		nseen    int
	)
	if len(g.wire) <= len(seenBuf) {
		seen = seenBuf[:len(g.wire)]
	} else {
		seen = make([]bool, len(g.wire))
	}
	for r := 0; r < len(roots) || len(stack) > 0; {
		// The next value to visit: a child of the object on top of the
		// stack, else the next root.
		var x any
		depth := 0 // of the parent of x
		if len(stack) > 0 {
			top := &stack[len(stack)-1]
			o := &g.wire[top.obj]
			switch i := top.next; {
			case i < len(o.Array):
				x = o.Array[i]
			case i-len(o.Array) < len(o.Hash):
				x = o.Hash[i-len(o.Array)]
			default:
				stack = stack[:len(stack)-1]
				continue
			}
			top.next++
			depth = top.depth
		} else {
			x = roots[r]
			r++
		}
		i, ok := x.(uint64) // an object: indexes were checked by value
		if !ok || seen[i] {
			continue
		}
		if g.wire[i].Type != objCell {
			depth++
		}
		if depth > maxDepth {
			return fmt.Errorf("%w: more than %d levels", ErrTooDeep, maxDepth)
		}
		seen[i] = true
		nseen++
		stack = append(stack, item{obj: int(i), depth: depth})
	}
	if nseen != len(g.wire) {
		return fmt.Errorf("%w: %d unreachable objects", ErrMalformed, len(g.wire)-nseen)
	}
	return nil
}
