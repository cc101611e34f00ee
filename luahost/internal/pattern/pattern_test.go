package pattern

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/yuin/gopher-lua/pm"
)

// result is what Find gave, in a form both implementations share.
type result struct {
	caps [][]uint32
	err  string
}

func (r result) String() string { return fmt.Sprintf("%v err=%q", r.caps, r.err) }

func ours(p, src string, offset, limit int) result {
	mds, err := Find(p, []byte(src), offset, limit)
	var r result
	if err != nil {
		r.err = err.Error()
		return r
	}
	for _, md := range mds {
		r.caps = append(r.caps, slices.Clone(md.captures))
	}
	return r
}

// original runs gopher-lua's pm.Find; ok is false when it panicked with
// something else than its own error (a bug of the original).
func original(p, src string, offset, limit int) (r result, ok bool) {
	defer func() {
		if v := recover(); v != nil {
			ok = false
		}
	}()
	mds, err := pm.Find(p, []byte(src), offset, limit)
	if err != nil {
		r.err = err.Error()
		return r, true
	}
	for _, md := range mds {
		var caps []uint32
		for i := 0; i < md.CaptureLength(); i++ {
			v := uint32(md.Capture(i)) << 1
			if md.IsPosCapture(i) {
				v |= 1
			}
			caps = append(caps, v)
		}
		r.caps = append(r.caps, caps)
	}
	return r, true
}

// TestPatternSameAsOriginal checks on random patterns and subjects that
// the matcher finds exactly what gopher-lua's finds.
func TestPatternSameAsOriginal(t *testing.T) {
	atoms := []string{"a", "b", ".", "%a", "%d", "%s", "%w", "%A", "[ab]", "[^a]", "[a-c]", "[%d_]",
		"%%", "%(", "%b()", "%bab", "%1", "%2", "(", ")", "()", "*", "+", "-", "?", "^", "$", "]", "x"}
	subjects := []string{"", "a", "ab", "aab", "abba", "a(b)c", "((a)b)", "aaaaab", "ba ab 12_3", "xyzzy", "(()", "a.b.c", "$^"}
	rng := rand.New(rand.NewPCG(1, 2))
	compared := 0
	for range 20000 {
		var b strings.Builder
		for range rng.IntN(7) {
			b.WriteString(atoms[rng.IntN(len(atoms))])
		}
		p := b.String()
		src := subjects[rng.IntN(len(subjects))]
		if rng.IntN(4) == 0 {
			src = strings.Repeat(src, 1+rng.IntN(5))
		}
		offset := rng.IntN(len(src) + 2)
		limit := rng.IntN(4) - 1
		want, ok := original(p, src, offset, limit)
		if !ok {
			continue
		}
		compared++
		if got := ours(p, src, offset, limit); got.String() != want.String() {
			t.Fatalf("Find(%q, %q, %d, %d):\n got %v\nwant %v", p, src, offset, limit, got, want)
		}
	}
	if compared < 15000 {
		t.Fatalf("only %d cases compared", compared)
	}
}

// TestPatternCases are the cases of gopher-lua's pm.lua that test the
// matcher itself, as (pattern, subject) -> the matched substring.
func TestPatternCases(t *testing.T) {
	find := func(src, p string) (string, bool) {
		mds, err := Find(p, []byte(src), 0, 1)
		if err != nil {
			t.Fatalf("Find(%q, %q): %v", src, p, err)
		}
		if len(mds) == 0 {
			return "", false
		}
		return src[mds[0].Capture(0):mds[0].Capture(1)], true
	}
	cases := []struct{ src, p, want string }{
		{"aloALO", "%l*", "alo"},
		{"aLo_ALO", "%a*", "aLo"},
		{"aaab", "a*", "aaa"},
		{"aaa", "^.*$", "aaa"},
		{"aaa", "b*", ""},
		{"aaa", "ab*a", "aa"},
		{"aba", "ab*a", "aba"},
		{"aaab", "a+", "aaa"},
		{"aaa", "^.+$", "aaa"},
		{"aba", "ab+a", "aba"},
		{"a$a", ".$", "a"},
		{"a$a", ".%$", "a$"},
		{"a$a", ".$.", "a$a"},
		{"a$a", "$", ""},
		{"", "b*", ""},
		{"aaab", "a-", ""},
		{"aaa", "^.-$", "aaa"},
		{"aabaaabaaabaaaba", "b.*b", "baaabaaabaaab"},
		{"aabaaabaaabaaaba", "b.-b", "baaab"},
		{"alo xo", ".o$", "xo"},
		{" \n isto é assim", "%S%S*", "isto"},
		{" \n isto é assim", "%S*$", "assim"},
		{" \n isto é assim", "[a-z]*$", "assim"},
		{"um caracter ? extra", "[^%sa-z]", "?"},
		{"", "a?", ""},
		{"aa", "^aa?a?a", "aa"},
		{"]]]áb", "[^%]]", "\xc3"},
		{"0alo alo", "%x*", "0a"},
		{"alo alo", "%C+", "alo alo"},
		{"(9 ((8))(\x00) 7)", "%b()", "(9 ((8))(\x00) 7)"},
		{"alo 'oi' alo", "%b''", "'oi'"},
		{"xuxx uu ppar r", "(.)%1", "xx"},
	}
	for _, c := range cases {
		got, ok := find(c.src, c.p)
		if !ok || got != c.want {
			t.Errorf("find(%q, %q) = %q, %v; want %q", c.src, c.p, got, ok, c.want)
		}
	}
	for _, c := range []struct{ src, p string }{
		{"aaa", "b+"}, {"aaa", "ab+a"}, {"a$a", "$$"}, {"a$b", "a$"}, {"aaa", "bb*"},
		{"alo123alo", "^12"}, {"==========", "^([=]*)=%1$"},
	} {
		if got, ok := find(c.src, c.p); ok {
			t.Errorf("find(%q, %q) = %q, want no match", c.src, c.p, got)
		}
	}
	for _, c := range []struct{ p, want string }{
		{"(.", "unfinished capture"},
		{".)", "invalid ')'"},
		{"(%1)", "invalid capture index"},
		{"(%0)", "invalid capture index"},
		{"[a", "unexpected EOS"},
		{"((a)%1)", "invalid capture index"}, // the original panicked here
		{strings.Repeat("()", MaxCaptures+1), "too many captures"},
		{strings.Repeat("(", 100000) + strings.Repeat(")", 100000), "too many captures"},
	} {
		_, err := Find(c.p, []byte("xalo"), 0, 1)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Find(%q): %v, want an error containing %q", c.p, err, c.want)
		}
	}
	if _, err := Find(strings.Repeat("()", MaxCaptures), []byte("x"), 0, 1); err != nil {
		t.Errorf("%d captures: %v", MaxCaptures, err)
	}
	// A long subject: the original recursed once per character.
	long := []byte(strings.Repeat("a", 300000))
	for _, c := range []struct {
		p    string
		want bool
	}{{"^a*.?$", true}, {"^a*.?b$", false}, {"^a-.?$", true}} {
		mds, err := Find(c.p, long, 0, 1)
		if err != nil || (len(mds) == 1) != c.want {
			t.Errorf("Find(%q, long): %d matches, %v", c.p, len(mds), err)
		}
	}
	if _, err := Find("^a*b", []byte(strings.Repeat("a", 1100000)), 0, 1); err == nil ||
		!strings.Contains(err.Error(), "pattern/input too complex") {
		t.Errorf("a million backtracking points: %v, want pattern/input too complex", err)
	}
}

// countingHook counts steps and stack bytes, and panics once steps pass
// limit (if limit > 0).
type countingHook struct {
	steps, grown, calls, limit int
}

var errBudget = errors.New("budget")

func (h *countingHook) Steps(n int) {
	if n > StepsPerHook+MaxCaptures*2+1 && n > StepsPerHook*2 {
		panic(fmt.Sprintf("Steps(%d): too many steps between calls", n))
	}
	h.steps += n
	h.calls++
	if h.limit > 0 && h.steps > h.limit {
		panic(errBudget)
	}
}

func (h *countingHook) Grow(n int) { h.grown += n }

// TestPatternHook checks that a catastrophic pattern is charged while it
// runs, that the hook can stop it, and that the Matcher works afterwards.
func TestPatternHook(t *testing.T) {
	src := []byte(strings.Repeat("a", 5000))
	pat, err := Compile(".-.-.-.-.-b")
	if err != nil {
		t.Fatal(err)
	}
	h := &countingHook{limit: 10_000_000}
	m := &Matcher{Hook: h}
	func() {
		defer func() {
			if v := recover(); v != errBudget {
				t.Fatalf("recovered %v, want the hook's panic", v)
			}
		}()
		m.MatchAt(pat, src, 0)
		t.Fatal("the pattern bomb ended")
	}()
	if h.steps < h.limit || h.steps > h.limit+2*StepsPerHook {
		t.Errorf("stopped after %d steps, limit %d", h.steps, h.limit)
	}
	// The same Matcher, after the panic, matches correctly.
	h.limit = 0
	for i := range 3 {
		p, _ := Compile("(a+)(b)")
		ok, end, err := m.MatchAt(p, []byte("xaab"), 1)
		md := m.MatchData()
		if !ok || end != 4 || err != nil || md.CaptureLength() != 6 || md.Capture(2) != 1 || md.Capture(3) != 3 {
			t.Fatalf("after a panic (%d): %v %d %v %v", i, ok, end, err, md.captures)
		}
	}
	// A set counts one step per member tested.
	h2 := &countingHook{}
	m2 := &Matcher{Hook: h2}
	big, _ := Compile("[" + strings.Repeat("b", 1000) + "]")
	m2.MatchAt(big, []byte("a"), 0)
	m2.Flush()
	if h2.steps < 1000 {
		t.Errorf("a 1000-member set tested: %d steps", h2.steps)
	}
	// %b and back references report their work while they scan.
	for _, c := range []struct{ p, src string }{
		{"%b()", strings.Repeat("(", 200000)},
		{"(a*)%1b", strings.Repeat("a", 2000)},
	} {
		h := &countingHook{}
		m := &Matcher{Hook: h}
		p, _ := Compile(c.p)
		m.MatchAt(p, []byte(c.src), 0)
		if h.calls < 50 {
			t.Errorf("%s on %d bytes: %d hook calls", c.p, len(c.src), h.calls)
		}
	}
	// The backtracking stack's growth is reported.
	h3 := &countingHook{}
	m3 := &Matcher{Hook: h3}
	star, _ := Compile("a*b")
	m3.MatchAt(star, []byte(strings.Repeat("a", 100000)), 0)
	if h3.grown < 100000*frameBytes {
		t.Errorf("100000 backtracking points: %d bytes reported", h3.grown)
	}
}
