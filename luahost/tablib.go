package luahost

// The table library, as the Lua 5.1 reference manual (§5.5) describes it,
// with the deprecated functions Lua 5.1 still has (foreach, foreachi,
// getn, setn), and the length of a table as the # operator gives it.
//
// gopher-lua keeps integer keys below lua.MaxArrayIndex in a table's array
// part and larger ones in its hash part (knobs.go sets the limit, so that
// a sparse key never allocates a huge array). Its own length stops at the
// end of the array part; tableLen goes on into the hash part, so that a
// table of more than a million elements has the length Lua 5.1 gives it.
//
// The builtins charge their work: an element moved or visited is 1/16 of
// an instruction, a sort comparison one (plus one per 64 bytes of the
// strings it compares; a comparator's own instructions count as usual).

import (
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

var tableFuncs = []libFunc{
	{"concat", tableConcat}, {"foreach", tableForeach}, {"foreachi", tableForeachi},
	{"getn", tableGetn}, {"insert", tableInsert}, {"maxn", tableMaxn},
	{"remove", tableRemove}, {"setn", tableSetn}, {"sort", tableSort},
}

// tableArray returns the array part of t.
func tableArray(t *lua.LTable) []lua.LValue {
	return *(*[]lua.LValue)(unsafe.Add(unsafe.Pointer(t), offTableArray))
}

// rawGetInt is t[i], raw: gopher-lua's RawGetInt reads only the array
// part, and keys from lua.MaxArrayIndex on live in the hash part.
func rawGetInt(t *lua.LTable, i int) lua.LValue {
	if i >= 1 && i < maxArrayIndex {
		return t.RawGetInt(i)
	}
	return t.RawGetH(lua.LNumber(i))
}

// tableLen is the length of t as # gives it (a border: t[n] ~= nil and
// t[n+1] == nil, or 0), charged to s (if not nil).
func tableLen(s *state, t *lua.LTable) int {
	a := tableArray(t)
	if len(a) > 0 && a[len(a)-1] == lua.LNil {
		// gopher-lua's Len scans back past trailing nils
		s.chargeIf(len(a) / 16)
	}
	n := t.Len()
	if n < maxArrayIndex-1 || rawGetInt(t, n+1) == lua.LNil {
		return n
	}
	// The array part is full: find a border in the hash part, doubling
	// then halving as Lua 5.1's unbound search does.
	i, j := n, n+1
	for rawGetInt(t, j) != lua.LNil {
		i = j
		if j > 1<<52 {
			// a table that claims more: find the border one by one
			for k := 1; ; k++ {
				if rawGetInt(t, k) == lua.LNil {
					return k - 1
				}
			}
		}
		j *= 2
		s.chargeIf(1)
	}
	for j-i > 1 {
		m := (i + j) / 2
		if rawGetInt(t, m) == lua.LNil {
			j = m
		} else {
			i = m
		}
		s.chargeIf(1)
	}
	return i
}

// chargeIf charges n instructions to s, if s is a process's state.
func (s *state) chargeIf(n int) {
	if s != nil {
		s.charge(n)
	}
}

// checkLen is Lua 5.1's aux_getn: the length of the table argument n.
func checkLen(L *lua.LState, n int) (*lua.LTable, int) {
	t := checkTable(L, n)
	return t, tableLen(stateOf(L), t)
}

func tableGetn(L *lua.LState) int {
	_, n := checkLen(L, 1)
	L.Push(lua.LNumber(n))
	return 1
}

func tableSetn(L *lua.LState) int {
	checkTable(L, 1)
	raise(L, "'setn' is obsolete")
	return 0
}

// tableMaxn is the largest positive numeric key, over every key.
func tableMaxn(L *lua.LState) int {
	t := checkTable(L, 1)
	s := stateOf(L)
	var most lua.LNumber
	visited := 0
	t.ForEach(func(k, _ lua.LValue) {
		if n, ok := k.(lua.LNumber); ok && n > most {
			most = n
		}
		visited++
	})
	s.charge(visited / 16)
	L.Push(most)
	return 1
}

func tableInsert(L *lua.LState) int {
	t, n := checkLen(L, 1)
	s := stateOf(L)
	e := n + 1 // the first empty element
	var pos int
	switch L.GetTop() {
	case 2:
		pos = e
	case 3:
		pos = checkInt(L, 2)
		if pos > e {
			e = pos
		}
		if e-pos > 16 {
			s.charge((e - pos) / 16)
		}
		for i := e; i > pos; i-- {
			t.RawSetInt(i, rawGetInt(t, i-1))
		}
	default:
		raise(L, "wrong number of arguments to 'insert'")
	}
	if s.memLimit != 0 {
		s.alloc(setCost(t, lua.LNumber(pos)))
	}
	t.RawSetInt(pos, L.Get(L.GetTop()))
	return 0
}

func tableRemove(L *lua.LState) int {
	t, e := checkLen(L, 1)
	pos := optInt(L, 2, e)
	if pos < 1 || pos > e {
		return 0
	}
	if e-pos > 16 {
		stateOf(L).charge((e - pos) / 16)
	}
	L.Push(rawGetInt(t, pos))
	for ; pos < e; pos++ {
		t.RawSetInt(pos, rawGetInt(t, pos+1))
	}
	t.RawSetInt(e, lua.LNil)
	return 1
}

func tableConcat(L *lua.LState) int {
	sep := optString(L, 2, "")
	t := checkTable(L, 1)
	s := stateOf(L)
	i := optInt(L, 3, 1)
	var last int
	if isNoneOrNil(L, 4) {
		last = tableLen(s, t)
	} else {
		last = checkInt(L, 4)
	}
	if i > last {
		L.Push(lua.LString(""))
		return 1
	}
	s.charge((last-i)/16 + 1)
	// The size first, so that the result is charged before it is made.
	total := 0
	for k := i; k <= last; k++ {
		str, ok := toStringValue(rawGetInt(t, k))
		if !ok {
			raise(L, "invalid value ("+rawGetInt(t, k).Type().String()+") at index "+fmtNumber(float64(k))+" in table for 'concat'")
		}
		total = satAdd(total, len(str))
		if k != last {
			total = satAdd(total, len(sep))
		}
		if k == last {
			break // k+1 would overflow at the largest int
		}
	}
	b := newBuilder(L)
	chargeBytes(s, total)
	b.prepaid = true
	b.reserve(total)
	for k := i; ; k++ {
		str, _ := toStringValue(rawGetInt(t, k))
		b.writeString(str)
		if k == last {
			break
		}
		b.writeString(sep)
	}
	b.push()
	return 1
}

func tableForeach(L *lua.LState) int {
	t := checkTable(L, 1)
	f := L.Get(2)
	if f.Type() != lua.LTFunction {
		typeError(L, 2, "function")
	}
	s := stateOf(L)
	var k lua.LValue = lua.LNil
	for {
		var v lua.LValue
		k, v = materialized(L, t).Next(k)
		if k == lua.LNil {
			return 0
		}
		s.charge(1)
		L.Push(f)
		L.Push(k)
		L.Push(v)
		callFromGo(L, 2, 1)
		if r := L.Get(-1); r != lua.LNil {
			return 1
		}
		L.Pop(1)
	}
}

func tableForeachi(L *lua.LState) int {
	t, n := checkLen(L, 1)
	f := L.Get(2)
	if f.Type() != lua.LTFunction {
		typeError(L, 2, "function")
	}
	for i := 1; i <= n; i++ {
		L.Push(f)
		L.Push(lua.LNumber(i))
		L.Push(rawGetInt(t, i))
		callFromGo(L, 2, 1)
		if r := L.Get(-1); r != lua.LNil {
			return 1
		}
		L.Pop(1)
	}
	return 0
}

// tableSort sorts t[1..#t] in place with a quicksort (median of three,
// the smaller part first so that its Go recursion stays under 64 levels).
// Like Lua 5.1 it raises "invalid order function for sorting" when the
// comparator is not a strict order and the partition runs off its range.
func tableSort(L *lua.LState) int {
	t, n := checkLen(L, 1)
	srt := &sorter{L: L, s: stateOf(L), t: t}
	if !isNoneOrNil(L, 2) {
		f, ok := L.Get(2).(*lua.LFunction)
		if !ok {
			typeError(L, 2, "function")
		}
		srt.fn = f
	}
	if n > 1 {
		if srt.s.memLimit != 0 {
			srt.s.alloc(n * sizeSlot)
		}
		srt.a = make([]lua.LValue, n)
		for i := range srt.a {
			srt.a[i] = rawGetInt(t, i+1)
		}
		srt.s.charge(n / 16)
		srt.sort(0, n-1)
		srt.s.charge(srt.work)
		for i, v := range srt.a {
			t.RawSetInt(i+1, v)
		}
	}
	return 0
}

type sorter struct {
	L    *lua.LState
	s    *state
	t    *lua.LTable
	fn   *lua.LFunction
	a    []lua.LValue
	work int // comparisons (and bytes/64 compared) not yet charged
}

func (srt *sorter) less(x, y lua.LValue) bool {
	srt.work++
	if srt.work >= 256 {
		srt.s.charge(srt.work)
		srt.work = 0
	}
	if srt.fn != nil {
		L := srt.L
		L.Push(srt.fn)
		L.Push(x)
		L.Push(y)
		callFromGo(L, 2, 1)
		r := L.Get(-1)
		L.Pop(1)
		return lua.LVAsBool(r)
	}
	if sx, ok := x.(lua.LString); ok {
		if sy, ok := y.(lua.LString); ok {
			srt.work += min(len(sx), len(sy)) / bytesPerInstruction
			return sx < sy
		}
	}
	if nx, ok := x.(lua.LNumber); ok {
		if ny, ok := y.(lua.LNumber); ok {
			return nx < ny
		}
	}
	return lessThan(srt.L, x, y)
}

// lessThan is x < y with Lua 5.1's rules and messages, as a builtin
// compares: __lt only when both operands have the same one.
func lessThan(L *lua.LState, x, y lua.LValue) bool {
	tx, ty := x.Type().String(), y.Type().String()
	if tx == ty {
		if tm := metaField(L, x, "__lt"); tm != lua.LNil && L.RawEqual(tm, metaField(L, y, "__lt")) {
			L.Push(tm)
			L.Push(x)
			L.Push(y)
			callFromGo(L, 2, 1)
			r := L.Get(-1)
			L.Pop(1)
			return lua.LVAsBool(r)
		}
		L.Error(lua.LString("attempt to compare two "+tx+" values"), 0)
	}
	L.Error(lua.LString("attempt to compare "+tx+" with "+ty), 0)
	return false
}

func (srt *sorter) sort(lo, hi int) {
	a := srt.a
	for hi > lo {
		if srt.less(a[hi], a[lo]) {
			a[lo], a[hi] = a[hi], a[lo]
		}
		if hi-lo == 1 {
			return
		}
		mid := lo + (hi-lo)/2
		if srt.less(a[mid], a[lo]) {
			a[mid], a[lo] = a[lo], a[mid]
		} else if srt.less(a[hi], a[mid]) {
			a[mid], a[hi] = a[hi], a[mid]
		}
		if hi-lo == 2 {
			return
		}
		pivot := a[mid]
		a[mid], a[hi-1] = a[hi-1], a[mid]
		i, j := lo, hi-1
		for {
			for i++; srt.less(a[i], pivot); i++ {
				if i >= hi {
					raise(srt.L, "invalid order function for sorting")
				}
			}
			for j--; srt.less(pivot, a[j]); j-- {
				if j <= lo {
					raise(srt.L, "invalid order function for sorting")
				}
			}
			if j < i {
				break
			}
			a[i], a[j] = a[j], a[i]
		}
		a[hi-1], a[i] = a[i], a[hi-1]
		if i-lo < hi-i {
			srt.sort(lo, i-1)
			lo = i + 1
		} else {
			srt.sort(i+1, hi)
			hi = i - 1
		}
	}
}
