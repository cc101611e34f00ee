// Copyright (c) 2015 Yusuke Inuzuka
// Modifications copyright the dlua authors.
//
// This file is a modified copy of pm/pm.go of gopher-lua v1.1.2
// (github.com/yuin/gopher-lua/pm), used under the MIT License; see the
// LICENSE and NOTICE files in this folder.

// Package pattern matches Lua 5.1 patterns: gopher-lua's pattern matcher
// (package github.com/yuin/gopher-lua/pm), changed so that hostile
// patterns can be paid for and stopped.
//
// What changed against the original (see NOTICE):
//   - The matching machine runs on an explicit backtracking stack instead
//     of Go recursion (one Go frame per backtracking point), so its memory
//     is 8 bytes per backtracking point, can be accounted for (Hook.Grow),
//     and a deep match cannot grow a goroutine's stack to its fatal limit.
//     It explores the alternatives in the same order, so it finds the same
//     matches and captures, and still gives up with "pattern/input too
//     complex" past a million backtracking points.
//   - A Hook is told the work done (Hook.Steps), at least every StepsPerHook
//     steps. It may panic (raise a Lua error) to stop the match: a Matcher
//     keeps nothing between calls that such a panic could leave broken.
//   - A pattern holds at most MaxCaptures captures, as in C Lua ("too many
//     captures"), which also bounds the parser's recursion.
//   - A back reference to an unfinished capture is an error ("invalid
//     capture index") rather than a Go panic.
//   - Patterns are compiled once (Compile) and matched at one position at
//     a time (Matcher.MatchAt), so that callers can stop between matches;
//     Find keeps the original API.
package pattern

import (
	"fmt"
)

const (
	EOS               = -1
	_UNKNOWN          = -2
	maxRecursionLevel = 1000000

	// MaxCaptures is the number of captures a pattern may hold (C Lua's
	// LUA_MAXCAPTURES).
	MaxCaptures = 32

	// StepsPerHook is how many steps a Matcher does at most between two
	// calls of its Hook's Steps.
	StepsPerHook = 1024

	// MaxSubject is the length a subject string must stay below: capture
	// positions are kept in 31 bits.
	MaxSubject = 1<<31 - 1
)

/* Error {{{ */

type Error struct {
	Pos     int
	Message string
}

func newError(pos int, message string, args ...interface{}) *Error {
	if len(args) == 0 {
		return &Error{pos, message}
	}
	return &Error{pos, fmt.Sprintf(message, args...)}
}

func (e *Error) Error() string {
	switch e.Pos {
	case EOS:
		return fmt.Sprintf("%s at EOS", e.Message)
	case _UNKNOWN:
		return fmt.Sprintf("%s", e.Message)
	default:
		return fmt.Sprintf("%s at %d", e.Message, e.Pos)
	}
}

/* }}} */

/* MatchData {{{ */

type MatchData struct {
	// captured positions
	// layout
	// xxxx xxxx xxxx xxx0 : caputured positions
	// xxxx xxxx xxxx xxx1 : position captured positions
	captures []uint32
}

func newMatchState() *MatchData { return &MatchData{[]uint32{}} }

func (st *MatchData) addPosCapture(s, pos int) {
	for s+1 >= len(st.captures) {
		st.captures = append(st.captures, 0)
	}
	st.captures[s] = (uint32(pos) << 1) | 1
	st.captures[s+1] = (uint32(pos) << 1) | 1
}

func (st *MatchData) setCapture(s, pos int) uint32 {
	for s >= len(st.captures) {
		st.captures = append(st.captures, 0)
	}
	v := st.captures[s]
	st.captures[s] = (uint32(pos) << 1)
	return v
}

func (st *MatchData) restoreCapture(s int, pos uint32) { st.captures[s] = pos }

func (st *MatchData) CaptureLength() int { return len(st.captures) }

func (st *MatchData) IsPosCapture(idx int) bool { return (st.captures[idx] & 1) == 1 }

func (st *MatchData) Capture(idx int) int { return int(st.captures[idx] >> 1) }

// clone returns a copy of st that later matches do not change.
func (st *MatchData) clone() *MatchData {
	return &MatchData{append([]uint32{}, st.captures...)}
}

/* }}} */

/* scanner {{{ */

type scannerState struct {
	Pos     int
	started bool
}

type scanner struct {
	src      []byte
	State    scannerState
	saved    scannerState
	captures int // '(' seen so far
}

func newScanner(src []byte) *scanner {
	return &scanner{
		src: src,
		State: scannerState{
			Pos:     0,
			started: false,
		},
		saved: scannerState{},
	}
}

func (sc *scanner) Length() int { return len(sc.src) }

func (sc *scanner) Next() int {
	if !sc.State.started {
		sc.State.started = true
		if len(sc.src) == 0 {
			sc.State.Pos = EOS
		}
	} else {
		sc.State.Pos = sc.NextPos()
	}
	if sc.State.Pos == EOS {
		return EOS
	}
	return int(sc.src[sc.State.Pos])
}

func (sc *scanner) CurrentPos() int {
	return sc.State.Pos
}

func (sc *scanner) NextPos() int {
	if sc.State.Pos == EOS || sc.State.Pos >= len(sc.src)-1 {
		return EOS
	}
	if !sc.State.started {
		return 0
	} else {
		return sc.State.Pos + 1
	}
}

func (sc *scanner) Peek() int {
	cureof := sc.State.Pos == EOS
	ch := sc.Next()
	if !cureof {
		if sc.State.Pos == EOS {
			sc.State.Pos = len(sc.src) - 1
		} else {
			sc.State.Pos--
			if sc.State.Pos < 0 {
				sc.State.Pos = 0
				sc.State.started = false
			}
		}
	}
	return ch
}

func (sc *scanner) Save() { sc.saved = sc.State }

func (sc *scanner) Restore() { sc.State = sc.saved }

/* }}} */

/* bytecode {{{ */

type opCode int

const (
	opChar opCode = iota
	opMatch
	opTailMatch
	opJmp
	opSplit
	opSave
	opPSave
	opBrace
	opNumber
)

type inst struct {
	OpCode   opCode
	Class    class
	Operand1 int
	Operand2 int
	Cost     int // steps one execution counts for; 0 means 1
}

/* }}} */

/* classes {{{ */

type class interface {
	Matches(ch int) bool
}

type dotClass struct{}

func (pn *dotClass) Matches(ch int) bool { return true }

type charClass struct {
	Ch int
}

func (pn *charClass) Matches(ch int) bool { return pn.Ch == ch }

type singleClass struct {
	Class int
}

func (pn *singleClass) Matches(ch int) bool {
	ret := false
	switch pn.Class {
	case 'a', 'A':
		ret = 'A' <= ch && ch <= 'Z' || 'a' <= ch && ch <= 'z'
	case 'c', 'C':
		ret = (0x00 <= ch && ch <= 0x1F) || ch == 0x7F
	case 'd', 'D':
		ret = '0' <= ch && ch <= '9'
	case 'l', 'L':
		ret = 'a' <= ch && ch <= 'z'
	case 'p', 'P':
		ret = (0x21 <= ch && ch <= 0x2f) || (0x3a <= ch && ch <= 0x40) || (0x5b <= ch && ch <= 0x60) || (0x7b <= ch && ch <= 0x7e)
	case 's', 'S':
		switch ch {
		case ' ', '\f', '\n', '\r', '\t', '\v':
			ret = true
		}
	case 'u', 'U':
		ret = 'A' <= ch && ch <= 'Z'
	case 'w', 'W':
		ret = '0' <= ch && ch <= '9' || 'A' <= ch && ch <= 'Z' || 'a' <= ch && ch <= 'z'
	case 'x', 'X':
		ret = '0' <= ch && ch <= '9' || 'a' <= ch && ch <= 'f' || 'A' <= ch && ch <= 'F'
	case 'z', 'Z':
		ret = ch == 0
	default:
		return ch == pn.Class
	}
	if 'A' <= pn.Class && pn.Class <= 'Z' {
		return !ret
	}
	return ret
}

type setClass struct {
	IsNot   bool
	Classes []class
}

func (pn *setClass) Matches(ch int) bool {
	for _, class := range pn.Classes {
		if class.Matches(ch) {
			return !pn.IsNot
		}
	}
	return pn.IsNot
}

type rangeClass struct {
	Begin class
	End   class
}

func (pn *rangeClass) Matches(ch int) bool {
	switch begin := pn.Begin.(type) {
	case *charClass:
		end, ok := pn.End.(*charClass)
		if !ok {
			return false
		}
		return begin.Ch <= ch && ch <= end.Ch
	}
	return false
}

// classCost is the steps one Matches of c counts for: a set tests each of
// its members.
func classCost(c class) int {
	if set, ok := c.(*setClass); ok {
		return 1 + len(set.Classes)
	}
	return 1
}

// }}}

// patterns {{{

type pattern interface{}

type singlePattern struct {
	Class class
}

type seqPattern struct {
	MustHead bool
	MustTail bool
	Patterns []pattern
}

type repeatPattern struct {
	Type  int
	Class class
}

type posCapPattern struct{}

type capPattern struct {
	Pattern pattern
}

type numberPattern struct {
	N int
}

type bracePattern struct {
	Begin int
	End   int
}

// }}}

/* parse {{{ */

func parseClass(sc *scanner, allowset bool) class {
	ch := sc.Next()
	switch ch {
	case '%':
		return &singleClass{sc.Next()}
	case '.':
		if allowset {
			return &dotClass{}
		}
		return &charClass{ch}
	case '[':
		if allowset {
			return parseClassSet(sc)
		}
		return &charClass{ch}
	//case '^' '$', '(', ')', ']', '*', '+', '-', '?':
	//	panic(newError(sc.CurrentPos(), "invalid %c", ch))
	case EOS:
		panic(newError(sc.CurrentPos(), "unexpected EOS"))
	default:
		return &charClass{ch}
	}
}

func parseClassSet(sc *scanner) class {
	set := &setClass{false, []class{}}
	if sc.Peek() == '^' {
		set.IsNot = true
		sc.Next()
	}
	isrange := false
	for {
		ch := sc.Peek()
		switch ch {
		// case '[':
		// 	panic(newError(sc.CurrentPos(), "'[' can not be nested"))
		case EOS:
			panic(newError(sc.CurrentPos(), "unexpected EOS"))
		case ']':
			if len(set.Classes) > 0 {
				sc.Next()
				goto exit
			}
			fallthrough
		case '-':
			if len(set.Classes) > 0 {
				sc.Next()
				isrange = true
				continue
			}
			fallthrough
		default:
			set.Classes = append(set.Classes, parseClass(sc, false))
		}
		if isrange {
			begin := set.Classes[len(set.Classes)-2]
			end := set.Classes[len(set.Classes)-1]
			set.Classes = set.Classes[0 : len(set.Classes)-2]
			set.Classes = append(set.Classes, &rangeClass{begin, end})
			isrange = false
		}
	}
exit:
	if isrange {
		set.Classes = append(set.Classes, &charClass{'-'})
	}

	return set
}

func parsePattern(sc *scanner, toplevel bool) *seqPattern {
	pat := &seqPattern{}
	if toplevel {
		if sc.Peek() == '^' {
			sc.Next()
			pat.MustHead = true
		}
	}
	for {
		ch := sc.Peek()
		switch ch {
		case '%':
			sc.Save()
			sc.Next()
			switch sc.Peek() {
			case '0':
				panic(newError(sc.CurrentPos(), "invalid capture index"))
			case '1', '2', '3', '4', '5', '6', '7', '8', '9':
				pat.Patterns = append(pat.Patterns, &numberPattern{sc.Next() - 48})
			case 'b':
				sc.Next()
				pat.Patterns = append(pat.Patterns, &bracePattern{sc.Next(), sc.Next()})
			default:
				sc.Restore()
				pat.Patterns = append(pat.Patterns, &singlePattern{parseClass(sc, true)})
			}
		case '.', '[', ']':
			pat.Patterns = append(pat.Patterns, &singlePattern{parseClass(sc, true)})
		//case ']':
		//	panic(newError(sc.CurrentPos(), "invalid ']'"))
		case ')':
			if toplevel {
				panic(newError(sc.CurrentPos(), "invalid ')'"))
			}
			return pat
		case '(':
			sc.Next()
			sc.captures++
			if sc.captures > MaxCaptures {
				panic(newError(_UNKNOWN, "too many captures"))
			}
			if sc.Peek() == ')' {
				sc.Next()
				pat.Patterns = append(pat.Patterns, &posCapPattern{})
			} else {
				ret := &capPattern{parsePattern(sc, false)}
				if sc.Peek() != ')' {
					panic(newError(sc.CurrentPos(), "unfinished capture"))
				}
				sc.Next()
				pat.Patterns = append(pat.Patterns, ret)
			}
		case '*', '+', '-', '?':
			sc.Next()
			if len(pat.Patterns) > 0 {
				spat, ok := pat.Patterns[len(pat.Patterns)-1].(*singlePattern)
				if ok {
					pat.Patterns = pat.Patterns[0 : len(pat.Patterns)-1]
					pat.Patterns = append(pat.Patterns, &repeatPattern{ch, spat.Class})
					continue
				}
			}
			pat.Patterns = append(pat.Patterns, &singlePattern{&charClass{ch}})
		case '$':
			if toplevel && (sc.NextPos() == sc.Length()-1 || sc.NextPos() == EOS) {
				pat.MustTail = true
			} else {
				pat.Patterns = append(pat.Patterns, &singlePattern{&charClass{ch}})
			}
			sc.Next()
		case EOS:
			sc.Next()
			goto exit
		default:
			sc.Next()
			pat.Patterns = append(pat.Patterns, &singlePattern{&charClass{ch}})
		}
	}
exit:
	return pat
}

type iptr struct {
	insts   []inst
	capture int
}

func compilePattern(p pattern, ps ...*iptr) []inst {
	var ptr *iptr
	toplevel := false
	if len(ps) == 0 {
		toplevel = true
		ptr = &iptr{[]inst{inst{opSave, nil, 0, -1, 0}}, 2}
	} else {
		ptr = ps[0]
	}
	switch pat := p.(type) {
	case *singlePattern:
		ptr.insts = append(ptr.insts, inst{opChar, pat.Class, -1, -1, classCost(pat.Class)})
	case *seqPattern:
		for _, cp := range pat.Patterns {
			compilePattern(cp, ptr)
		}
	case *repeatPattern:
		idx := len(ptr.insts)
		cost := classCost(pat.Class)
		switch pat.Type {
		case '*':
			ptr.insts = append(ptr.insts,
				inst{opSplit, nil, idx + 1, idx + 3, 0},
				inst{opChar, pat.Class, -1, -1, cost},
				inst{opJmp, nil, idx, -1, 0})
		case '+':
			ptr.insts = append(ptr.insts,
				inst{opChar, pat.Class, -1, -1, cost},
				inst{opSplit, nil, idx, idx + 2, 0})
		case '-':
			ptr.insts = append(ptr.insts,
				inst{opSplit, nil, idx + 3, idx + 1, 0},
				inst{opChar, pat.Class, -1, -1, cost},
				inst{opJmp, nil, idx, -1, 0})
		case '?':
			ptr.insts = append(ptr.insts,
				inst{opSplit, nil, idx + 1, idx + 2, 0},
				inst{opChar, pat.Class, -1, -1, cost})
		}
	case *posCapPattern:
		ptr.insts = append(ptr.insts, inst{opPSave, nil, ptr.capture, -1, 0})
		ptr.capture += 2
	case *capPattern:
		c0, c1 := ptr.capture, ptr.capture+1
		ptr.capture += 2
		ptr.insts = append(ptr.insts, inst{opSave, nil, c0, -1, 0})
		compilePattern(pat.Pattern, ptr)
		ptr.insts = append(ptr.insts, inst{opSave, nil, c1, -1, 0})
	case *bracePattern:
		ptr.insts = append(ptr.insts, inst{opBrace, nil, pat.Begin, pat.End, 0})
	case *numberPattern:
		ptr.insts = append(ptr.insts, inst{opNumber, nil, pat.N, -1, 0})
	}
	if toplevel {
		if p.(*seqPattern).MustTail {
			ptr.insts = append(ptr.insts, inst{opSave, nil, 1, -1, 0}, inst{opTailMatch, nil, -1, -1, 0})
		}
		ptr.insts = append(ptr.insts, inst{opSave, nil, 1, -1, 0}, inst{opMatch, nil, -1, -1, 0})
	}
	return ptr.insts
}

/* }}} parse */

/* VM {{{ */

// Hook is told what a Matcher does. Its methods may panic to stop a
// match; the Matcher can be used again afterwards.
type Hook interface {
	// Steps is called with the number of steps done since its last call,
	// as soon as StepsPerHook or more have accumulated (and by Flush). A
	// step is one instruction of the matching machine, one member of a
	// set tested, or one byte scanned by %b or a back reference.
	Steps(n int)
	// Grow is called before the backtracking stack grows by n bytes.
	Grow(n int)
}

type nopHook struct{}

func (nopHook) Steps(int) {}
func (nopHook) Grow(int)  {}

// frame is a backtracking point: resume at pc and sp (pc >= 0), or undo
// a capture when backtracking past it (pc = -1-index, sp = the old value).
type frame struct {
	pc int32
	sp uint32
}

const frameBytes = 8

// Matcher matches compiled patterns. The zero Matcher is ready to use; a
// Matcher must not be used by two goroutines at once.
type Matcher struct {
	// Hook, if not nil, is told the steps done and the memory used.
	Hook Hook

	steps int // steps not yet told to Hook
	stack []frame
	md    MatchData
}

// Pattern is a compiled pattern. It is immutable.
type Pattern struct {
	insts    []inst
	mustHead bool
}

// Compile parses and compiles the pattern p. Its cost is proportional to
// len(p): about 64 bytes and a step per byte.
func Compile(p string) (pat *Pattern, err error) {
	defer func() {
		if v := recover(); v != nil {
			if perr, ok := v.(*Error); ok {
				err = perr
			} else {
				panic(v)
			}
		}
	}()
	sp := parsePattern(newScanner([]byte(p)), true)
	return &Pattern{insts: compilePattern(sp), mustHead: sp.MustHead}, nil
}

// Anchored reports whether the pattern starts with '^': it can only match
// at the first position tried.
func (p *Pattern) Anchored() bool { return p.mustHead }

// MatchData returns the captures of the last successful MatchAt. It is
// valid until the Matcher's next MatchAt.
func (m *Matcher) MatchData() *MatchData { return &m.md }

// Flush tells the Hook the steps not yet told.
func (m *Matcher) Flush() {
	if n := m.steps; n > 0 && m.Hook != nil {
		m.steps = 0
		m.Hook.Steps(n)
	}
}

// MatchAt tries to match p at position sp of src. On success it returns
// true and the end of the match; MatchData then holds the captures. Its
// error is an *Error.
//
// The matching machine is the "Regular Expression Matching: the Virtual
// Machine Approach" (https://swtch.com/~rsc/regexp/regexp2.html) one of
// the original, with an explicit stack in place of recursion: an opSplit
// pushes its second branch, an opSave pushes the capture value to restore,
// and a failure pops back to the latest branch, restoring captures on the
// way, which is the order in which the recursion explored them.
func (m *Matcher) MatchAt(p *Pattern, src []byte, sp int) (bool, int, error) {
	if len(src) > MaxSubject {
		return false, sp, newError(_UNKNOWN, "string too long for pattern matching")
	}
	hook := m.Hook
	if hook == nil {
		hook = nopHook{}
	}
	m.md.captures = m.md.captures[:0]
	m.stack = m.stack[:0]
	insts := p.insts
	pc := 0
	for {
		inst := &insts[pc]
		if inst.Cost > 1 {
			m.steps += inst.Cost
		} else {
			m.steps++
		}
		if m.steps >= StepsPerHook {
			m.tell(hook)
		}
		switch inst.OpCode {
		case opChar:
			if sp >= len(src) || !inst.Class.Matches(int(src[sp])) {
				goto fail
			}
			pc++
			sp++
			continue
		case opMatch:
			return true, sp, nil
		case opTailMatch:
			if sp >= len(src) {
				return true, sp, nil
			}
			goto fail
		case opJmp:
			pc = inst.Operand1
			continue
		case opSplit:
			if err := m.push(hook, frame{int32(inst.Operand2), uint32(sp)}); err != nil {
				return false, sp, err
			}
			pc = inst.Operand1
			continue
		case opSave:
			old := m.md.setCapture(inst.Operand1, sp)
			if err := m.push(hook, frame{int32(-1 - inst.Operand1), old}); err != nil {
				return false, sp, err
			}
			pc++
			continue
		case opPSave:
			m.md.addPosCapture(inst.Operand1, sp+1)
			pc++
			continue
		case opBrace:
			if sp >= len(src) || int(src[sp]) != inst.Operand1 {
				goto fail
			}
			count := 1
			for sp = sp + 1; sp < len(src); sp++ {
				if m.steps++; m.steps >= StepsPerHook {
					m.tell(hook)
				}
				if int(src[sp]) == inst.Operand2 {
					count--
				}
				if count == 0 {
					pc++
					sp++
					break
				}
				if int(src[sp]) == inst.Operand1 {
					count++
				}
			}
			if count == 0 {
				continue
			}
			goto fail
		case opNumber:
			idx := inst.Operand1 * 2
			if idx >= m.md.CaptureLength()-1 {
				return false, sp, newError(_UNKNOWN, "invalid capture index")
			}
			cs, ce := m.md.Capture(idx), m.md.Capture(idx+1)
			if ce < cs || ce > len(src) {
				// The original sliced src[cs:ce] here and panicked.
				return false, sp, newError(_UNKNOWN, "invalid capture index")
			}
			capture := src[cs:ce]
			for i := 0; i < len(capture); i++ {
				if m.steps++; m.steps >= StepsPerHook {
					m.tell(hook)
				}
				if i+sp >= len(src) || capture[i] != src[i+sp] {
					goto fail
				}
			}
			pc++
			sp += len(capture)
			continue
		default:
			panic("should not reach here")
		}
	fail:
		for {
			n := len(m.stack)
			if n == 0 {
				return false, sp, nil
			}
			f := m.stack[n-1]
			m.stack = m.stack[:n-1]
			if f.pc < 0 {
				m.md.restoreCapture(int(-1-f.pc), f.sp)
				continue
			}
			pc, sp = int(f.pc), int(f.sp)
			break
		}
	}
}

// tell gives the steps done to the hook.
func (m *Matcher) tell(hook Hook) {
	n := m.steps
	m.steps = 0
	hook.Steps(n)
}

// push adds a backtracking point; the original recursed there.
func (m *Matcher) push(hook Hook, f frame) error {
	n := len(m.stack)
	if n+2 > maxRecursionLevel {
		return newError(_UNKNOWN, "pattern/input too complex")
	}
	if n == cap(m.stack) {
		c := 2 * n
		if c < 16 {
			c = 16
		}
		hook.Grow(c * frameBytes)
		grown := make([]frame, n, c)
		copy(grown, m.stack)
		m.stack = grown
	}
	m.stack = append(m.stack, f)
	return nil
}

/* }}} */

/* API {{{ */

// Find returns up to limit matches (all if limit < 0; see below for 0) of
// the pattern p in src from offset, as the original did.
func Find(p string, src []byte, offset, limit int) (matches []*MatchData, err error) {
	return (&Matcher{}).Find(p, src, offset, limit)
}

// Find is Find with m's Hook. Like the original, it stops at the first
// non-matching position when limit is 0 and nothing matched yet.
func (m *Matcher) Find(p string, src []byte, offset, limit int) (matches []*MatchData, err error) {
	pat, err := Compile(p)
	if err != nil {
		return nil, err
	}
	matches = []*MatchData{}
	for sp := offset; sp <= len(src); {
		ok, nsp, err := m.MatchAt(pat, src, sp)
		if err != nil {
			return matches, err
		}
		sp++
		if ok {
			if sp < nsp {
				sp = nsp
			}
			matches = append(matches, m.md.clone())
		}
		if len(matches) == limit || pat.mustHead {
			break
		}
	}
	return
}

/* }}} */
