package luahost

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"weak"

	lua "github.com/yuin/gopher-lua"

	"github.com/dlua/dlua/proc"
)

// Chunks: the sources that functions were compiled from
//
// A Host remembers, for every prototype it compiled, the chunk (name and
// source) it came from and its place there (the path of indexes into
// FunctionPrototypes from the chunk's main function), so that a function
// can be sent to another node as its chunk's key and that path. The
// registry holds prototypes weakly: an entry lives as long as its
// prototype does, and a chunk as long as one of its prototypes, or a
// message or spawn request that carries one of its functions. Sources
// from peers (AddChunk) are compiled lazily, by the first process that
// needs one of their functions and under that process's limits; the
// compiled prototypes of the last keptChunks of them stay cached, so a
// stream of closures from one module is compiled once.

// keptChunks is how many compiled chunks from peers a Host keeps alive
// when no function of theirs is.
const keptChunks = 64

// maxChunkName bounds the name of a chunk that a peer sends.
const maxChunkName = 4096

// chunk is one compiled source. It implements proc.Chunk.
type chunk struct {
	name string
	src  string

	keyOnce sync.Once
	key     string // sha256 of Source(), computed when first sent

	mu    sync.Mutex
	proto weak.Pointer[lua.FunctionProto] // compiled main function
}

// Key returns the chunk's content hash.
func (c *chunk) Key() string {
	c.keyOnce.Do(func() { c.key = keyOf(c.Source()) })
	return c.key
}

// keyOf returns the key of a chunk whose Source is source.
func keyOf(source []byte) string {
	sum := sha256.Sum256(source)
	return string(sum[:])
}

// Size returns the length of Source.
func (c *chunk) Size() int { return binary.MaxVarintLen64 + len(c.name) + len(c.src) }

// Source returns the name and source as a peer receives them: uvarint
// length of the name, the name, the source.
func (c *chunk) Source() []byte {
	b := make([]byte, 0, c.Size())
	b = binary.AppendUvarint(b, uint64(len(c.name)))
	b = append(b, c.name...)
	return append(b, c.src...)
}

// parseSource splits what Source made.
func parseSource(b []byte) (name, src string, err error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > maxChunkName || n > uint64(len(b)-k) {
		return "", "", errors.New("bad chunk name")
	}
	return string(b[k : k+int(n)]), string(b[k+int(n):]), nil
}

// protoLoc is the place of a prototype: its chunk and its path there.
type protoLoc struct {
	c    *chunk
	path []int
}

// chunks is a Host's registry. Its methods are safe for concurrent use.
type chunks struct {
	mu      sync.Mutex
	byKey   map[string]weak.Pointer[chunk]
	byProto map[weak.Pointer[lua.FunctionProto]]protoLoc
	kept    [keptChunks]*lua.FunctionProto // compiled chunks from peers, a ring
	next    int
}

func newChunks() *chunks {
	return &chunks{
		byKey:   make(map[string]weak.Pointer[chunk]),
		byProto: make(map[weak.Pointer[lua.FunctionProto]]protoLoc),
	}
}

// register records the chunk of src, named name, whose main function
// compiled to root.
func (r *chunks) register(src, name string, root *lua.FunctionProto) {
	r.attach(&chunk{name: name, src: src}, root)
}

// attach records root, and every prototype nested in it, as compiled from c.
func (r *chunks) attach(c *chunk, root *lua.FunctionProto) {
	c.mu.Lock()
	c.proto = weak.Make(root)
	c.mu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	var walk func(p *lua.FunctionProto, path []int)
	walk = func(p *lua.FunctionProto, path []int) {
		wp := weak.Make(p)
		r.byProto[wp] = protoLoc{c: c, path: path}
		runtime.AddCleanup(p, r.forgetProto, wp)
		for i, q := range p.FunctionPrototypes {
			walk(q, append(path[:len(path):len(path)], i))
		}
	}
	walk(root, nil)
}

func (r *chunks) forgetProto(wp weak.Pointer[lua.FunctionProto]) {
	r.mu.Lock()
	delete(r.byProto, wp)
	r.mu.Unlock()
}

// locate returns the place of a prototype this Host compiled.
func (r *chunks) locate(p *lua.FunctionProto) (protoLoc, bool) {
	wp := weak.Make(p)
	r.mu.Lock()
	defer r.mu.Unlock()
	loc, ok := r.byProto[wp]
	return loc, ok
}

// publish makes c findable by its key (once it is sent or received).
func (r *chunks) publish(c *chunk) {
	key := c.Key()
	wc := weak.Make(c)
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.byKey[key]; ok && old.Value() != nil {
		return
	}
	r.byKey[key] = wc
	runtime.AddCleanup(c, r.forgetKey, keyRef{key, wc})
}

type keyRef struct {
	key string
	wc  weak.Pointer[chunk]
}

func (r *chunks) forgetKey(k keyRef) {
	r.mu.Lock()
	if r.byKey[k.key] == k.wc {
		delete(r.byKey, k.key)
	}
	r.mu.Unlock()
}

// lookup returns the live chunk of key, or nil.
func (r *chunks) lookup(key string) *chunk {
	r.mu.Lock()
	wc, ok := r.byKey[key]
	r.mu.Unlock()
	if !ok {
		return nil
	}
	return wc.Value()
}

// add makes the chunk of a source a peer sent for key.
func (r *chunks) add(key string, source []byte) (*chunk, error) {
	if keyOf(source) != key {
		return nil, fmt.Errorf("%w: source does not match its key", ErrBadCode)
	}
	if c := r.lookup(key); c != nil {
		return c, nil
	}
	name, src, err := parseSource(source)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadCode, err)
	}
	c := &chunk{name: name, src: src}
	c.keyOnce.Do(func() { c.key = key })
	r.publish(c)
	if live := r.lookup(key); live != nil {
		return live, nil // another goroutine added it first
	}
	return c, nil
}

// compiledFor returns the main function of c, compiling it if no
// process of this Host holds it compiled; pay is called before a
// compilation, so that the process that needs it is charged first.
func (r *chunks) compiledFor(c *chunk, pay func()) (*lua.FunctionProto, error) {
	c.mu.Lock()
	root := c.proto.Value()
	c.mu.Unlock()
	if root != nil {
		return root, nil
	}
	pay()
	root, err := compile(c.src, c.name)
	if err != nil {
		return nil, err
	}
	r.attach(c, root)
	r.mu.Lock()
	r.kept[r.next] = root
	r.next = (r.next + 1) % len(r.kept)
	r.mu.Unlock()
	return root, nil
}

// remoteCode is the Code of a function received from another node: a
// place in a chunk that may not be compiled yet.
type remoteCode struct {
	c    *chunk
	path []int
}

// proto finds the prototype at path in root.
func protoAt(root *lua.FunctionProto, path []int) (*lua.FunctionProto, error) {
	p := root
	for _, i := range path {
		if i >= len(p.FunctionPrototypes) {
			return nil, fmt.Errorf("%w: no function at %v in chunk %s", ErrBadCode, path, root.SourceName)
		}
		p = p.FunctionPrototypes[i]
	}
	return p, nil
}

var _ proc.Chunk = (*chunk)(nil)
