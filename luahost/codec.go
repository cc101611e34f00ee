package luahost

import (
	"encoding/binary"
	"errors"
	"fmt"

	lua "github.com/yuin/gopher-lua"

	"github.com/dlua/dlua/proc"
)

// Sending functions between nodes
//
// Codec is luahost's proc.CodeCodec. A Lua function crosses to another
// node as the source of its chunk and its place there, never as
// bytecode: the receiving node compiles the source itself, with its own
// compiler (which the handshake checked is the same: Compiler), so what
// runs there is what its own compiler makes of text, and no bytes from a
// peer ever reach the VM as instructions.
//
// A function's Code becomes a chunk (a proc.Chunk: the key is the
// SHA-256 of the chunk's name and source, Source is both) and a
// reference: a version byte (1), then the path from the chunk's main
// function to the function's prototype, as a uvarint count and a uvarint
// index into FunctionPrototypes for each level. The transport asks the
// sending node for the source of a key this node does not hold (Chunk,
// AddChunk), and UnmarshalCode returns a Code that the receiving process
// compiles when it first needs the function (see remoteProto), charged
// to that process like a load of the same source.

// Limits of a reference.
const (
	refVersion = 1
	maxRefPath = maxSyntaxLevels // functions nest no deeper than syntax
	maxRefSize = 1 + binary.MaxVarintLen32*(maxRefPath+1)
)

// ErrBadCode is wrapped by the errors about code that cannot cross: a
// function this node did not compile from source, a source that does not
// match its key, a reference to no function, a chunk that does not
// compile on the receiver.
var ErrBadCode = errors.New("luahost: bad function code")

// Codec is a Host's proc.CodeCodec (Host.Codec). It is safe for
// concurrent use.
type Codec struct {
	r *chunks
}

var _ proc.CodeCodec = Codec{}

// Codec returns the CodeCodec that carries the functions of h's processes
// to other nodes and back.
func (h *Host) Codec() Codec { return Codec{r: h.chunks} }

// Compiler names the compiler that turns sources into functions: the
// gopher-lua module version and dlua's own transform of a chunk.
func (Codec) Compiler() string { return compilerVersion() }

// MarshalCode returns the chunk of code (a *lua.FunctionProto this Host
// compiled, or a function received from another node) and its place.
func (c Codec) MarshalCode(code any) (proc.Chunk, []byte, error) {
	var loc protoLoc
	switch code := code.(type) {
	case *lua.FunctionProto:
		var ok bool
		if loc, ok = c.r.locate(code); !ok {
			return nil, nil, fmt.Errorf("%w: function of %s was not compiled from source here", ErrBadCode, code.SourceName)
		}
	case *remoteCode:
		loc = protoLoc{c: code.c, path: code.path}
	default:
		return nil, nil, fmt.Errorf("%w: code of type %T", ErrBadCode, code)
	}
	c.r.publish(loc.c)
	return loc.c, appendRef(nil, loc.path), nil
}

// Chunk returns the chunk of key if this node holds it.
func (c Codec) Chunk(key string) proc.Chunk {
	if ch := c.r.lookup(key); ch != nil {
		return ch
	}
	return nil
}

// AddChunk makes a chunk from the source a peer sent for key.
func (c Codec) AddChunk(key string, source []byte) (proc.Chunk, error) {
	ch, err := c.r.add(key, source)
	if err != nil {
		return nil, err
	}
	return ch, nil
}

// UnmarshalCode returns the Code of the function at ref in ch.
func (c Codec) UnmarshalCode(ch proc.Chunk, ref []byte) (any, error) {
	k, ok := ch.(*chunk)
	if !ok {
		return nil, fmt.Errorf("%w: chunk of type %T", ErrBadCode, ch)
	}
	path, err := parseRef(ref)
	if err != nil {
		return nil, err
	}
	return &remoteCode{c: k, path: path}, nil
}

func appendRef(b []byte, path []int) []byte {
	b = append(b, refVersion)
	b = binary.AppendUvarint(b, uint64(len(path)))
	for _, i := range path {
		b = binary.AppendUvarint(b, uint64(i))
	}
	return b
}

func parseRef(b []byte) ([]int, error) {
	if len(b) > maxRefSize || len(b) < 2 || b[0] != refVersion {
		return nil, fmt.Errorf("%w: bad reference", ErrBadCode)
	}
	b = b[1:]
	n, k := binary.Uvarint(b)
	if k <= 0 || n > maxRefPath {
		return nil, fmt.Errorf("%w: bad reference path", ErrBadCode)
	}
	b = b[k:]
	var path []int
	if n > 0 {
		path = make([]int, n)
	}
	for j := range path {
		i, k := binary.Uvarint(b)
		if k <= 0 || i >= maxInstructions {
			return nil, fmt.Errorf("%w: bad reference path", ErrBadCode)
		}
		path[j] = int(i)
		b = b[k:]
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%w: bad reference: %d extra bytes", ErrBadCode, len(b))
	}
	return path, nil
}

// maxInstructions bounds an index into FunctionPrototypes: the Bx field
// of CLOSURE has 18 bits.
const maxInstructions = 1 << 18

// remoteProto returns the prototype of a function received from another
// node, compiling its chunk under this process's limits if no process of
// the node holds it compiled; the process is charged as for a load of the
// source, and holds the compiled chunk like one it loaded.
func (s *state) remoteProto(rc *remoteCode, upvalues int) (*lua.FunctionProto, error) {
	r := s.host.chunks
	root, err := r.compiledFor(rc.c, func() {
		s.charge(len(rc.c.src) / 16)
		s.alloc(4 * len(rc.c.src))
	})
	if err != nil {
		return nil, fmt.Errorf("%w: function from another node: %w", ErrBadCode, err)
	}
	if s.protos == nil {
		s.protos = make(map[*lua.FunctionProto]int64)
	}
	if _, ok := s.protos[root]; !ok {
		s.protos[root] = protoSize(root)
	}
	p, err := protoAt(root, rc.path)
	if err != nil {
		return nil, err
	}
	if int(p.NumUpvalues) != upvalues {
		return nil, fmt.Errorf("%w: function at %v of %s has %d upvalues, %d were sent", ErrBadCode, rc.path, rc.c.name, p.NumUpvalues, upvalues)
	}
	return p, nil
}
