package luahost

// How builtins pay for the strings they make.
//
// A builtin's work is Go code that the VM's instruction count does not
// see, and one call can build a gigabyte (string.rep, table.concat, gsub).
// So every builtin whose work or result grows with its input:
//
//   - charges the instruction budget as it goes: 64 bytes copied, scanned
//     or formatted are one instruction, a pattern-matching step is one;
//     charging also stops a killed process (state.charge), so that
//     exit(pid, "kill") ends one stuck in a builtin within about a
//     thousand steps;
//   - charges the memory of what it builds before it builds it: results
//     of known size at once, growing ones each time their buffer grows;
//   - refuses results of more than maxStringBytes even in a process
//     without a memory limit ("resulting string too large"): Go cannot
//     recover from running out of memory, and the node must go on.

import (
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

const (
	// maxStringBytes is the largest string a builtin makes.
	maxStringBytes = 1 << 30
	// maxResults is the most values a builtin returns (C Lua's
	// LUAI_MAXCSTACK).
	maxResults = 8000
	// bytesPerInstruction: bytes copied, scanned or formatted that count
	// as one instruction.
	bytesPerInstruction = 64
	// chunkBytes is how much a builtin copies between two checks.
	chunkBytes = 64 << 10
)

// chargeBytes charges n bytes of work. Sizes past maxStringBytes are
// charged as maxStringBytes: such a result is refused anyway.
func chargeBytes(s *state, n int) {
	if n >= bytesPerInstruction {
		s.charge(min(n, maxStringBytes) / bytesPerInstruction)
	}
}

// reserveString accounts a string of n bytes about to be made: it charges
// the memory (raising memory_limit) and refuses strings too large for any
// process.
func reserveString(L *lua.LState, s *state, n int) {
	if s.memLimit != 0 {
		s.alloc(sizeString + min(n, maxStringBytes+1))
	}
	if n > maxStringBytes {
		raise(L, "resulting string too large")
	}
}

// pushResults charges n values about to be pushed.
func pushResults(s *state, n int) {
	if n >= 8 {
		s.charge(n / 8)
	}
	if s.memLimit != 0 {
		s.alloc(n * sizeSlot)
	}
}

// Sizes are added and multiplied saturating far above maxStringBytes
// instead of overflowing.
const sizeCeiling = 1 << 62

func satAdd(a, b int) int {
	if a >= sizeCeiling-b {
		return sizeCeiling
	}
	return a + b
}

func satMul(a, b int) int {
	if a == 0 || b == 0 {
		return 0
	}
	if a > sizeCeiling/b {
		return sizeCeiling
	}
	return a * b
}

// resultBuilder makes a builtin's string result. It charges memory before
// its buffer grows, and (unless prepaid) one instruction per 64 bytes
// written; it checks for a kill or a spent budget every chunkBytes.
type resultBuilder struct {
	L       *lua.LState
	s       *state
	buf     []byte
	work    int  // bytes written and not yet charged or checked
	prepaid bool // the caller charged the instructions already
}

func newBuilder(L *lua.LState) resultBuilder {
	return resultBuilder{L: L, s: stateOf(L)}
}

// reserve makes room for n more bytes.
func (b *resultBuilder) reserve(n int) {
	need := satAdd(len(b.buf), n)
	if need <= cap(b.buf) {
		return
	}
	c := satAdd(cap(b.buf), cap(b.buf))
	c = max(c, 64, need)
	if c > maxStringBytes && need <= maxStringBytes {
		c = maxStringBytes
	}
	reserveString(b.L, b.s, c)
	grown := make([]byte, len(b.buf), c)
	copy(grown, b.buf)
	b.buf = grown
}

// wrote accounts n bytes written.
func (b *resultBuilder) wrote(n int) {
	b.work += n
	if b.work >= chunkBytes {
		b.settle()
	}
}

// settle charges the work done so far (or only checks, when prepaid).
func (b *resultBuilder) settle() {
	if b.prepaid {
		b.s.charge(0)
	} else {
		chargeBytes(b.s, b.work)
	}
	b.work %= bytesPerInstruction
}

func (b *resultBuilder) writeString(p string) {
	b.reserve(len(p))
	for len(p) > chunkBytes {
		b.buf = append(b.buf, p[:chunkBytes]...)
		p = p[chunkBytes:]
		b.wrote(chunkBytes)
	}
	b.buf = append(b.buf, p...)
	b.wrote(len(p))
}

func (b *resultBuilder) writeBytes(p []byte) {
	b.writeString(unsafe.String(unsafe.SliceData(p), len(p)))
}

func (b *resultBuilder) writeByte(c byte) {
	b.reserve(1)
	b.buf = append(b.buf, c)
	b.wrote(1)
}

// string returns the result. The builder must not be used afterwards.
func (b *resultBuilder) string() string {
	if b.work > 0 && !b.prepaid {
		chargeBytes(b.s, b.work)
	}
	b.work = 0
	if len(b.buf) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b.buf), len(b.buf))
}

// push pushes the result as a Lua string.
func (b *resultBuilder) push() {
	b.L.Push(lua.LString(b.string()))
}
