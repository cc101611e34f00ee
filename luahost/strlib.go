package luahost

// The string library, as the Lua 5.1 reference manual (§5.4) describes it,
// with the builtins paying for their work (strbuf.go). string.format is in
// strformat.go; patterns are matched by internal/luapat.

import (
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"

	"github.com/dlua/dlua/luahost/internal/luapat"
)

type libFunc struct {
	name string
	fn   lua.LGFunction
}

// stringFuncs is the string library; libs.go registers it.
var stringFuncs = []libFunc{
	{"byte", strByte}, {"char", strChar}, {"find", strFind}, {"format", strFormat},
	{"gfind", strGmatch}, {"gmatch", strGmatch}, {"gsub", strGsub}, {"len", strLen},
	{"lower", strLower}, {"match", strMatch}, {"rep", strRep}, {"reverse", strReverse},
	{"sub", strSub}, {"upper", strUpper},
}

// maxPatternBytes is the longest pattern a process may use.
const maxPatternBytes = 16 << 20

// strPos is Lua 5.1's posrelat: a negative position counts from the end.
func strPos(pos int64, n int) int64 {
	if pos >= 0 {
		return pos
	}
	return int64(n) + pos + 1
}

func strLen(L *lua.LState) int {
	L.Push(lua.LNumber(len(checkString(L, 1))))
	return 1
}

// strSub shares its result's bytes with its argument: it costs nothing.
func strSub(L *lua.LState) int {
	str := checkString(L, 1)
	start := strPos(checkInteger(L, 2), len(str))
	end := strPos(optInteger(L, 3, -1), len(str))
	start = max(start, 1)
	end = min(end, int64(len(str)))
	if start > end {
		L.Push(lua.LString(""))
	} else {
		L.Push(lua.LString(str[start-1 : end]))
	}
	return 1
}

func strByte(L *lua.LState) int {
	str := checkString(L, 1)
	first := strPos(optInteger(L, 2, 1), len(str))
	last := strPos(optInteger(L, 3, first), len(str))
	first = max(first, 1)
	last = min(last, int64(len(str)))
	if first > last {
		return 0
	}
	n := int(last - first + 1)
	if n > maxResults {
		raise(L, "stack overflow (string slice too long)")
	}
	pushResults(stateOf(L), n)
	for i := first - 1; i < last; i++ {
		L.Push(lua.LNumber(str[i]))
	}
	return n
}

func strChar(L *lua.LState) int {
	top := L.GetTop()
	s := stateOf(L)
	reserveString(L, s, top)
	chargeBytes(s, top)
	b := make([]byte, top)
	for i := 1; i <= top; i++ {
		c := checkInt(L, i)
		if c < 0 || c > 255 {
			argError(L, i, "invalid value")
		}
		b[i-1] = byte(c)
	}
	L.Push(lua.LString(b))
	return 1
}

func strRep(L *lua.LState) int {
	str := checkString(L, 1)
	n := checkInt(L, 2)
	if n <= 0 || len(str) == 0 {
		L.Push(lua.LString(""))
		return 1
	}
	total := satMul(len(str), n)
	b := newBuilder(L)
	chargeBytes(b.s, total)
	b.prepaid = true
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
	b.push()
	return 1
}

func strReverse(L *lua.LState) int {
	str := checkString(L, 1)
	b := newBuilder(L)
	b.reserve(len(str))
	for i := len(str); i > 0; {
		n := min(i, chunkBytes)
		for j := i - 1; j >= i-n; j-- {
			b.buf = append(b.buf, str[j])
		}
		i -= n
		b.wrote(n)
	}
	b.push()
	return 1
}

func strUpper(L *lua.LState) int { return caseMap(L, 'a', 'z') }
func strLower(L *lua.LState) int { return caseMap(L, 'A', 'Z') }

// caseMap flips the case of the ASCII letters from lo to hi, as C's
// toupper and tolower do in the C locale.
func caseMap(L *lua.LState, lo, hi byte) int {
	str := checkString(L, 1)
	b := newBuilder(L)
	b.reserve(len(str))
	for i := 0; i < len(str); i += chunkBytes {
		piece := str[i:min(i+chunkBytes, len(str))]
		for j := 0; j < len(piece); j++ {
			c := piece[j]
			if lo <= c && c <= hi {
				c ^= 0x20
			}
			b.buf = append(b.buf, c)
		}
		b.wrote(len(piece))
	}
	b.push()
	return 1
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

var matcherPool = sync.Pool{New: func() any { return new(luapat.Matcher) }}

// matcher is a luapat.Matcher charging the process of L, checked out of a
// pool. A match that raises leaves it to the collector.
func matcher(L *lua.LState, pat string) *luapat.Matcher {
	s := stateOf(L)
	if len(pat) > maxPatternBytes {
		raise(L, "pattern too long")
	}
	m := matcherPool.Get().(*luapat.Matcher)
	m.Hook = (*matchHook)(s)
	return m
}

func release(m *luapat.Matcher) {
	m.Flush()
	m.Hook = nil
	matcherPool.Put(m)
}

// matchAt runs m at init, raising a malformed pattern's error.
func matchAt(L *lua.LState, m *luapat.Matcher, src, pat string, init int) (int, bool) {
	end, ok, err := m.Match(src, pat, init)
	if err != nil {
		raise(L, err.Error())
	}
	return end, ok
}

// pushCapture pushes capture i of the match src[start:end] (i == 0 with
// no captures: the whole match), as Lua 5.1's push_onecapture.
func pushCapture(L *lua.LState, m *luapat.Matcher, src string, i, start, end int) {
	L.Push(captureValue(L, m, src, i, start, end))
}

func captureValue(L *lua.LState, m *luapat.Matcher, src string, i, start, end int) lua.LValue {
	if i >= m.Level() {
		if i != 0 {
			raise(L, "invalid capture index")
		}
		return lua.LString(src[start:end])
	}
	init, n := m.Capture(i)
	switch n {
	case luapat.Unfinished:
		raise(L, "unfinished capture")
	case luapat.Position:
		return lua.LNumber(init + 1)
	}
	return lua.LString(src[init : init+n])
}

// pushCaptures pushes every capture, or the whole match when there are
// none and whole is set.
func pushCaptures(L *lua.LState, m *luapat.Matcher, src string, start, end int, whole bool) int {
	n := m.Level()
	if n == 0 && whole {
		n = 1
	}
	for i := 0; i < n; i++ {
		pushCapture(L, m, src, i, start, end)
	}
	return n
}

// specials are the bytes that make a pattern more than plain text.
const specials = "^$*+?.([%-"

func strFind(L *lua.LState) int  { return findAux(L, true) }
func strMatch(L *lua.LState) int { return findAux(L, false) }

// findAux is string.find (find) and string.match.
func findAux(L *lua.LState, find bool) int {
	src := checkString(L, 1)
	pat := checkString(L, 2)
	init := strPos(optInteger(L, 3, 1), len(src)) - 1
	init = min(max(init, 0), int64(len(src)))
	s := stateOf(L)
	if find && (lua.LVAsBool(L.Get(4)) || !strings.ContainsAny(cString(pat), specials)) {
		chargeBytes(s, len(src)-int(init)+len(pat))
		i := strings.Index(src[init:], pat)
		if i < 0 {
			L.Push(lua.LNil)
			return 1
		}
		L.Push(lua.LNumber(int(init) + i + 1))
		L.Push(lua.LNumber(int(init) + i + len(pat)))
		return 2
	}
	m := matcher(L, pat)
	p, anchored := luapat.Anchored(pat)
	for start := int(init); start <= len(src); start++ {
		if end, ok := matchAt(L, m, src, p, start); ok {
			n := 0
			if find {
				L.Push(lua.LNumber(start + 1))
				L.Push(lua.LNumber(end))
				n = 2 + pushCaptures(L, m, src, start, end, false)
			} else {
				n = pushCaptures(L, m, src, start, end, true)
			}
			release(m)
			return n
		}
		if anchored {
			break
		}
	}
	release(m)
	L.Push(lua.LNil)
	return 1
}

// strGmatch returns an iterator over the matches, found one at a time. In
// Lua 5.1 a leading '^' is an ordinary character here.
func strGmatch(L *lua.LState) int {
	src := checkString(L, 1)
	pat := checkString(L, 2)
	if len(pat) > maxPatternBytes {
		raise(L, "pattern too long")
	}
	pos := 0
	L.Push(L.NewFunction(func(L *lua.LState) int {
		m := matcher(L, pat)
		for start := pos; start <= len(src); start++ {
			if end, ok := matchAt(L, m, src, pat, start); ok {
				pos = end
				if end == start {
					pos++ // an empty match: go on at the next position
				}
				n := pushCaptures(L, m, src, start, end, true)
				release(m)
				return n
			}
		}
		pos = len(src) + 1
		release(m)
		return 0
	}))
	return 1
}

func strGsub(L *lua.LState) int {
	src := checkString(L, 1)
	pat := checkString(L, 2)
	repl := L.Get(3)
	maxN := optInteger(L, 4, int64(len(src))+1)
	switch repl.Type() {
	case lua.LTNumber, lua.LTString, lua.LTFunction, lua.LTTable:
	default:
		argError(L, 3, "string/function/table expected")
	}
	replStr, isStr := toStringValue(repl)
	m := matcher(L, pat)
	p, anchored := luapat.Anchored(pat)
	b := newBuilder(L)
	pos := 0
	var n int64
	for n < maxN {
		end, ok := matchAt(L, m, src, p, pos)
		if ok {
			n++
			if isStr {
				gsubExpand(L, &b, m, src, replStr, pos, end)
			} else {
				gsubValue(L, &b, m, src, repl, pos, end)
			}
		}
		switch {
		case ok && end > pos:
			pos = end
		case pos < len(src):
			b.writeByte(src[pos])
			pos++
		default:
			pos = len(src) + 1
		}
		if pos > len(src) || anchored {
			break
		}
	}
	release(m)
	if pos < len(src) {
		b.writeString(src[pos:])
	}
	b.push()
	L.Push(lua.LNumber(n))
	return 2
}

// gsubExpand appends repl with %0-%9 replaced by the captures of the match
// src[start:end]; % and any other byte is that byte.
func gsubExpand(L *lua.LState, b *resultBuilder, m *luapat.Matcher, src, repl string, start, end int) {
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		if c != '%' {
			j := strings.IndexByte(repl[i:], '%')
			if j < 0 {
				j = len(repl) - i
			}
			b.writeString(repl[i : i+j])
			i += j - 1
			continue
		}
		i++
		var d byte // past the end: the string's terminating NUL, as in C
		if i < len(repl) {
			d = repl[i]
		}
		switch {
		case d < '0' || d > '9':
			b.writeByte(d)
		case d == '0':
			b.writeString(src[start:end])
		default:
			v := captureValue(L, m, src, int(d-'1'), start, end)
			str, _ := toStringValue(v)
			b.writeString(str)
		}
	}
}

// gsubValue appends the replacement of the match src[start:end] by a
// table or a function; false or nil keep the match.
func gsubValue(L *lua.LState, b *resultBuilder, m *luapat.Matcher, src string, repl lua.LValue, start, end int) {
	var v lua.LValue
	if t, ok := repl.(*lua.LTable); ok {
		v = L.GetTable(t, captureValue(L, m, src, 0, start, end))
	} else {
		top := L.GetTop()
		L.Push(repl)
		nargs := pushCaptures(L, m, src, start, end, true)
		callFromGo(L, nargs, 1)
		v = L.Get(-1)
		L.SetTop(top)
	}
	if !lua.LVAsBool(v) {
		b.writeString(src[start:end])
		return
	}
	str, ok := toStringValue(v)
	if !ok {
		raise(L, "invalid replacement value (a "+v.Type().String()+")")
	}
	b.writeString(str)
}
