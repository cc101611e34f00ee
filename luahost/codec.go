package luahost

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	lua "github.com/yuin/gopher-lua"

	"github.com/dlua/dlua/proc"
)

// Sending functions between nodes
//
// Codec is luahost's proc.CodeCodec: it turns the Code of a proc.Func (a
// *lua.FunctionProto, shared within a node) into bytes and back, so that a
// Lua function can be sent to a process on another node. The decoded
// prototype runs exactly like the original: same instructions, constants,
// nested prototypes and debug information, so error messages and
// tracebacks keep their file:line.
//
// # Format
//
// Version 1 is, with uvarint and zigzag varint as in encoding/binary:
//
//	byte     version (1)
//	uvarint  number of strings, then each: uvarint length, bytes
//	proto    the root prototype
//
// Every string of the tree (source names, string constants, names of
// locals, calls and upvalues) is stored once in the string table and named
// by its index there. A proto is:
//
//	uvarint  source name (string index)
//	zigzag   LineDefined
//	zigzag   LastLineDefined - LineDefined
//	4 bytes  NumUpvalues, NumParameters, IsVarArg, NumUsedRegisters
//	uvarint  n, then n instructions, 4 bytes each, little-endian
//	uvarint  number of constants, then each a tag byte and its payload:
//	         0 nil, 1 false, 2 true, 3 number (8 bytes, little-endian
//	         IEEE 754 bits), 4 string (uvarint index), 5 number that is an
//	         integer of at most 53 bits (zigzag)
//	uvarint  number of nested prototypes, then each (a proto)
//	n ×      zigzag line of each instruction, minus the previous line
//	         (the first minus LineDefined)
//	uvarint  number of locals, then each: uvarint name, zigzag StartPc,
//	         zigzag EndPc - StartPc
//	uvarint  number of calls, then each: uvarint name, zigzag Pc minus the
//	         previous call's Pc
//	NumUpvalues × uvarint name of each upvalue
//
// A future format gets a new version byte; UnmarshalCode rejects versions
// it does not know.
//
// # Hostile input
//
// UnmarshalCode treats its input as hostile (a peer may send anything).
// It never panics, and what it allocates is bounded by the input: the
// input is at most maxCodeSize bytes, every count is checked against the
// bytes left before anything is allocated for it (each element takes at
// least one byte, an instruction four), prototypes nest at most
// maxProtoDepth deep, and a prototype has at most maxInstructions
// instructions, constants and nested prototypes. The decoded prototypes
// may take at most maxDecodeRatio (16) bytes per input byte (compiled code
// takes up to 7; the decoder counts what it allocates), and the verifier's
// state for one prototype at most about 160 bytes per instruction of that
// prototype, while it runs.
//
// Every prototype is verified as soon as it (with its nested ones) is
// decoded, and so is every prototype that MarshalCode encodes: a prototype that this node would refuse is refused
// when it is sent, not by the receiving node (where a bad frame cuts the
// connection). See verifyProto for the rules.

// Limits of a code blob.
const (
	codecVersion    = 1
	maxCodeSize     = 8 << 20 // bytes: the default quicnet frame
	maxProtoDepth   = 200     // nesting of function prototypes
	maxInstructions = 1 << 18 // per prototype; also constants and nested prototypes (Bx has 18 bits)
	maxVerifyRegs   = 256     // registers a prototype may touch (compiled code: some 205 at most)
)

// Codec is luahost's proc.CodeCodec. The zero value is ready to use and it
// is safe for concurrent use.
type Codec struct{}

var _ proc.CodeCodec = Codec{}

// ErrBadCode is wrapped by every error of UnmarshalCode about its input,
// and by MarshalCode's errors about a prototype it will not send.
var ErrBadCode = errors.New("bad function code")

func badCode(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadCode, fmt.Sprintf(format, args...))
}

// Constant tags.
const (
	kNil = iota
	kFalse
	kTrue
	kNumber
	kString
	kInteger
)

// MarshalCode encodes code, which must be a *lua.FunctionProto. The
// prototype and its nested ones are verified as UnmarshalCode would verify
// them; one that fails is not encoded.
func (Codec) MarshalCode(code any) ([]byte, error) {
	p, ok := code.(*lua.FunctionProto)
	if !ok || p == nil {
		return nil, fmt.Errorf("luahost: cannot marshal code of type %T", code)
	}
	e := encoders.Get().(*codeEncoder)
	defer e.release()
	if err := e.proto(p, 0, nil); err != nil {
		return nil, err
	}
	out := e.bytes()
	if len(out) > maxCodeSize {
		return nil, badCode("function code is %d bytes, limit %d", len(out), maxCodeSize)
	}
	return out, nil
}

// codeEncoder encodes a tree of prototypes. Encoders are pooled.
type codeEncoder struct {
	body []byte
	list []string       // the string table
	strs map[string]int // index of list, once it is long

	noVerify bool // tests: encode forged prototypes
	maxDepth int  // tests: if not 0, instead of maxProtoDepth
}

var encoders = sync.Pool{New: func() any { return new(codeEncoder) }}

// release puts e back in the pool, unless it has grown large.
func (e *codeEncoder) release() {
	if cap(e.body) > 1<<16 || cap(e.list) > 1<<10 {
		return
	}
	e.body = e.body[:0]
	clear(e.list)
	e.list = e.list[:0]
	clear(e.strs)
	encoders.Put(e)
}

// bytes returns the blob: version, string table, body.
func (e *codeEncoder) bytes() []byte {
	n := 1 + binary.MaxVarintLen64 + len(e.body)
	for _, s := range e.list {
		n += binary.MaxVarintLen64 + len(s)
	}
	out := make([]byte, 0, n)
	out = append(out, codecVersion)
	out = binary.AppendUvarint(out, uint64(len(e.list)))
	for _, s := range e.list {
		out = binary.AppendUvarint(out, uint64(len(s)))
		out = append(out, s...)
	}
	return append(out, e.body...)
}

// str writes the index of s in the string table, adding it if needed. A
// function has a few dozen strings: they are looked up in the list, and in
// a map once there are more.
func (e *codeEncoder) str(s string) {
	i := -1
	if len(e.list) <= 32 {
		for j, t := range e.list {
			if t == s {
				i = j
				break
			}
		}
	} else {
		if len(e.strs) == 0 {
			if e.strs == nil {
				e.strs = make(map[string]int, 2*len(e.list))
			}
			for j, t := range e.list {
				e.strs[t] = j
			}
		}
		if j, ok := e.strs[s]; ok {
			i = j
		}
	}
	if i < 0 {
		i = len(e.list)
		e.list = append(e.list, s)
		if len(e.strs) > 0 {
			e.strs[s] = i
		}
	}
	e.body = binary.AppendUvarint(e.body, uint64(i))
}

func (e *codeEncoder) int(v int) { e.body = binary.AppendVarint(e.body, int64(v)) }

func (e *codeEncoder) count(n int) { e.body = binary.AppendUvarint(e.body, uint64(n)) }

func (e *codeEncoder) proto(p *lua.FunctionProto, depth int, path []int) error {
	if depth >= maxProtoDepth && (e.maxDepth == 0 || depth >= e.maxDepth) {
		return badCode("%s: functions nested more than %d deep", protoPath(path), maxProtoDepth)
	}
	if e.noVerify {
		return e.write(p, depth, path)
	}
	switch {
	case len(p.Code) > maxInstructions || len(p.Constants) > maxInstructions || len(p.FunctionPrototypes) > maxInstructions:
		return badCode("%s: more than %d instructions, constants or functions", protoPath(path), maxInstructions)
	case len(p.DbgSourcePositions) != len(p.Code):
		return badCode("%s: %d line numbers for %d instructions", protoPath(path), len(p.DbgSourcePositions), len(p.Code))
	case len(p.DbgUpvalues) != int(p.NumUpvalues):
		return badCode("%s: %d upvalue names for %d upvalues", protoPath(path), len(p.DbgUpvalues), p.NumUpvalues)
	}
	for i, c := range p.FunctionPrototypes {
		if c == nil {
			return badCode("%s: nested function %d is nil", protoPath(path), i)
		}
	}
	if err := verifyProto(p, path); err != nil {
		return err
	}
	return e.write(p, depth, path)
}

// fitsInt32 reports whether every line and pc of p fits an int32, as the
// format wants.
func fitsInt32(p *lua.FunctionProto) bool {
	ok := func(v int) bool { return v >= math.MinInt32 && v <= math.MaxInt32 }
	if !ok(p.LineDefined) || !ok(p.LastLineDefined) {
		return false
	}
	for _, l := range p.DbgSourcePositions {
		if !ok(l) {
			return false
		}
	}
	for _, l := range p.DbgLocals {
		if l != nil && (!ok(l.StartPc) || !ok(l.EndPc)) {
			return false
		}
	}
	for _, c := range p.DbgCalls {
		if !ok(c.Pc) {
			return false
		}
	}
	return true
}

func (e *codeEncoder) write(p *lua.FunctionProto, depth int, path []int) error {
	if !fitsInt32(p) {
		return badCode("%s: a line number or pc out of range", protoPath(path))
	}
	e.str(p.SourceName)
	e.int(p.LineDefined)
	e.int(p.LastLineDefined - p.LineDefined)
	e.body = append(e.body, p.NumUpvalues, p.NumParameters, p.IsVarArg, p.NumUsedRegisters)
	e.count(len(p.Code))
	for _, inst := range p.Code {
		e.body = binary.LittleEndian.AppendUint32(e.body, inst)
	}
	e.count(len(p.Constants))
	for i, k := range p.Constants {
		switch k := k.(type) {
		case *lua.LNilType:
			e.body = append(e.body, kNil)
		case lua.LBool:
			if k {
				e.body = append(e.body, kTrue)
			} else {
				e.body = append(e.body, kFalse)
			}
		case lua.LNumber:
			f := float64(k)
			if f == math.Trunc(f) && math.Abs(f) <= 1<<53 && !(f == 0 && math.Signbit(f)) {
				e.body = append(e.body, kInteger)
				e.int(int(f))
			} else {
				e.body = append(e.body, kNumber)
				e.body = binary.LittleEndian.AppendUint64(e.body, math.Float64bits(f))
			}
		case lua.LString:
			e.body = append(e.body, kString)
			e.str(string(k))
		default:
			return badCode("%s: constant %d is a %T", protoPath(path), i, k)
		}
	}
	e.count(len(p.FunctionPrototypes))
	for i, c := range p.FunctionPrototypes {
		if err := e.proto(c, depth+1, append(path, i)); err != nil {
			return err
		}
	}
	line := p.LineDefined
	for _, l := range p.DbgSourcePositions {
		e.int(l - line)
		line = l
	}
	e.count(len(p.DbgLocals))
	for i, l := range p.DbgLocals {
		if l == nil {
			return badCode("%s: local %d is nil", protoPath(path), i)
		}
		e.str(l.Name)
		e.int(l.StartPc)
		e.int(l.EndPc - l.StartPc)
	}
	e.count(len(p.DbgCalls))
	pc := 0
	for _, c := range p.DbgCalls {
		e.str(c.Name)
		e.int(c.Pc - pc)
		pc = c.Pc
	}
	for _, name := range p.DbgUpvalues {
		e.str(name)
	}
	return nil
}

// protoPath names a prototype in error messages: "function 0.2" is the
// third function nested in the first one nested in the root ("function").
func protoPath(path []int) string {
	if len(path) == 0 {
		return "function"
	}
	var b strings.Builder
	b.WriteString("function ")
	for i, n := range path {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}

// UnmarshalCode decodes and verifies a prototype that MarshalCode made. Its
// result is a *lua.FunctionProto, which is to be made into a function the
// way values.go does: every one of its NumUpvalues upvalues set.
func (Codec) UnmarshalCode(data []byte) (any, error) {
	p, _, err := unmarshalProto(data)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// unmarshalProto decodes and verifies data, and says how many bytes the
// prototypes take (as the decoder's budget counts them).
func unmarshalProto(data []byte) (p *lua.FunctionProto, size int, err error) {
	if len(data) > maxCodeSize {
		return nil, 0, badCode("%d bytes, limit %d", len(data), maxCodeSize)
	}
	if len(data) == 0 {
		return nil, 0, badCode("empty")
	}
	if data[0] != codecVersion {
		return nil, 0, badCode("unknown version %d", data[0])
	}
	d := codeDecoder{b: data, off: 1, budget: maxDecodeRatio*len(data) + 4096}
	n := d.count(1)
	d.charge(n * szString)
	if d.err != nil {
		return nil, 0, d.err
	}
	// The strings are substrings of one copy of the table's bytes: one
	// pass checks the lengths, the second slices.
	start := d.off
	for range n {
		l := d.count(1)
		d.off += l
	}
	if d.err != nil {
		return nil, 0, d.err
	}
	d.charge(d.off - start)
	if d.err != nil {
		return nil, 0, d.err
	}
	all := string(d.b[start:d.off])
	d.strs = make([]string, n)
	at := 0 // in all
	for i := range d.strs {
		l, m := binary.Uvarint(d.b[start+at:])
		at += m
		d.strs[i] = all[at : at+int(l)]
		at += int(l)
	}
	p, err = d.proto(0, nil)
	if err != nil {
		return nil, 0, err
	}
	if d.off != len(d.b) {
		return nil, 0, badCode("%d bytes after the code", len(d.b)-d.off)
	}
	return p, maxDecodeRatio*len(data) + 4096 - d.budget, nil
}

// codeDecoder reads a blob. Its first error sticks: once err is set, every
// read returns zero.
type codeDecoder struct {
	b      []byte
	off    int
	strs   []string
	err    error
	budget int // bytes the decoded prototypes may still take
}

// maxDecodeRatio bounds the memory that decoded prototypes take, per byte
// of input (plus 4 KiB). Compiled code takes 2.5 to 7 (TestCodecCorpus: a
// small function is a 232-byte FunctionProto and a few slices, encoded in
// some 30 bytes); forged code could reach 32 (a nil constant is one byte,
// an interface and a string of stringConstants), which the budget forbids.
const maxDecodeRatio = 16

// Sizes of what the decoder allocates, for the budget.
const (
	szProto  = int(unsafe.Sizeof(lua.FunctionProto{}))
	szString = int(unsafe.Sizeof(""))
	szIface  = int(unsafe.Sizeof(lua.LValue(nil)))
	szLocal  = int(unsafe.Sizeof(lua.DbgLocalInfo{})) + int(unsafe.Sizeof(&lua.DbgLocalInfo{}))
	szCall   = int(unsafe.Sizeof(lua.DbgCall{}))
)

// charge takes n bytes from the budget.
func (d *codeDecoder) charge(n int) {
	if d.err == nil && n > d.budget {
		d.fail("decoded code would take more than %d bytes per byte of input", maxDecodeRatio)
	}
	d.budget -= n
}

func (d *codeDecoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = badCode("at byte %d: %s", d.off, fmt.Sprintf(format, args...))
	}
}

func (d *codeDecoder) left() int { return len(d.b) - d.off }

func (d *codeDecoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad or truncated varint")
		return 0
	}
	d.off += n
	return v
}

// varint reads a zigzag varint.
func (d *codeDecoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad or truncated varint")
		return 0
	}
	d.off += n
	return v
}

// int reads a zigzag varint that must fit an int32 (line numbers and pcs
// are int32 on the wire).
func (d *codeDecoder) int() int { return d.add(0) }

// count reads a count of elements that take at least size bytes each, and
// checks it against the bytes left.
func (d *codeDecoder) count(size int) int {
	v := d.uvarint()
	if d.err != nil {
		return 0
	}
	if v > uint64(d.left()/size) {
		d.fail("count %d, only %d bytes left", v, d.left())
		return 0
	}
	return int(v)
}

func (d *codeDecoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if d.left() < 1 {
		d.fail("truncated")
		return 0
	}
	d.off++
	return d.b[d.off-1]
}

func (d *codeDecoder) str() string {
	i := d.uvarint()
	if d.err != nil {
		return ""
	}
	if i >= uint64(len(d.strs)) {
		d.fail("string %d of %d", i, len(d.strs))
		return ""
	}
	return d.strs[i]
}

// add adds a delta read from the input to a line or pc: the sum must fit
// an int32.
func (d *codeDecoder) add(base int) int {
	v := d.varint()
	if s := int64(base) + v; v >= math.MinInt32*2 && v <= math.MaxInt32*2 && s >= math.MinInt32 && s <= math.MaxInt32 {
		return int(s)
	}
	d.fail("number out of range")
	return 0
}

func (d *codeDecoder) proto(depth int, path []int) (*lua.FunctionProto, error) {
	if depth >= maxProtoDepth {
		return nil, badCode("%s: functions nested more than %d deep", protoPath(path), maxProtoDepth)
	}
	d.charge(szProto)
	p := &lua.FunctionProto{}
	p.SourceName = d.str()
	p.LineDefined = d.int()
	p.LastLineDefined = d.add(p.LineDefined)
	p.NumUpvalues = d.byte()
	p.NumParameters = d.byte()
	p.IsVarArg = d.byte()
	p.NumUsedRegisters = d.byte()

	n := d.count(4)
	if n > maxInstructions {
		d.fail("%d instructions, limit %d", n, maxInstructions)
	}
	d.charge(n * (4 + 8)) // Code, DbgSourcePositions
	if d.err != nil {
		return nil, d.err
	}
	p.Code = make([]uint32, n)
	for i := range p.Code {
		p.Code[i] = binary.LittleEndian.Uint32(d.b[d.off:])
		d.off += 4
	}

	n = d.count(1)
	if n > maxInstructions {
		d.fail("%d constants, limit %d", n, maxInstructions)
	}
	d.charge(n * (szIface + szString)) // Constants, stringConstants
	if d.err != nil {
		return nil, d.err
	}
	p.Constants = make([]lua.LValue, n)
	sk := make([]string, n) // the VM's stringConstants
	for i := range p.Constants {
		switch tag := d.byte(); tag {
		case kNil:
			p.Constants[i] = lua.LNil
		case kFalse:
			p.Constants[i] = lua.LFalse
		case kTrue:
			p.Constants[i] = lua.LTrue
		case kNumber:
			if d.left() < 8 {
				d.fail("truncated number")
				break
			}
			d.charge(8)
			p.Constants[i] = lua.LNumber(math.Float64frombits(binary.LittleEndian.Uint64(d.b[d.off:])))
			d.off += 8
		case kString:
			s := d.str()
			d.charge(szString)
			p.Constants[i] = lua.LString(s)
			sk[i] = s
		case kInteger:
			v, m := binary.Varint(d.b[d.off:])
			if m <= 0 || v < -1<<53 || v > 1<<53 {
				d.fail("bad integer constant")
				break
			}
			d.off += m
			d.charge(8)
			p.Constants[i] = lua.LNumber(v)
		default:
			d.fail("unknown constant tag %d", tag)
		}
		if d.err != nil {
			return nil, d.err
		}
	}
	setStringConstants(p, sk)

	n = d.count(1)
	if n > maxInstructions {
		d.fail("%d functions, limit %d", n, maxInstructions)
	}
	d.charge(n * 8)
	if d.err != nil {
		return nil, d.err
	}
	p.FunctionPrototypes = make([]*lua.FunctionProto, n)
	for i := range p.FunctionPrototypes {
		c, err := d.proto(depth+1, append(path, i))
		if err != nil {
			return nil, err
		}
		p.FunctionPrototypes[i] = c
	}

	if len(p.Code) > d.left() {
		d.fail("line numbers truncated")
		return nil, d.err
	}
	p.DbgSourcePositions = make([]int, len(p.Code))
	line := p.LineDefined
	for i := range p.DbgSourcePositions {
		line = d.add(line)
		p.DbgSourcePositions[i] = line
	}

	n = d.count(3)
	d.charge(n * szLocal)
	if d.err != nil {
		return nil, d.err
	}
	p.DbgLocals = make([]*lua.DbgLocalInfo, n)
	locals := make([]lua.DbgLocalInfo, n) // one allocation for all
	for i := range locals {
		l := &locals[i]
		l.Name = d.str()
		l.StartPc = d.int()
		l.EndPc = d.add(l.StartPc)
		p.DbgLocals[i] = l
	}

	n = d.count(2)
	d.charge(n * szCall)
	if d.err != nil {
		return nil, d.err
	}
	p.DbgCalls = make([]lua.DbgCall, n)
	pc := 0
	for i := range p.DbgCalls {
		p.DbgCalls[i].Name = d.str()
		pc = d.add(pc)
		p.DbgCalls[i].Pc = pc
	}

	if int(p.NumUpvalues) > d.left() {
		d.fail("upvalue names truncated")
		return nil, d.err
	}
	d.charge(int(p.NumUpvalues) * szString)
	p.DbgUpvalues = make([]string, p.NumUpvalues)
	for i := range p.DbgUpvalues {
		p.DbgUpvalues[i] = d.str()
	}
	if d.err != nil {
		return nil, d.err
	}
	if err := verifyProto(p, path); err != nil {
		return nil, err
	}
	return p, nil
}

// Verifying bytecode
//
// gopher-lua runs whatever instructions a prototype holds: it checks no
// operand. Its compiler never makes an instruction that reads outside the
// registers, constants, upvalues or nested prototypes, or jumps outside
// the code, or reads a register holding a Go nil, and the VM relies on it:
// the value stack beyond its top holds Go nils, and a Go nil in a register
// makes the VM panic at its next use. verifyProto checks what the VM
// relies on, so that a forged prototype can only do what Lua code can:
// raise Lua errors, loop (the instruction budget stops it), allocate (the
// memory limit stops it).
//
// Static rules, for every instruction:
//
//   - the opcode is one of gopher-lua's (MOVE ... NOP); the last
//     instruction is a RETURN;
//   - constant operands (Bx of LOADK, GETGLOBAL, SETGLOBAL; RK operands
//     with bit 8 set) are < len(Constants); GETGLOBAL and SETGLOBAL name
//     string constants; the key of GETTABLEKS, SETTABLEKS and SELF is a
//     string (a string constant, or a register that holds one, see below);
//   - Bx of CLOSURE is < len(FunctionPrototypes), and the CLOSURE is
//     followed by exactly that prototype's NumUpvalues pseudo-instructions,
//     each a MOVE (capture a register) or a GETUPVAL (pass an upvalue, B <
//     NumUpvalues); GETUPVAL and SETUPVAL have B < NumUpvalues;
//   - a MOVEN is followed by C MOVEs; a SETLIST with C = 0 by its data
//     word; a TFORLOOP (C ≥ 1) by a JMP;
//   - every jump (JMP, FORPREP, FORLOOP: pc+1+sBx), skip (EQ, LT, LE,
//     TEST, TESTSET, LOADBOOL with C ≠ 0, TFORLOOP: pc+2) and fall-through
//     lands on an instruction inside the code, never on a CLOSURE's
//     pseudo-instruction or a SETLIST's data word;
//   - LOADNIL has A ≤ B, CONCAT has B ≤ C, VARARG is only in vararg
//     functions, NumParameters < NumUsedRegisters, every register is < 256.
//
// Register rules, by data flow over every path through the code (as a
// JVM bytecode verifier does): the verifier knows, before each
// instruction, which registers surely hold a value (at entry: registers
// below NumUsedRegisters - 1, see below), which surely hold a table or a
// string, which a
// closure may have captured (open upvalues), and whether the values from
// some register up to the stack top are known to be set ("open": after
// CALL with C = 0 or VARARG with B = 0, a variable number of results; after
// CALL with C > 0, VARARG with B > 0, FORLOOP's exit and TFORLOOP, none:
// the top is right after what they set). Then:
//
//   - every register an instruction reads surely holds a value (the ranges
//     of CALL, TAILCALL, RETURN, SETLIST, CONCAT and FORLOOP included);
//   - B = 0 of CALL, TAILCALL, RETURN and SETLIST (read up to the top) is
//     allowed only right after an instruction that leaves the top known as
//     above, and the registers from the first one read (A+1, A+1, A, A+1)
//     up to the open results must surely hold values (`return (f())` is
//     CALL with C = 2 then RETURN with B = 0);
//   - SETLIST's A surely holds a table (gopher-lua asserts it unchecked);
//   - an instruction that lowers the stack top (CALL, VARARG, FORLOOP's
//     exit, TFORLOOP) loses every register above the new top, and must
//     not lose one that a closure may have captured (its upvalue would
//     then read a Go nil); CALL and TFORLOOP must not have captured
//     registers at or above the callee's frame, which the callee uses;
//   - an instruction that may run Lua code (a call, or any metamethod)
//     forgets the table and string facts of captured registers, which
//     that code may assign through the upvalue.
//
// Registers are bounded by 256, not by NumUsedRegisters: gopher-lua's
// compiler computes NumUsedRegisters from A operands only, and compiled
// code does use registers above it (a CLOSURE's A, CALL arguments,
// FORLOOP's A+3, ...); the VM grows the value stack when it writes a
// register, so a register that surely holds a value is inside the stack.
//
// The analysis is done per prototype, bounded in work (16 visits per
// instruction, beyond which the code is refused as too complex; compiled
// code needs at most 2) and memory (one state per jump target). What it
// does not check is what the VM checks itself: the types of operands
// (arithmetic on a table raises a Lua error), call arity, the sizes of
// NEWTABLE, the values of SETLIST's data word or of a CALL's results.
// FuzzUnmarshalCode and FuzzCodecVerifier run what it accepts and fail on
// any Go panic.
//
// The table and string facts assume that no Lua code assigns another
// frame's registers: true in dlua, which offers no debug.setlocal.
//
// Two gopher-lua 1.1.2 bugs shape these rules:
//
//   - A Lua function entered by TAILCALL has its frame moved down one
//     register short (the VM copies top-RA-1 values of a frame of top-RA):
//     its last register, NumUsedRegisters-1, is left above the top,
//     holding whatever was there, a Go nil maybe. So the verifier does not
//     count it as set at entry. Compiled code never reads it before
//     writing it, but for one case: `function(a, ...) return arg end`,
//     whose `arg` is that register (tail-called, it returns a stale
//     value); such a function is refused.
//   - A coroutine resumed with fewer values than the CALL of
//     coroutine.yield wants leaves the missing results unset (`local a, b
//     = coroutine.yield()` resumed with no values): Go nils from ordinary
//     source, which no verifier of the caller can prevent. The fuzz
//     targets open no coroutine library.

// opNames are gopher-lua's opcode names.
var opNames = [lua.OP_NOP + 1]string{
	"MOVE", "MOVEN", "LOADK", "LOADBOOL", "LOADNIL", "GETUPVAL", "GETGLOBAL",
	"GETTABLE", "GETTABLEKS", "SETGLOBAL", "SETUPVAL", "SETTABLE", "SETTABLEKS",
	"NEWTABLE", "SELF", "ADD", "SUB", "MUL", "DIV", "MOD", "POW", "UNM", "NOT",
	"LEN", "CONCAT", "JMP", "EQ", "LT", "LE", "TEST", "TESTSET", "CALL",
	"TAILCALL", "RETURN", "FORLOOP", "FORPREP", "TFORLOOP", "SETLIST", "CLOSE",
	"CLOSURE", "VARARG", "NOP",
}

// regset is a set of registers 0..maxVerifyRegs-1.
type regset [maxVerifyRegs / 64]uint64

func (s *regset) has(r int) bool { return r < maxVerifyRegs && s[r>>6]&(1<<(r&63)) != 0 }
func (s *regset) add(r int)      { s[r>>6] |= 1 << (r & 63) }
func (s *regset) del(r int)      { s[r>>6] &^= 1 << (r & 63) }

// below keeps the registers < r.
func (s *regset) below(r int) {
	for i := range s {
		lo := i * 64
		switch {
		case r <= lo:
			s[i] = 0
		case r < lo+64:
			s[i] &= 1<<(r-lo) - 1
		}
	}
}

// anyFrom reports whether some register >= r is in s.
func (s *regset) anyFrom(r int) bool {
	t := *s
	t.below(r)
	return t != *s
}

// vstate is what the verifier knows before an instruction.
type vstate struct {
	valid    regset // registers that surely hold a value
	table    regset // registers that surely hold a table
	str      regset // registers that surely hold a string
	captured regset // registers a closure may have captured (open upvalues)
	open     int    // first register of a variable number of results up to the top, or -1
}

// merge makes s what is known when o may come instead, and reports
// whether s changed.
func (s *vstate) merge(o *vstate) bool {
	old := *s
	for i := range s.valid {
		s.valid[i] &= o.valid[i]
		s.table[i] &= o.table[i]
		s.str[i] &= o.str[i]
		s.captured[i] |= o.captured[i]
	}
	if s.open != o.open {
		s.open = -1
	}
	return *s != old
}

// verifier checks one prototype. Verifiers are pooled: their slices are
// reused, so that verifying a small function allocates nothing.
type verifier struct {
	p      *lua.FunctionProto
	code   []uint32
	pcs    []pcInfo
	blocks []blockInfo
	work   []int32 // dirty blocks: a min-heap, so that blocks are done in code order
	pc     int     // the instruction being checked, for errors
}

// push puts block b in the work list.
func (v *verifier) push(b int32) {
	if v.blocks[b].dirty {
		return
	}
	v.blocks[b].dirty = true
	h := append(v.work, b)
	for i := len(h) - 1; i > 0; {
		parent := (i - 1) / 2
		if h[parent] <= h[i] {
			break
		}
		h[parent], h[i] = h[i], h[parent]
		i = parent
	}
	v.work = h
}

// pop takes the first block (in code order) from the work list.
func (v *verifier) pop() int32 {
	h := v.work
	b := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < len(h) && h[l] < h[m] {
			m = l
		}
		if l+1 < len(h) && h[l+1] < h[m] {
			m = l + 1
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	v.work = h
	v.blocks[b].dirty = false
	return b
}

type pcInfo struct {
	block   int32    // index in blocks of the block that starts here, or -1
	succ    [2]int32 // where control may go after the instruction
	nsucc   uint8
	natural bool // the only successor is the next instruction
	operand bool // a word read by the instruction before (CLOSURE, SETLIST)
}

type blockInfo struct {
	in          vstate // what is known at the start of the block
	start       int32  // its first instruction
	seen, dirty bool   // dirty: in the work list
}

var verifiers = sync.Pool{New: func() any { return new(verifier) }}

// maxPooledVerifier is the largest prototype whose verifier's memory is
// kept for the next one.
const maxPooledVerifier = 1 << 14

// verifyProto checks p (not its nested prototypes) as the comment above
// says. path names p in errors.
func verifyProto(p *lua.FunctionProto, path []int) error {
	v := verifiers.Get().(*verifier)
	v.p, v.code = p, p.Code
	defer func() {
		v.p, v.code = nil, nil
		if cap(v.pcs) <= maxPooledVerifier {
			verifiers.Put(v)
		}
	}()
	if err := v.run(); err != nil {
		if v.pc >= 0 && v.pc < len(v.code) {
			return fmt.Errorf("%w: %s: pc %d (%s): %s", ErrBadCode, protoPath(path), v.pc,
				opNames[min(int(v.code[v.pc]>>26), lua.OP_NOP)], err)
		}
		return fmt.Errorf("%w: %s: %s", ErrBadCode, protoPath(path), err)
	}
	return nil
}

func vErr(format string, args ...any) error { return fmt.Errorf(format, args...) }

// Instruction fields are argA, argB, argC, argBx (knobs.go) and argSbx.
func argSbx(inst uint32) int { return argBx(inst) - (1<<18-1)>>1 }

func (v *verifier) run() error {
	p, code, n := v.p, v.code, len(v.code)
	v.pc = -1
	switch {
	case n == 0:
		return vErr("no instructions")
	case n > maxInstructions:
		return vErr("%d instructions, limit %d", n, maxInstructions)
	case len(p.DbgSourcePositions) != n:
		return vErr("%d line numbers for %d instructions", len(p.DbgSourcePositions), n)
	case len(p.DbgUpvalues) != int(p.NumUpvalues):
		return vErr("%d upvalue names for %d upvalues", len(p.DbgUpvalues), p.NumUpvalues)
	case p.NumParameters >= p.NumUsedRegisters:
		return vErr("%d parameters in %d registers", p.NumParameters, p.NumUsedRegisters)
	case p.IsVarArg&^(lua.VarArgHasArg|lua.VarArgIsVarArg|lua.VarArgNeedsArg) != 0:
		return vErr("bad vararg flags %#x", p.IsVarArg)
	}
	for _, c := range p.Constants {
		if c == nil {
			return vErr("nil constant")
		}
	}
	for _, c := range p.FunctionPrototypes {
		if c == nil {
			return vErr("nil function")
		}
	}

	// Operand words, in one linear pass: what follows a CLOSURE or a
	// SETLIST with C = 0 is read by that instruction, never run.
	v.pcs = slices.Grow(v.pcs[:0], n)[:n]
	for i := range v.pcs {
		v.pcs[i] = pcInfo{block: -1}
	}
	for pc := 0; pc < n; {
		v.pc = pc
		inst := code[pc]
		op := int(inst >> 26)
		if op > lua.OP_NOP {
			return vErr("unknown opcode %d", op)
		}
		words := 0
		switch op {
		case lua.OP_CLOSURE:
			bx := argBx(inst)
			if bx >= len(p.FunctionPrototypes) {
				return vErr("function %d of %d", bx, len(p.FunctionPrototypes))
			}
			words = int(p.FunctionPrototypes[bx].NumUpvalues)
		case lua.OP_SETLIST:
			if argC(inst) == 0 {
				words = 1
			}
		}
		if pc+words >= n {
			return vErr("operands past the end of the code")
		}
		for i := 1; i <= words; i++ {
			v.pcs[pc+i].operand = true
		}
		pc += 1 + words
	}
	v.pc = n - 1
	if v.pcs[n-1].operand || int(code[n-1]>>26) != lua.OP_RETURN {
		return vErr("the last instruction is not a RETURN")
	}

	// Static checks, and the starts of blocks (jump targets).
	v.pcs[0].block = 0
	nblocks := 1
	for pc := 0; pc < n; pc++ {
		if v.pcs[pc].operand {
			continue
		}
		v.pc = pc
		if err := v.static(pc); err != nil {
			return err
		}
		succ, ns, natural := v.successors(pc)
		for i, s := range succ[:ns] {
			if s < 0 || s >= n {
				return vErr("jumps to %d, outside the code", s)
			}
			if v.pcs[s].operand {
				return vErr("jumps to %d, an operand", s)
			}
			if (!natural || ns > 1) && v.pcs[s].block < 0 {
				v.pcs[s].block = int32(nblocks)
				nblocks++
			}
			v.pcs[pc].succ[i] = int32(s)
		}
		v.pcs[pc].nsucc, v.pcs[pc].natural = uint8(ns), natural
	}

	// Data flow: states at block starts, until nothing changes. Blocks
	// are numbered in code order, and the work list gives the first dirty
	// one, which makes loops converge in a few rounds. Every round visits
	// at least one instruction, so the budget bounds the whole work.
	nblocks = 0
	for pc := range v.pcs {
		if v.pcs[pc].block >= 0 {
			v.pcs[pc].block = int32(nblocks)
			nblocks++
		}
	}
	v.blocks = slices.Grow(v.blocks[:0], nblocks)[:nblocks]
	clear(v.blocks)
	for pc := range v.pcs {
		if b := v.pcs[pc].block; b >= 0 {
			v.blocks[b].start = int32(pc)
		}
	}
	entry := &v.blocks[0]
	// At entry the registers below NumUsedRegisters hold values, but the
	// last one: a Lua function entered by TAILCALL gets its frame moved
	// down without its last register, which is left above the top (see
	// verifyProto).
	for r := 0; r < int(p.NumUsedRegisters)-1; r++ {
		entry.in.valid.add(r)
	}
	entry.in.open = -1
	entry.seen = true
	v.work = v.work[:0]
	v.push(0)
	budget := 16*n + 1024 // compiled code takes at most 2 (TestCodecCorpus)
	for len(v.work) > 0 {
		b := v.pop()
		s := v.blocks[b].in
		var alt vstate
		for at := int(v.blocks[b].start); ; {
			if budget--; budget < 0 {
				v.pc = at
				return vErr("code too complex to verify")
			}
			v.pc = at
			info := &v.pcs[at]
			if err := v.flow(at, &s, &alt); err != nil {
				return err
			}
			if info.nsucc == 1 && info.natural && v.pcs[info.succ[0]].block < 0 {
				at = int(info.succ[0])
				continue
			}
			for i, t := range info.succ[:info.nsucc] {
				out := &s
				if i == 1 {
					out = &alt
				}
				tb := v.pcs[t].block
				if bi := &v.blocks[tb]; !bi.seen {
					bi.seen = true
					bi.in = *out
					v.push(tb)
				} else if bi.in.merge(out) {
					v.push(tb)
				}
			}
			break
		}
	}
	v.pc = -1
	return nil
}

// successors returns where control may go after the instruction at pc.
// natural reports that the only successor is the next instruction.
func (v *verifier) successors(pc int) (succ [2]int, n int, natural bool) {
	inst := v.code[pc]
	switch int(inst >> 26) {
	case lua.OP_RETURN:
		return succ, 0, false
	case lua.OP_JMP:
		succ[0] = pc + 1 + argSbx(inst)
		return succ, 1, false
	case lua.OP_FORPREP:
		succ[0] = pc + 1 + argSbx(inst)
		return succ, 1, false
	case lua.OP_FORLOOP:
		// The first: back to the loop; the second: the exit.
		succ[0], succ[1] = pc+1+argSbx(inst), pc+1
		return succ, 2, false
	case lua.OP_EQ, lua.OP_LT, lua.OP_LE, lua.OP_TEST, lua.OP_TESTSET, lua.OP_TFORLOOP:
		succ[0], succ[1] = pc+1, pc+2
		return succ, 2, false
	case lua.OP_LOADBOOL:
		if argC(inst) != 0 {
			succ[0] = pc + 2
			return succ, 1, false
		}
	case lua.OP_CLOSURE:
		if bx := argBx(inst); bx < len(v.p.FunctionPrototypes) {
			succ[0] = pc + 1 + int(v.p.FunctionPrototypes[bx].NumUpvalues)
			return succ, 1, true
		}
	case lua.OP_SETLIST:
		if argC(inst) == 0 {
			succ[0] = pc + 2
			return succ, 1, true
		}
	}
	succ[0] = pc + 1
	return succ, 1, true
}

// static checks what does not depend on the data flow.
func (v *verifier) static(pc int) error {
	p, inst := v.p, v.code[pc]
	a, b, c, bx := argA(inst), argB(inst), argC(inst), argBx(inst)
	nk := len(p.Constants)
	rk := func(x int) error {
		if x&bitRK != 0 && x&^bitRK >= nk {
			return vErr("constant %d of %d", x&^bitRK, nk)
		}
		return nil
	}
	strK := func(x int) error {
		if x >= nk {
			return vErr("constant %d of %d", x, nk)
		}
		if _, ok := p.Constants[x].(lua.LString); !ok {
			return vErr("constant %d is not a string", x)
		}
		return nil
	}
	switch int(inst >> 26) {
	case lua.OP_MOVEN:
		if pc+c >= len(v.code) {
			return vErr("moves past the end of the code")
		}
		for i := 1; i <= c; i++ {
			if int(v.code[pc+i]>>26) != lua.OP_MOVE || v.pcs[pc+i].operand {
				return vErr("MOVEN not followed by %d MOVEs", c)
			}
		}
	case lua.OP_LOADK:
		if bx >= nk {
			return vErr("constant %d of %d", bx, nk)
		}
	case lua.OP_LOADNIL:
		if a > b {
			return vErr("LOADNIL of %d..%d", a, b)
		}
	case lua.OP_GETUPVAL, lua.OP_SETUPVAL:
		if b >= int(p.NumUpvalues) {
			return vErr("upvalue %d of %d", b, p.NumUpvalues)
		}
	case lua.OP_GETGLOBAL, lua.OP_SETGLOBAL:
		return strK(bx)
	case lua.OP_GETTABLEKS, lua.OP_SELF:
		if c&bitRK != 0 {
			return strK(c &^ bitRK)
		}
	case lua.OP_SETTABLEKS:
		if b&bitRK != 0 {
			if err := strK(b &^ bitRK); err != nil {
				return err
			}
		}
		return rk(c)
	case lua.OP_GETTABLE:
		return rk(c)
	case lua.OP_SETTABLE, lua.OP_ADD, lua.OP_SUB, lua.OP_MUL, lua.OP_DIV, lua.OP_MOD, lua.OP_POW,
		lua.OP_EQ, lua.OP_LT, lua.OP_LE:
		if err := rk(b); err != nil {
			return err
		}
		return rk(c)
	case lua.OP_UNM, lua.OP_LEN:
		return rk(b)
	case lua.OP_CONCAT:
		if b > c {
			return vErr("CONCAT of %d..%d", b, c)
		}
	case lua.OP_TFORLOOP:
		if c < 1 {
			return vErr("TFORLOOP without variables")
		}
		if pc+1 >= len(v.code) || int(v.code[pc+1]>>26) != lua.OP_JMP {
			return vErr("TFORLOOP not followed by a JMP")
		}
	case lua.OP_CLOSURE:
		child := p.FunctionPrototypes[bx] // bx checked by the operand pass
		for i := 1; i <= int(child.NumUpvalues); i++ {
			w := v.code[pc+i]
			switch int(w >> 26) {
			case lua.OP_MOVE:
			case lua.OP_GETUPVAL:
				if argB(w) >= int(p.NumUpvalues) {
					return vErr("captures upvalue %d of %d", argB(w), p.NumUpvalues)
				}
			default:
				return vErr("upvalue %d is neither MOVE nor GETUPVAL", i-1)
			}
		}
	case lua.OP_VARARG:
		if p.IsVarArg&lua.VarArgIsVarArg == 0 {
			return vErr("VARARG in a function without ...")
		}
	}
	return nil
}

// flow applies the instruction at pc to s, the state before it, which
// becomes the state at its first successor; for an instruction with two
// successors, alt becomes the state at the second.
func (v *verifier) flow(pc int, s, alt *vstate) error {
	p, inst := v.p, v.code[pc]
	open := s.open
	s.open = -1
	a, b, c, bx := argA(inst), argB(inst), argC(inst), argBx(inst)
	need := func(r int) error {
		if !s.valid.has(r) {
			if r >= maxVerifyRegs {
				return vErr("register %d out of range", r)
			}
			return vErr("register %d is read but holds no value", r)
		}
		return nil
	}
	needRange := func(from, to int) error { // [from, to)
		for r := from; r < to; r++ {
			if err := need(r); err != nil {
				return err
			}
		}
		return nil
	}
	// needTop checks the registers from..top-1 of an instruction with
	// B = 0: an open result must start at or above from.
	needTop := func(from int) error {
		if open < from {
			return vErr("B = 0 and the top is not known to be at or above register %d", from)
		}
		return needRange(from, open)
	}
	needRK := func(x int) error {
		if x&bitRK != 0 {
			return nil // checked by static
		}
		return need(x)
	}
	needStr := func(x int) error { // the key of GETTABLEKS, SETTABLEKS, SELF
		if x&bitRK != 0 {
			return nil // a string constant: checked by static
		}
		if err := need(x); err != nil {
			return err
		}
		if !s.str.has(x) {
			return vErr("key register %d does not surely hold a string", x)
		}
		return nil
	}
	write := func(s *vstate, r int) error {
		if r >= maxVerifyRegs {
			return vErr("register %d out of range", r)
		}
		s.valid.add(r)
		s.table.del(r)
		s.str.del(r)
		return nil
	}
	writeRange := func(s *vstate, from, to int) error {
		for r := from; r < to; r++ {
			if err := write(s, r); err != nil {
				return err
			}
		}
		return nil
	}
	// lose drops registers >= r: the VM lowers the top to r.
	lose := func(s *vstate, r int) error {
		if s.captured.anyFrom(r) {
			return vErr("loses registers from %d, captured by a closure", r)
		}
		s.valid.below(r)
		s.table.below(r)
		s.str.below(r)
		return nil
	}
	// runs: the instruction may run Lua code, which may assign captured
	// registers through their upvalues.
	runs := func() {
		for i := range s.table {
			s.table[i] &^= s.captured[i]
			s.str[i] &^= s.captured[i]
		}
	}
	// callArgs checks the function and arguments of CALL and TAILCALL.
	callArgs := func() error {
		if err := need(a); err != nil {
			return err
		}
		if b == 0 {
			return needTop(a + 1)
		}
		return needRange(a+1, a+b)
	}

	var err error
	switch int(inst >> 26) {
	case lua.OP_MOVE, lua.OP_MOVEN:
		// MOVEN's following MOVEs are checked as the instructions they
		// are: running them one by one is what MOVEN does.
		if err = need(b); err == nil {
			tb, st := s.table.has(b), s.str.has(b)
			if err = write(s, a); err == nil {
				if tb {
					s.table.add(a)
				}
				if st {
					s.str.add(a)
				}
			}
		}
	case lua.OP_LOADK:
		if err = write(s, a); err == nil {
			if _, ok := p.Constants[bx].(lua.LString); ok {
				s.str.add(a)
			}
		}
	case lua.OP_LOADBOOL, lua.OP_GETUPVAL:
		err = write(s, a)
	case lua.OP_LOADNIL:
		err = writeRange(s, a, b+1)
	case lua.OP_GETGLOBAL:
		runs()
		err = write(s, a)
	case lua.OP_GETTABLE:
		if err = need(b); err == nil {
			if err = needRK(c); err == nil {
				runs()
				err = write(s, a)
			}
		}
	case lua.OP_GETTABLEKS:
		if err = need(b); err == nil {
			if err = needStr(c); err == nil {
				runs()
				err = write(s, a)
			}
		}
	case lua.OP_SETGLOBAL, lua.OP_SETUPVAL:
		if err = need(a); err == nil && int(inst>>26) == lua.OP_SETGLOBAL {
			runs()
		}
	case lua.OP_SETTABLE:
		if err = need(a); err == nil {
			if err = needRK(b); err == nil {
				if err = needRK(c); err == nil {
					runs()
				}
			}
		}
	case lua.OP_SETTABLEKS:
		if err = need(a); err == nil {
			if err = needStr(b); err == nil {
				if err = needRK(c); err == nil {
					runs()
				}
			}
		}
	case lua.OP_NEWTABLE:
		if err = write(s, a); err == nil {
			s.table.add(a)
		}
	case lua.OP_SELF:
		if err = need(b); err == nil {
			if err = needStr(c); err == nil {
				tb, st := s.table.has(b), s.str.has(b)
				runs()
				if err = write(s, a); err == nil {
					if err = write(s, a+1); err == nil {
						if tb && !s.captured.has(b) {
							s.table.add(a + 1)
						}
						if st && !s.captured.has(b) {
							s.str.add(a + 1)
						}
					}
				}
			}
		}
	case lua.OP_ADD, lua.OP_SUB, lua.OP_MUL, lua.OP_DIV, lua.OP_MOD, lua.OP_POW,
		lua.OP_EQ, lua.OP_LT, lua.OP_LE:
		if err = needRK(b); err == nil {
			if err = needRK(c); err == nil {
				runs()
				if op := int(inst >> 26); op != lua.OP_EQ && op != lua.OP_LT && op != lua.OP_LE {
					err = write(s, a)
				} else {
					*alt = *s
				}
			}
		}
	case lua.OP_UNM, lua.OP_LEN:
		if err = needRK(b); err == nil {
			runs()
			err = write(s, a)
		}
	case lua.OP_NOT:
		if err = need(b); err == nil {
			err = write(s, a)
		}
	case lua.OP_CONCAT:
		if err = needRange(b, c+1); err == nil {
			runs()
			err = write(s, a)
		}
	case lua.OP_JMP, lua.OP_NOP:
	case lua.OP_TEST:
		err = need(a)
		*alt = *s
	case lua.OP_TESTSET:
		if err = need(b); err == nil {
			tb, st := s.table.has(b), s.str.has(b)
			*alt = *s // the skip: A unchanged
			if err = write(s, a); err == nil {
				if tb {
					s.table.add(a)
				}
				if st {
					s.str.add(a)
				}
			}
		}
		return err
	case lua.OP_CALL:
		if err = callArgs(); err == nil {
			// The callee's frame is A+1 and up; its results land at A.
			if err = lose(s, a); err == nil {
				runs()
				if c == 0 {
					s.open = a
				} else if err = writeRange(s, a, a+c-1); err == nil {
					s.open = a + c - 1 // the top is right after the results
				}
			}
		}
	case lua.OP_TAILCALL:
		// The frame ends (its upvalues closed); a RETURN that follows, as
		// the compiler makes, is never reached but must verify.
		if err = callArgs(); err == nil {
			s.captured = regset{}
			if err = lose(s, a); err == nil {
				s.open = a
			}
		}
	case lua.OP_RETURN:
		if b == 0 {
			err = needTop(a)
		} else {
			err = needRange(a, a+b-1)
		}
	case lua.OP_FORLOOP:
		if err = needRange(a, a+3); err == nil {
			if err = write(s, a); err == nil {
				*alt = *s
				if err = write(s, a+3); err == nil { // the loop: R(A+3) = R(A)
					err = lose(alt, a+1) // the exit: top = A+1
					alt.open = a + 1
				}
			}
		}
		return err
	case lua.OP_FORPREP:
		if err = need(a); err == nil {
			if err = need(a + 2); err == nil {
				err = write(s, a)
			}
		}
	case lua.OP_TFORLOOP:
		// R(A+3..A+2+C) := R(A)(R(A+1), R(A+2)), called at A+3; then on
		// the loop path R(A+2) := R(A+3).
		if err = needRange(a, a+3); err == nil {
			if err = lose(s, a+3); err == nil {
				runs()
				if err = writeRange(s, a+3, a+3+c); err == nil {
					err = write(s, a+2)
					s.open = a + 3 + c
				}
			}
		}
		*alt = *s
		return err
	case lua.OP_SETLIST:
		if !s.table.has(a) {
			return vErr("register %d does not surely hold a table", a)
		}
		if b == 0 {
			err = needTop(a + 1)
		} else {
			err = needRange(a+1, a+b+1)
		}
	case lua.OP_CLOSE:
		s.captured.below(a)
	case lua.OP_CLOSURE:
		if err = write(s, a); err == nil {
			child := p.FunctionPrototypes[bx]
			for i := 1; i <= int(child.NumUpvalues); i++ {
				if w := v.code[pc+i]; int(w>>26) == lua.OP_MOVE {
					r := argB(w)
					if err = need(r); err != nil {
						break
					}
					s.captured.add(r)
				}
			}
		}
	case lua.OP_VARARG:
		if b == 0 {
			if err = lose(s, a); err == nil {
				s.open = a
			}
		} else if err = lose(s, a+b-1); err == nil {
			if err = writeRange(s, a, a+b-1); err == nil {
				s.open = a + b - 1
			}
		}
	default:
		err = vErr("unknown opcode")
	}
	return err
}
