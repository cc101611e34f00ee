package luahost

// The string and table libraries, and unpack, as builtins that pay for
// their work.
//
// gopher-lua's versions are Go code the instruction budget does not see:
// one call can match a pattern for minutes (string.rep("a", 5000):find(
// ".-.-.-.-.-b")) or build gigabytes (string.rep, table.concat,
// string.format widths, gsub). These are ports of gopher-lua v1.1.2's
// stringlib.go, tablelib.go and baselib.go (Copyright (c) 2015 Yusuke
// Inuzuka, MIT License; see internal/pattern/LICENSE) that keep their
// results and:
//
//   - charge the instruction budget in proportion to their work, as they
//     go: a pattern step is an instruction (internal/pattern calls back at
//     least every 1024 steps), 64 bytes copied, scanned or formatted are
//     one, a table.sort comparison is one (plus one per 64 bytes of the
//     strings it compares; a comparator's own instructions count as
//     usual), an element shifted by table.insert or table.remove is 1/16;
//     Charging also stops a killed process (state.charge), so that exit(pid,
//     "kill") ends one stuck in a builtin within about a thousand steps;
//   - charge the memory of what they build before they build it: results
//     of known size (string.rep, table.concat, string.format, upper, ...)
//     at once, from the format spec for string.format; growing ones (gsub)
//     each time their buffer grows;
//   - refuse results of more than maxStringBytes even in a process without
//     a memory limit ("resulting string too large"): Go cannot recover
//     from running out of memory, and the node must go on;
//   - return at most maxResults values (unpack, string.byte), as C Lua's
//     stack limit does ("too many results to unpack", "string slice too
//     long").
//
// string.len and string.sub cost nothing (a substring shares its bytes);
// select and tostring stay gopher-lua's: tostring of a string returns it,
// of anything else a short string (or what __tostring, counted, returns).
//
// Where they differ from gopher-lua, it is towards C Lua 5.1 or away from
// a Go panic: string.match without a match returns nil (gopher-lua
// returned nothing); string.gmatch returns one iterator function that
// also works when called directly (gopher-lua returned a function and a
// state); string.find with plain = true and init past the end returns nil
// (gopher-lua panicked); patterns hold at most 32 captures and 16 MiB;
// gsub builds its result as it goes (gopher-lua copied the whole string at
// each match: quadratic).

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
	"unsafe"

	lua "github.com/yuin/gopher-lua"

	"github.com/dlua/dlua/luahost/internal/pattern"
)

const (
	// maxStringBytes is the largest string a builtin makes.
	maxStringBytes = 1 << 30
	// maxResults is the most values a builtin returns (C Lua's
	// LUAI_MAXCSTACK).
	maxResults = 8000
	// maxPatternBytes is the longest pattern: a compiled pattern takes
	// about 64 bytes per byte of pattern.
	maxPatternBytes = 16 << 20
	// bytesPerInstruction: bytes copied, scanned or formatted that count
	// as one instruction.
	bytesPerInstruction = 64
	// chunkBytes is how much a builtin copies between two checks.
	chunkBytes = 64 << 10
)

type libFunc struct {
	name string
	fn   lua.LGFunction
}

// stringFuncs and tableFuncs are the string and table libraries; libs.go
// registers them.
var stringFuncs = []libFunc{
	{"byte", strByte}, {"char", strChar}, {"find", strFind}, {"format", strFormat},
	{"gmatch", strGmatch}, {"gsub", strGsub}, {"len", strLen}, {"lower", strLower},
	{"match", strMatch}, {"rep", strRep}, {"reverse", strReverse}, {"sub", strSub},
	{"upper", strUpper},
}

var tableFuncs = []libFunc{
	{"concat", tableConcat}, {"getn", tableGetN}, {"insert", tableInsert},
	{"maxn", tableMaxN}, {"remove", tableRemove}, {"sort", tableSort},
}

// Charging helpers.

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
		s.alloc(sizeString + n)
	}
	if n > maxStringBytes {
		L.RaiseError("resulting string too large")
	}
}

// satAdd and satMul add and multiply non-negative sizes, saturating far
// above maxStringBytes instead of overflowing.
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

// reserve makes room for n more bytes.
func (b *resultBuilder) reserve(n int) {
	need := satAdd(len(b.buf), n)
	if need <= cap(b.buf) {
		return
	}
	c := satAdd(cap(b.buf), cap(b.buf))
	if cap(b.buf) > 0 && c < 64 {
		c = 64
	}
	if c < need {
		c = need
	}
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

// bytesOf returns the bytes of str without copying; they must not be
// written.
func bytesOf(str string) []byte {
	return unsafe.Slice(unsafe.StringData(str), len(str))
}

// Patterns.

// matchHook lets the pattern matcher charge the process.
type matchHook state

func (h *matchHook) Steps(n int) { (*state)(h).charge(n) }

func (h *matchHook) Grow(n int) {
	if s := (*state)(h); s.memLimit != 0 {
		s.alloc(n)
	}
}

var matcherPool = sync.Pool{New: func() any { return new(pattern.Matcher) }}

func getMatcher(s *state) *pattern.Matcher {
	m := matcherPool.Get().(*pattern.Matcher)
	m.Hook = (*matchHook)(s)
	return m
}

// putMatcher charges the matcher's last steps and gives it back. A
// matcher whose match raised is not given back (nor needed: the pool
// makes new ones).
func putMatcher(m *pattern.Matcher) {
	m.Flush()
	m.Hook = nil
	matcherPool.Put(m)
}

// Compiled patterns are immutable and shared by all processes: short
// patterns are cached.
const (
	maxCachedPattern = 64
	maxCachedCount   = 4096
)

var (
	patternCache      sync.Map // string -> *pattern.Pattern
	patternCacheCount atomic.Int64
)

// compilePattern compiles p, charging its parsing, or raises its error.
func compilePattern(L *lua.LState, s *state, p string) *pattern.Pattern {
	if n := len(p) / 16; n > 0 {
		s.charge(n)
	}
	if len(p) <= maxCachedPattern {
		if pat, ok := patternCache.Load(p); ok {
			return pat.(*pattern.Pattern)
		}
	} else {
		if s.memLimit != 0 {
			s.alloc(64 * len(p))
		}
		if len(p) > maxPatternBytes {
			L.RaiseError("pattern too long")
		}
	}
	pat, err := pattern.Compile(p)
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	if len(p) <= maxCachedPattern {
		if patternCacheCount.Add(1) > maxCachedCount {
			patternCache.Clear()
			patternCacheCount.Store(1)
		}
		// The key is cloned: p may be a slice of a huge string.
		patternCache.Store(strings.Clone(p), pat)
	}
	return pat
}

// matchFirst finds the first match of p in str from init, as gopher-lua's
// pm.Find(p, str, init, 1) did. It returns the matcher (to be put back)
// holding the match, or nil.
func matchFirst(L *lua.LState, s *state, str, p string, init int) *pattern.Matcher {
	pat := compilePattern(L, s, p)
	m := getMatcher(s)
	src := bytesOf(str)
	for sp := init; sp <= len(src); sp++ {
		ok, _, err := m.MatchAt(pat, src, sp)
		if err != nil {
			L.RaiseError("%s", err.Error())
		}
		if ok {
			return m
		}
		if pat.Anchored() {
			break
		}
	}
	putMatcher(m)
	return nil
}

// pushCapture pushes capture i (an even index) of md.
func pushCapture(L *lua.LState, md *pattern.MatchData, str string, i int) {
	if md.IsPosCapture(i) {
		L.Push(lua.LNumber(md.Capture(i)))
	} else {
		L.Push(lua.LString(str[md.Capture(i):md.Capture(i+1)]))
	}
}

// pushCaptures pushes the captures of md, or the whole match if it has
// none (string.match and string.gmatch).
func pushCaptures(L *lua.LState, md *pattern.MatchData, str string) int {
	if md.CaptureLength() == 2 {
		L.Push(lua.LString(str[md.Capture(0):md.Capture(1)]))
		return 1
	}
	for i := 2; i < md.CaptureLength(); i += 2 {
		pushCapture(L, md, str, i)
	}
	return md.CaptureLength()/2 - 1
}

func luaIndex2StringIndex(str string, i int, start bool) int {
	if start && i != 0 {
		i -= 1
	}
	l := len(str)
	if i < 0 {
		i = l + i + 1
	}
	i = max(0, i)
	if !start && i > l {
		i = l
	}
	return i
}

func strFind(L *lua.LState) int {
	str := L.CheckString(1)
	p := L.CheckString(2)
	if len(p) == 0 {
		L.Push(lua.LNumber(1))
		L.Push(lua.LNumber(0))
		return 2
	}
	init := luaIndex2StringIndex(str, L.OptInt(3, 1), true)
	plain := false
	if L.GetTop() == 4 {
		plain = lua.LVAsBool(L.Get(4))
	}
	s := stateOf(L)

	if plain {
		if init > len(str) {
			L.Push(lua.LNil)
			return 1
		}
		chargeBytes(s, len(str)-init+len(p))
		pos := strings.Index(str[init:], p)
		if pos < 0 {
			L.Push(lua.LNil)
			return 1
		}
		L.Push(lua.LNumber(init+pos) + 1)
		L.Push(lua.LNumber(init + pos + len(p)))
		return 2
	}

	m := matchFirst(L, s, str, p, init)
	if m == nil {
		L.Push(lua.LNil)
		return 1
	}
	md := m.MatchData()
	L.Push(lua.LNumber(md.Capture(0) + 1))
	L.Push(lua.LNumber(md.Capture(1)))
	for i := 2; i < md.CaptureLength(); i += 2 {
		pushCapture(L, md, str, i)
	}
	n := md.CaptureLength()/2 + 1
	putMatcher(m)
	return n
}

func strMatch(L *lua.LState) int {
	str := L.CheckString(1)
	p := L.CheckString(2)
	offset := L.OptInt(3, 1)
	l := len(str)
	if offset < 0 {
		offset = l + offset + 1
	}
	offset--
	if offset < 0 {
		offset = 0
	}
	m := matchFirst(L, stateOf(L), str, p, offset)
	if m == nil {
		L.Push(lua.LNil)
		return 1
	}
	n := pushCaptures(L, m.MatchData(), str)
	putMatcher(m)
	return n
}

// strGmatch returns an iterator over the matches, found one at a time
// (gopher-lua found them all at once).
func strGmatch(L *lua.LState) int {
	str := L.CheckString(1)
	s := stateOf(L)
	pat := compilePattern(L, s, L.CheckString(2))
	sp, done := 0, false
	L.Push(L.NewFunction(func(L *lua.LState) int {
		src := bytesOf(str)
		m := getMatcher(stateOf(L))
		for !done && sp <= len(src) {
			ok, nsp, err := m.MatchAt(pat, src, sp)
			if err != nil {
				done = true
				L.RaiseError("%s", err.Error())
			}
			sp++
			if pat.Anchored() {
				done = true
			}
			if ok {
				if sp < nsp {
					sp = nsp
				}
				n := pushCaptures(L, m.MatchData(), str)
				putMatcher(m)
				return n
			}
		}
		done = true
		putMatcher(m)
		L.Push(lua.LNil)
		return 1
	}))
	return 1
}

func strGsub(L *lua.LState) int {
	str := L.CheckString(1)
	p := L.CheckString(2)
	L.CheckTypes(3, lua.LTString, lua.LTTable, lua.LTFunction)
	repl := L.CheckAny(3)
	limit := L.OptInt(4, -1)
	s := stateOf(L)
	pat := compilePattern(L, s, p)
	m := getMatcher(s)
	src := bytesOf(str)
	b := resultBuilder{L: L, s: s}
	last, count := 0, 0 // str[:last] is in b; count: matches
	// The loop is gopher-lua's pm.Find(p, str, 0, limit), which gsub
	// called: a limit of 0 stops at the first position that does not
	// match, and only there.
	for sp := 0; sp <= len(src); {
		ok, nsp, err := m.MatchAt(pat, src, sp)
		if err != nil {
			L.RaiseError("%s", err.Error())
		}
		start := sp
		sp++
		if ok {
			if sp < nsp {
				sp = nsp
			}
			count++
			gsubReplace(L, &b, m.MatchData(), str, start, nsp, &last, repl)
		}
		if count == limit || pat.Anchored() {
			break
		}
	}
	putMatcher(m)
	if count == 0 {
		L.SetTop(1)
		L.Push(lua.LNumber(0))
		return 2
	}
	b.writeString(str[last:])
	L.Push(lua.LString(b.string()))
	L.Push(lua.LNumber(count))
	return 2
}

// gsubReplace appends to b the text before the match str[start:end] and
// the match's replacement, as gopher-lua's strGsubStr, strGsubTable and
// strGsubFunc made it.
func gsubReplace(L *lua.LState, b *resultBuilder, md *pattern.MatchData, str string, start, end int, last *int, repl lua.LValue) {
	switch r := repl.(type) {
	case lua.LString:
		b.writeString(str[*last:start])
		*last = end
		gsubExpand(L, b, md, str, string(r))
		return
	case *lua.LTable:
		idx := 0
		if md.CaptureLength() > 2 { // has captures
			idx = 2
		}
		var value lua.LValue
		if md.IsPosCapture(idx) {
			value = L.GetTable(r, lua.LNumber(md.Capture(idx)))
		} else {
			value = L.GetField(r, str[md.Capture(idx):md.Capture(idx+1)])
		}
		if !lua.LVIsFalse(value) {
			b.writeString(str[*last:start])
			*last = end
			b.writeString(lua.LVAsString(value))
		}
	case *lua.LFunction:
		L.Push(r)
		nargs := 0
		if md.CaptureLength() > 2 { // has captures
			for i := 2; i < md.CaptureLength(); i += 2 {
				if md.IsPosCapture(i) {
					L.Push(lua.LNumber(md.Capture(i)))
				} else {
					L.Push(lua.LString(capturedString(L, md, str, i)))
				}
				nargs++
			}
		} else {
			L.Push(lua.LString(capturedString(L, md, str, 0)))
			nargs++
		}
		L.Call(nargs, 1)
		ret := L.Get(-1)
		L.Pop(1)
		if !lua.LVIsFalse(ret) {
			b.writeString(str[*last:start])
			*last = end
			b.writeString(lua.LVAsString(ret))
		}
	}
}

// gsubExpand appends repl with its %0-%9 replaced by captures and %% by
// %; any other % stays as it is (gopher-lua's flagScanner).
func gsubExpand(L *lua.LState, b *resultBuilder, md *pattern.MatchData, str, repl string) {
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		if c != '%' || i == len(repl)-1 {
			b.writeByte(c)
			continue
		}
		i++
		d := repl[i]
		switch {
		case d == '%':
			b.writeByte('%')
		case '0' <= d && d <= '9':
			b.writeString(capturedString(L, md, str, 2*int(d-'0')))
		default:
			b.writeByte('%')
			b.writeByte(d)
		}
	}
}

func capturedString(L *lua.LState, md *pattern.MatchData, str string, idx int) string {
	if idx > 2 && idx >= md.CaptureLength() {
		L.RaiseError("invalid capture index")
	}
	if idx >= md.CaptureLength() && idx == 2 {
		idx = 0
	}
	if md.IsPosCapture(idx) {
		return fmt.Sprint(md.Capture(idx))
	}
	return str[md.Capture(idx):md.Capture(idx+1)]
}

// Other string functions.

func strByte(L *lua.LState) int {
	str := L.CheckString(1)
	start := L.OptInt(2, 1) - 1
	end := L.OptInt(3, -1)
	l := len(str)
	if start < 0 {
		start = l + start + 1
	}
	if end < 0 {
		end = l + end + 1
	}

	if L.GetTop() == 2 {
		if start < 0 || start >= l {
			return 0
		}
		L.Push(lua.LNumber(str[start]))
		return 1
	}

	start = max(start, 0)
	end = min(end, l)
	if end < 0 || end <= start || start >= l {
		return 0
	}
	if end-start > maxResults {
		L.RaiseError("string slice too long")
	}
	pushResults(stateOf(L), end-start)
	for i := start; i < end; i++ {
		L.Push(lua.LNumber(str[i]))
	}
	return end - start
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

func strChar(L *lua.LState) int {
	top := L.GetTop()
	s := stateOf(L)
	reserveString(L, s, top)
	chargeBytes(s, top)
	bytes := make([]byte, top)
	for i := 1; i <= top; i++ {
		bytes[i-1] = uint8(L.CheckInt(i))
	}
	L.Push(lua.LString(bytes))
	return 1
}

func strLen(L *lua.LState) int {
	str := L.CheckString(1)
	L.Push(lua.LNumber(len(str)))
	return 1
}

// strSub shares its result's bytes with str: it costs nothing.
func strSub(L *lua.LState) int {
	str := L.CheckString(1)
	start := luaIndex2StringIndex(str, L.CheckInt(2), true)
	end := luaIndex2StringIndex(str, L.OptInt(3, -1), false)
	l := len(str)
	if start >= l || end < start {
		L.Push(lua.LString(""))
	} else {
		L.Push(lua.LString(str[start:end]))
	}
	return 1
}

// smallString is the size under which a builtin converts a string in one
// go; larger ones are converted by chunks of chunkBytes.
const smallString = 4 << 10

func strUpper(L *lua.LState) int { return caseMap(L, strings.ToUpper) }
func strLower(L *lua.LState) int { return caseMap(L, strings.ToLower) }

// caseMap converts a string as conv (strings.ToUpper or ToLower, as in
// gopher-lua) does, chunk by chunk. Chunks end before the start of a
// UTF-8 sequence, so the result is conv's: conv maps rune by rune, and a
// rune never spans two chunks.
func caseMap(L *lua.LState, conv func(string) string) int {
	str := L.CheckString(1)
	s := stateOf(L)
	if len(str) <= smallString {
		reserveString(L, s, len(str))
		chargeBytes(s, len(str))
		L.Push(lua.LString(conv(str)))
		return 1
	}
	b := resultBuilder{L: L, s: s}
	b.reserve(len(str)) // exact unless case mapping changes byte lengths
	for len(str) > 0 {
		n := min(chunkBytes, len(str))
		if n < len(str) {
			// Cut before the last rune start among the last bytes, if
			// any; with none, no valid rune spans n.
			for k := n; k > n-utf8.UTFMax; k-- {
				if utf8.RuneStart(str[k]) {
					n = k
					break
				}
			}
		}
		b.writeString(conv(str[:n]))
		str = str[n:]
	}
	L.Push(lua.LString(b.string()))
	return 1
}

func strReverse(L *lua.LState) int {
	str := L.CheckString(1)
	s := stateOf(L)
	b := resultBuilder{L: L, s: s}
	b.reserve(len(str))
	b.buf = b.buf[:len(str)]
	for i, j := 0, len(str)-1; j >= 0; i, j = i+1, j-1 {
		b.buf[i] = str[j]
		if i&(chunkBytes-1) == chunkBytes-1 {
			b.wrote(chunkBytes)
		}
	}
	b.work += len(str) & (chunkBytes - 1)
	L.Push(lua.LString(b.string()))
	return 1
}

// strRep is Lua 5.1's string.rep(s, n), with no separator.
func strRep(L *lua.LState) int {
	str := L.CheckString(1)
	n := L.CheckInt(2)
	if n <= 0 || len(str) == 0 {
		L.Push(lua.LString(""))
		return 1
	}
	s := stateOf(L)
	total := satMul(len(str), n)
	chargeBytes(s, total)
	b := resultBuilder{L: L, s: s, prepaid: true}
	b.reserve(total)
	b.writeString(str)
	for len(b.buf) < total { // doubling: append a prefix of whole copies
		k := min(len(b.buf), total-len(b.buf))
		for off := 0; off < k; {
			c := min(k-off, chunkBytes)
			b.buf = append(b.buf, b.buf[off:off+c]...)
			off += c
			b.wrote(c)
		}
	}
	L.Push(lua.LString(b.string()))
	return 1
}

// strFormat formats as gopher-lua did (Go's fmt, with Lua values as
// arguments), after charging the result's size, computed from the format
// before formatting.
func strFormat(L *lua.LState) int {
	str := L.CheckString(1)
	top := L.GetTop()
	args := make([]any, top-1)
	for i := 2; i <= top; i++ {
		args[i-2] = L.Get(i)
	}
	npat := strings.Count(str, "%") - strings.Count(str, "%%")
	args = args[:min(npat, len(args))]
	s := stateOf(L)
	size := formatSize(str, args)
	chargeBytes(s, size)
	reserveString(L, s, size)
	L.Push(lua.LString(fmt.Sprintf(str, args...)))
	return 1
}

// formatSize returns at least the length of fmt.Sprintf(format, args...),
// where args are Lua values. It follows how fmt's doPrintf reads a
// format: flags, an optional [n] argument index, a width (digits, or *
// which a Lua number never satisfies), an optional precision, a verb. A
// width or precision is at most about 10^7: longer numbers make fmt give
// up on the rest of the format.
func formatSize(format string, args []any) int {
	const note = 32 // room for fmt's notes: %!d(MISSING), %!(BADWIDTH), ...
	size := len(format)
	argNum := 0
	reordered := false
	end := len(format)
	for i := 0; i < end; {
		j := strings.IndexByte(format[i:], '%')
		if j < 0 {
			break
		}
		i += j + 1
		for i < end && strings.IndexByte("#0+- ", format[i]) >= 0 {
			i++
		}
		i, reordered = formatIndex(format, i, reordered)
		width := 0
		if i < end && format[i] == '*' {
			i++
			if argNum < len(args) {
				argNum++
			}
			size += note
		} else {
			width, i = formatNum(format, i)
		}
		prec, hasPrec := 0, false
		if i+1 < end && format[i] == '.' {
			i++
			i, reordered = formatIndex(format, i, reordered)
			if i < end && format[i] == '*' {
				i++
				if argNum < len(args) {
					argNum++
				}
				size += note
			} else {
				prec, i = formatNum(format, i)
				hasPrec = true
			}
		}
		i, reordered = formatIndex(format, i, reordered)
		if i >= end {
			size += note
			break
		}
		verb, w := utf8.DecodeRuneInString(format[i:])
		i += w
		if verb == '%' {
			continue
		}
		size = satAdd(size, width+note)
		switch {
		case reordered:
			// Which argument is used is not followed: take the largest.
			most := 0
			for _, a := range args {
				most = max(most, formatArgSize(verb, a, prec, hasPrec))
			}
			size = satAdd(size, most)
		case argNum >= len(args):
		default:
			size = satAdd(size, formatArgSize(verb, args[argNum], prec, hasPrec))
			argNum++
		}
	}
	if !reordered && argNum < len(args) { // %!(EXTRA type=value, ...)
		for _, a := range args[argNum:] {
			size = satAdd(size, formatArgSize('v', a, 0, false)+note)
		}
	}
	return size
}

// formatNum is fmt's parsenum: digits, or nothing past a number too large.
func formatNum(s string, i int) (num, next int) {
	for next = i; next < len(s) && '0' <= s[next] && s[next] <= '9'; next++ {
		if num > 1e6 {
			return 0, len(s)
		}
		num = num*10 + int(s[next]-'0')
	}
	return num, next
}

// formatIndex skips an argument index [n] at i, as fmt's argNumber does.
func formatIndex(s string, i int, reordered bool) (int, bool) {
	if i >= len(s) || s[i] != '[' {
		return i, reordered
	}
	if len(s)-i < 3 {
		return i + 1, true
	}
	for k := i + 1; k < len(s); k++ {
		if s[k] == ']' {
			return k + 1, true
		}
	}
	return i + 1, true
}

// formatArgSize is at least the length of one Lua value formatted with
// verb, without padding.
func formatArgSize(verb rune, a any, prec int, hasPrec bool) int {
	switch v := a.(type) {
	case lua.LString:
		n := len(v)
		if hasPrec && (verb == 's' || verb == 'v' || verb == 'q' || verb == 'x' || verb == 'X') {
			n = min(n, satMul(prec, utf8.UTFMax)) // at most prec runes
		}
		switch verb {
		case 'q':
			return satMul(n, 4) + 2 // \xNN for a byte
		case 'x', 'X':
			return satMul(n, 5) // "0xNN " for a byte with # and space
		default:
			return n
		}
	case lua.LNumber:
		return 400 + prec // %f of 1e308 has 309 digits; %b of an int64 64
	default:
		return 256 + prec // tables, functions, ... print as "table: 0x..."
	}
}

// Table functions.

// tableArray returns the array part of t.
func tableArray(t *lua.LTable) []lua.LValue {
	return *(*[]lua.LValue)(unsafe.Add(unsafe.Pointer(t), offTableArray))
}

// chargeLen charges gopher-lua's LTable.Len, MaxN and Append: they scan
// the array part back from its end past its nils.
func chargeLen(s *state, t *lua.LTable) {
	if a := tableArray(t); len(a) > 0 && a[len(a)-1] == lua.LNil {
		s.charge(len(a) / 16)
	}
}

func tableGetN(L *lua.LState) int {
	t := L.CheckTable(1)
	chargeLen(stateOf(L), t)
	L.Push(lua.LNumber(t.Len()))
	return 1
}

func tableMaxN(L *lua.LState) int {
	t := L.CheckTable(1)
	chargeLen(stateOf(L), t)
	L.Push(lua.LNumber(t.MaxN()))
	return 1
}

func tableRemove(L *lua.LState) int {
	tbl := L.CheckTable(1)
	if L.GetTop() == 1 {
		L.Push(tbl.Remove(-1))
		return 1
	}
	pos := L.CheckInt(2)
	alen := len(tableArray(tbl))
	if pos < 1 || pos > alen || pos > tbl.Len() {
		// As in Lua 5.1: a position outside 1..#t removes nothing.
		return 0
	}
	if n := alen - pos; n > 16 {
		stateOf(L).charge(n / 16)
	}
	L.Push(tbl.Remove(pos))
	return 1
}

func tableInsert(L *lua.LState) int {
	tbl := L.CheckTable(1)
	nargs := L.GetTop()
	if nargs == 1 {
		L.RaiseError("wrong number of arguments")
	}
	s := stateOf(L)
	if nargs == 2 {
		v := L.Get(2)
		if v != lua.LNil {
			chargeLen(s, tbl)
			if s.memLimit != 0 {
				s.alloc(sizeSlot)
			}
		}
		tbl.Append(v)
		return 0
	}
	pos := L.CheckInt(2)
	v := L.CheckAny(3)
	alen := len(tableArray(tbl))
	switch {
	case pos > alen || pos <= 0: // a plain set: fills a gap of nils, or a hash field
		if pos > alen && pos < maxArrayIndex {
			s.charge((pos - alen) / 16)
		}
		if s.memLimit != 0 {
			s.alloc(setCost(tbl, lua.LNumber(pos)))
		}
	default: // a shift
		if n := alen - pos; n > 16 {
			s.charge(n / 16)
		}
		if s.memLimit != 0 {
			s.alloc(sizeSlot)
		}
	}
	tbl.Insert(pos, v)
	return 0
}

func tableConcat(L *lua.LState) int {
	tbl := L.CheckTable(1)
	sep := L.OptString(2, "")
	s := stateOf(L)
	chargeLen(s, tbl)
	n := tbl.Len()
	i := L.OptInt(3, 1)
	j := L.OptInt(4, n)
	if L.GetTop() == 3 {
		if i > n || i < 1 {
			L.Push(lua.LString(""))
			return 1
		}
	}
	i = max(min(i, n), 1)
	j = min(j, n)
	if i > j {
		L.Push(lua.LString(""))
		return 1
	}
	s.charge((j-i)/16 + 1)
	total := 0
	for k := i; k <= j; k++ {
		switch v := tbl.RawGetInt(k).(type) {
		case lua.LString:
			total = satAdd(total, len(v))
		case lua.LNumber:
			total = satAdd(total, len(v.String()))
		default:
			L.RaiseError("invalid value (%s) at index %d in table for concat", v.Type().String(), k)
		}
		if k != j {
			total = satAdd(total, len(sep))
		}
	}
	chargeBytes(s, total)
	b := resultBuilder{L: L, s: s, prepaid: true}
	b.reserve(total)
	for k := i; k <= j; k++ {
		b.writeString(lua.LVAsString(tbl.RawGetInt(k)))
		if k != j {
			b.writeString(sep)
		}
	}
	L.Push(lua.LString(b.string()))
	return 1
}

// tableSort sorts the array part in place, as gopher-lua did, charging a
// comparison as an instruction (plus the bytes of strings compared).
func tableSort(L *lua.LState) int {
	tbl := L.CheckTable(1)
	srt := &sorter{L: L, s: stateOf(L), values: tableArray(tbl)}
	if L.GetTop() != 1 {
		srt.fn = L.CheckFunction(2)
	}
	sort.Sort(srt)
	srt.s.charge(srt.work)
	return 0
}

type sorter struct {
	L      *lua.LState
	s      *state
	fn     *lua.LFunction
	values []lua.LValue
	work   int // comparisons (and bytes/64 compared) not yet charged
}

func (srt *sorter) Len() int      { return len(srt.values) }
func (srt *sorter) Swap(i, j int) { srt.values[i], srt.values[j] = srt.values[j], srt.values[i] }

func (srt *sorter) Less(i, j int) bool {
	a, b := srt.values[i], srt.values[j]
	srt.work++
	if srt.fn != nil {
		if srt.work >= 256 {
			srt.s.charge(srt.work)
			srt.work = 0
		}
		L := srt.L
		L.Push(srt.fn)
		L.Push(a)
		L.Push(b)
		L.Call(2, 1)
		r := L.Get(-1)
		L.Pop(1)
		return lua.LVAsBool(r)
	}
	if sa, ok := a.(lua.LString); ok {
		if sb, ok := b.(lua.LString); ok {
			srt.work += min(len(sa), len(sb)) / bytesPerInstruction
		}
	}
	if srt.work >= 256 {
		srt.s.charge(srt.work)
		srt.work = 0
	}
	return srt.L.LessThan(a, b)
}

// baseUnpack is unpack(t, [i, [j]]), returning at most maxResults values.
func baseUnpack(L *lua.LState) int {
	tb := L.CheckTable(1)
	s := stateOf(L)
	start := L.OptInt(2, 1)
	var end int
	if L.Get(3) == lua.LNil {
		chargeLen(s, tb)
		end = tb.Len()
	} else {
		end = L.CheckInt(3)
	}
	if start > end {
		return 0
	}
	if uint64(end-start) >= maxResults {
		L.RaiseError("too many results to unpack")
	}
	n := end - start + 1
	pushResults(s, n)
	for i := start; i <= end; i++ {
		L.Push(tb.RawGetInt(i))
	}
	return n
}
