// Package luapat matches Lua 5.1 patterns, as the reference manual
// (§5.4.1) describes them, with the frontier pattern %f and the class %z
// that Lua 5.1 also has.
//
// A Matcher runs on an explicit backtracking stack, never on Go recursion:
// its memory is a few machine words per backtracking point, reported to
// its Hook before it grows, and no pattern can grow a goroutine's stack.
// It explores the alternatives in the order Lua 5.1 does (greedy * and +
// longest first, - shortest first, ? with the item first), so it finds the
// same matches and captures, and it reports malformed patterns when the
// match reaches the bad item, as Lua 5.1 does (string.find("", "a[")
// finds nothing and raises nothing). A pattern ends at its first NUL
// byte, as in Lua 5.1, whose matcher reads C strings; the subject may hold
// any byte.
//
// The Hook is told the work done (Steps) at least every StepsPerHook
// steps; it may panic to stop a match: a Matcher keeps nothing between
// calls that such a panic could leave broken.
package luapat

const (
	// MaxCaptures is how many captures a pattern may hold (Lua 5.1's
	// LUA_MAXCAPTURES).
	MaxCaptures = 32

	// StepsPerHook is how many steps a Matcher does at most between two
	// calls of its Hook's Steps.
	StepsPerHook = 1024

	// MaxBacktrack bounds the backtracking points of one match. Each item
	// of a pattern adds at most two, so only patterns of hundreds of
	// thousands of items reach it.
	MaxBacktrack = 1 << 20

	// EntryBytes is the memory of one backtracking point.
	EntryBytes = 40
)

// Capture lengths with a special meaning.
const (
	Unfinished = -1 // the capture's ')' has not been reached
	Position   = -2 // a position capture, ()
)

// Hook is how a Matcher pays for its work.
type Hook interface {
	// Steps is told n more steps of work.
	Steps(n int)
	// Grow is told that the Matcher is about to allocate n bytes.
	Grow(n int)
}

// Error is a malformed pattern, with Lua 5.1's message.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

type capture struct{ init, len int }

// Entry kinds of the backtracking stack.
const (
	kindAlt       = iota // '?': go on at (s, p)
	kindMax              // greedy '*' or '+': retry with one item less
	kindMin              // lazy '-': retry with one item more
	kindUndoStart        // a capture was opened: close it again
	kindUndoEnd          // a capture was closed: reopen it
)

type entry struct {
	kind  int
	s, p  int // subject and pattern positions
	ep    int // end of the single-character class (max, min); capture index (undo)
	count int // items matched (max)
}

// Matcher matches patterns. The zero Matcher is ready to use; it is not
// safe for concurrent use.
type Matcher struct {
	Hook Hook

	src, pat string
	level    int
	caps     [MaxCaptures]capture
	stack    []entry
	steps    int
}

// Anchored reports whether pat starts with '^', and returns the rest.
// (string.gmatch does not treat '^' specially in Lua 5.1: it calls Match
// with the whole pattern.)
func Anchored(pat string) (string, bool) {
	if len(pat) > 0 && pat[0] == '^' {
		return pat[1:], true
	}
	return pat, false
}

// Match matches pat against src at position init (0-based). It returns
// the end of the match, or ok false. Captures are read with Level and
// Capture until the next call.
func (m *Matcher) Match(src, pat string, init int) (end int, ok bool, err error) {
	for i := 0; i < len(pat); i++ {
		if pat[i] == 0 {
			pat = pat[:i]
			break
		}
	}
	m.src, m.pat = src, pat
	m.level = 0
	m.stack = m.stack[:0]
	return m.run(init, 0)
}

// Flush tells the Hook the steps not yet told.
func (m *Matcher) Flush() {
	if m.steps > 0 && m.Hook != nil {
		n := m.steps
		m.steps = 0
		m.Hook.Steps(n)
	}
}

// Level is the number of captures of the last match.
func (m *Matcher) Level() int { return m.level }

// Capture returns the start and length of capture i of the last match;
// the length is Position for a position capture and Unfinished for a
// capture whose ')' the match did not reach.
func (m *Matcher) Capture(i int) (start, length int) {
	return m.caps[i].init, m.caps[i].len
}

func (m *Matcher) step(n int) {
	m.steps += n
	if m.steps >= StepsPerHook {
		m.Flush()
	}
}

func (m *Matcher) push(e entry) error {
	if len(m.stack) == cap(m.stack) {
		if len(m.stack) >= MaxBacktrack {
			return &Error{"pattern too complex"}
		}
		n := max(16, 2*cap(m.stack))
		if m.Hook != nil {
			m.Hook.Grow((n - cap(m.stack)) * EntryBytes)
		}
		grown := make([]entry, len(m.stack), n)
		copy(grown, m.stack)
		m.stack = grown
	}
	m.stack = append(m.stack, e)
	return nil
}

// at is the pattern byte at p, or 0 past its end (C's terminator).
func (m *Matcher) at(p int) byte {
	if p < len(m.pat) {
		return m.pat[p]
	}
	return 0
}

// run is Lua 5.1's recursive match(s, p), with its recursion turned into
// the backtracking stack: each place where match would call itself and
// try something else on failure pushes an entry, and a failure resumes
// the latest entry.
func (m *Matcher) run(s, p int) (int, bool, error) {
	src, pat := m.src, m.pat
	for {
		m.step(1)
		if p == len(pat) {
			return s, true, nil
		}
		fail := false
		switch pat[p] {
		case '(':
			what, next := Unfinished, p+1
			if m.at(p+1) == ')' {
				what, next = Position, p+2
			}
			if m.level >= MaxCaptures {
				return 0, false, &Error{"too many captures"}
			}
			m.caps[m.level] = capture{s, what}
			m.level++
			if err := m.push(entry{kind: kindUndoStart}); err != nil {
				return 0, false, err
			}
			p = next
			continue
		case ')':
			l := m.level - 1
			for ; l >= 0; l-- {
				if m.caps[l].len == Unfinished {
					break
				}
			}
			if l < 0 {
				return 0, false, &Error{"invalid pattern capture"}
			}
			m.caps[l].len = s - m.caps[l].init
			if err := m.push(entry{kind: kindUndoEnd, ep: l}); err != nil {
				return 0, false, err
			}
			p++
			continue
		case '$':
			if p+1 == len(pat) {
				if s == len(src) {
					return s, true, nil
				}
				fail = true
			}
		case '%':
			switch m.at(p + 1) {
			case 'b':
				e, ok, err := m.balance(s, p+2)
				if err != nil {
					return 0, false, err
				}
				if ok {
					s, p = e, p+4
					continue
				}
				fail = true
			case 'f':
				p += 2
				if m.at(p) != '[' {
					return 0, false, &Error{"missing '[' after '%f' in pattern"}
				}
				ep, err := m.classEnd(p)
				if err != nil {
					return 0, false, err
				}
				m.step((ep - p) / 8)
				var prev, cur byte
				if s > 0 {
					prev = src[s-1]
				}
				if s < len(src) {
					cur = src[s]
				}
				if m.bracket(prev, p, ep-1) || !m.bracket(cur, p, ep-1) {
					fail = true
				} else {
					p = ep
					continue
				}
			case '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
				e, ok, err := m.backref(s, m.at(p+1))
				if err != nil {
					return 0, false, err
				}
				if ok {
					s, p = e, p+2
					continue
				}
				fail = true
			}
		}
		if !fail {
			// a single-character class, maybe followed by a repetition
			ep, err := m.classEnd(p)
			if err != nil {
				return 0, false, err
			}
			// a long set costs in proportion to its length
			cost := (ep - p) / 16
			if cost > 0 {
				m.step(cost)
			}
			matched := s < len(src) && m.single(src[s], p, ep)
			switch m.at(ep) {
			case '?':
				if matched {
					if err := m.push(entry{kind: kindAlt, s: s, p: ep + 1}); err != nil {
						return 0, false, err
					}
					s, p = s+1, ep+1
				} else {
					p = ep + 1
				}
				continue
			case '+':
				if !matched {
					fail = true
					break
				}
				s, p, err = m.maxExpand(s+1, p, ep)
				if err != nil {
					return 0, false, err
				}
				continue
			case '*':
				s, p, err = m.maxExpand(s, p, ep)
				if err != nil {
					return 0, false, err
				}
				continue
			case '-':
				if err := m.push(entry{kind: kindMin, s: s, p: p, ep: ep}); err != nil {
					return 0, false, err
				}
				p = ep + 1
				continue
			default:
				if matched {
					s, p = s+1, ep
					continue
				}
				fail = true
			}
		}
		// Failure: resume the latest choice, undoing capture changes
		// made since it was pushed.
		for resumed := false; !resumed; {
			n := len(m.stack)
			if n == 0 {
				return 0, false, nil
			}
			e := &m.stack[n-1]
			switch e.kind {
			case kindUndoStart:
				m.level--
				m.stack = m.stack[:n-1]
			case kindUndoEnd:
				m.caps[e.ep].len = Unfinished
				m.stack = m.stack[:n-1]
			case kindAlt:
				s, p = e.s, e.p
				m.stack = m.stack[:n-1]
				resumed = true
			case kindMax:
				if e.count == 0 {
					m.stack = m.stack[:n-1]
					break
				}
				e.count--
				s, p = e.s+e.count, e.ep+1
				resumed = true
			case kindMin:
				m.step(1 + (e.ep-e.p)/16)
				if e.s < len(src) && m.single(src[e.s], e.p, e.ep) {
					e.s++
					s, p = e.s, e.ep+1
					resumed = true
				} else {
					m.stack = m.stack[:n-1]
				}
			}
		}
	}
}

// maxExpand matches the class p..ep as often as it can from s, pushes the
// choice of matching it fewer times, and returns where to go on.
func (m *Matcher) maxExpand(s, p, ep int) (int, int, error) {
	i := 0
	per := 1 + (ep-p)/16 // steps per character tested
	for s+i < len(m.src) && m.single(m.src[s+i], p, ep) {
		i++
		if i&(StepsPerHook-1) == 0 {
			m.step(StepsPerHook * per)
		}
	}
	m.step((i & (StepsPerHook - 1)) * per)
	if err := m.push(entry{kind: kindMax, s: s, p: p, ep: ep, count: i}); err != nil {
		return 0, 0, err
	}
	return s + i, ep + 1, nil
}

// classEnd returns the end of the single-character class at p.
func (m *Matcher) classEnd(p int) (int, error) {
	c := m.pat[p]
	p++
	switch c {
	case '%':
		if p >= len(m.pat) {
			return 0, &Error{"malformed pattern (ends with '%')"}
		}
		return p + 1, nil
	case '[':
		if m.at(p) == '^' {
			p++
		}
		for {
			if p >= len(m.pat) {
				return 0, &Error{"malformed pattern (missing ']')"}
			}
			c := m.pat[p]
			p++
			if c == '%' && p < len(m.pat) {
				p++
			}
			if m.at(p) == ']' {
				return p + 1, nil
			}
		}
	}
	return p, nil
}

// single reports whether byte c matches the class p..ep.
func (m *Matcher) single(c byte, p, ep int) bool {
	switch m.pat[p] {
	case '.':
		return true
	case '%':
		return matchClass(c, m.pat[p+1])
	case '[':
		return m.bracket(c, p, ep-1)
	}
	return m.pat[p] == c
}

// bracket reports whether c is in the set [...] from p (its '[') to ec
// (its ']').
func (m *Matcher) bracket(c byte, p, ec int) bool {
	in := true
	if m.at(p+1) == '^' {
		in = false
		p++
	}
	for p++; p < ec; p++ {
		switch {
		case m.pat[p] == '%':
			p++
			if matchClass(c, m.at(p)) {
				return in
			}
		case m.at(p+1) == '-' && p+2 < ec:
			p += 2
			if m.pat[p-2] <= c && c <= m.pat[p] {
				return in
			}
		case m.pat[p] == c:
			return in
		}
	}
	return !in
}

// balance matches %bxy at s, the x and y at p.
func (m *Matcher) balance(s, p int) (int, bool, error) {
	if p+1 >= len(m.pat) {
		return 0, false, &Error{"unbalanced pattern"}
	}
	if s >= len(m.src) || m.src[s] != m.pat[p] {
		return 0, false, nil
	}
	open, close := m.pat[p], m.pat[p+1]
	depth := 1
	start := s
	for s++; s < len(m.src); s++ {
		switch m.src[s] {
		case close:
			depth--
			if depth == 0 {
				m.step((s - start) / 16)
				return s + 1, true, nil
			}
		case open:
			depth++
		}
		if s-start >= 16*StepsPerHook {
			m.step(StepsPerHook)
			start = s
		}
	}
	m.step((s - start) / 16)
	return 0, false, nil
}

// backref matches %1-%9 (digit d) at s.
func (m *Matcher) backref(s int, d byte) (int, bool, error) {
	l := int(d) - '1'
	if l < 0 || l >= m.level || m.caps[l].len == Unfinished {
		return 0, false, &Error{"invalid capture index"}
	}
	n := m.caps[l].len
	if n == Position || len(m.src)-s < n {
		return 0, false, nil
	}
	m.step(n / 16)
	init := m.caps[l].init
	if m.src[init:init+n] != m.src[s:s+n] {
		return 0, false, nil
	}
	return s + n, true, nil
}

// matchClass reports whether c is in the class %cl, in the C locale.
func matchClass(c, cl byte) bool {
	var res bool
	switch cl | 0x20 {
	case 'a':
		res = isAlpha(c)
	case 'c':
		res = c < 32 || c == 127
	case 'd':
		res = '0' <= c && c <= '9'
	case 'l':
		res = 'a' <= c && c <= 'z'
	case 'p':
		res = isPunct(c)
	case 's':
		res = c == ' ' || ('\t' <= c && c <= '\r')
	case 'u':
		res = 'A' <= c && c <= 'Z'
	case 'w':
		res = isAlpha(c) || ('0' <= c && c <= '9')
	case 'x':
		res = ('0' <= c && c <= '9') || ('a' <= c|0x20 && c|0x20 <= 'f')
	case 'z':
		res = c == 0
	default:
		return cl == c
	}
	if 'A' <= cl && cl <= 'Z' {
		return !res
	}
	return res
}

func isAlpha(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

func isPunct(c byte) bool {
	return (33 <= c && c <= 47) || (58 <= c && c <= 64) || (91 <= c && c <= 96) || (123 <= c && c <= 126)
}
