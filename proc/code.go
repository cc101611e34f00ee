package proc

// CodeCodec lets a function cross to another node as the source of the
// chunk it was compiled from. The host that makes Funcs (luahost)
// implements it; the transport (quicnet) calls it. A Func's Code travels
// as the key of its Chunk (a content hash) and a reference to its place
// in that chunk; the receiving node asks the sending node for the source
// of a chunk it does not hold, once, and compiles it itself.
//
// Implementations must be safe for concurrent use and treat what comes
// from a peer as hostile: AddChunk and UnmarshalCode return errors, never
// panic, on bytes they did not make.
type CodeCodec interface {
	// Compiler names the compiler that turns sources into Code. Nodes
	// whose compilers differ would not run a function alike, and refuse
	// each other.
	Compiler() string
	// MarshalCode returns the chunk that code belongs to and code's place
	// in it.
	MarshalCode(code any) (Chunk, []byte, error)
	// Chunk returns the chunk of key if this node holds it, else nil.
	Chunk(key string) Chunk
	// AddChunk makes a chunk from the source a peer sent for key. It fails
	// if source is not what key names.
	AddChunk(key string, source []byte) (Chunk, error)
	// UnmarshalCode returns the Code at place ref of chunk c (a Chunk of
	// this CodeCodec).
	UnmarshalCode(c Chunk, ref []byte) (any, error)
}

// Chunk is a unit of source that functions were compiled from.
type Chunk interface {
	// Key names the chunk by its content: equal keys, equal sources.
	Key() string
	// Size is the length of Source, in bytes.
	Size() int
	// Source is what a peer that asks for the chunk receives.
	Source() []byte
}
