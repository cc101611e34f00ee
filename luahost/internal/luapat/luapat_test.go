package luapat

import (
	"errors"
	"strings"
	"testing"
)

// The matcher's results are compared with Lua 5.1's on thousands of
// generated cases by luahost's TestLua51 (gen_patterns, gen_gsub); these
// tests check what only Go can see: the hook, the bounds, the errors.

type countHook struct {
	steps, grown int
	stopAt       int
}

var errStop = errors.New("stopped")

func (h *countHook) Steps(n int) {
	h.steps += n
	if h.stopAt > 0 && h.steps >= h.stopAt {
		panic(errStop)
	}
}

func (h *countHook) Grow(n int) { h.grown += n }

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		src, pat string
		init     int
		end      int
		ok       bool
		caps     []string
	}{
		{"hello world", "o w", 4, 7, true, nil},
		{"hello", "l+", 2, 4, true, nil},
		{"hello", "(h)(e)", 0, 2, true, []string{"h", "e"}},
		{"aaab", "a-b", 0, 4, true, nil},
		{"aaa", "a*$", 0, 3, true, nil},
		{"abc", "x*", 0, 0, true, nil},
		{"f(a(b))", "%b()", 1, 7, true, nil},
		{"THE fox", "%f[%a]%a+", 0, 3, true, nil},
		{"abab", "(ab)%1", 0, 4, true, []string{"ab"}},
		{"a\x00b", "%z", 1, 2, true, nil},
		{"abc", "b\x00zzz", 1, 2, true, nil}, // a pattern ends at its first NUL
		{"", "a[", 0, 0, false, nil},         // never reaches the bad set
	} {
		var m Matcher
		end, ok, err := m.Match(c.src, c.pat, c.init)
		if err != nil || ok != c.ok || (ok && end != c.end) {
			t.Errorf("Match(%q, %q, %d) = %d, %v, %v; want %d, %v", c.src, c.pat, c.init, end, ok, err, c.end, c.ok)
			continue
		}
		if len(c.caps) != m.Level() {
			t.Errorf("Match(%q, %q): %d captures, want %d", c.src, c.pat, m.Level(), len(c.caps))
			continue
		}
		for i, want := range c.caps {
			start, n := m.Capture(i)
			if got := c.src[start : start+n]; got != want {
				t.Errorf("Match(%q, %q): capture %d %q, want %q", c.src, c.pat, i, got, want)
			}
		}
	}
}

func TestErrors(t *testing.T) {
	for _, c := range []struct{ pat, msg string }{
		{"a%", "malformed pattern (ends with '%')"},
		{"[a", "malformed pattern (missing ']')"},
		{"(a", ""}, // an unfinished capture is the caller's to report
		{"a)", "invalid pattern capture"},
		{"%1", "invalid capture index"},
		{"%b", "unbalanced pattern"},
		{"%fx", "missing '[' after '%f' in pattern"},
		{strings.Repeat("()", 33), "too many captures"},
	} {
		var m Matcher
		_, _, err := m.Match("a", c.pat, 0)
		switch {
		case c.msg == "" && err != nil:
			t.Errorf("%q: %v", c.pat, err)
		case c.msg != "" && (err == nil || err.Error() != c.msg):
			t.Errorf("%q: error %v, want %q", c.pat, err, c.msg)
		}
	}
}

// TestHook checks that a costly match reports its steps as it goes and
// that a panic from the hook stops it.
func TestHook(t *testing.T) {
	src := strings.Repeat("a", 5000)
	h := &countHook{stopAt: 1e6}
	m := Matcher{Hook: h}
	func() {
		defer func() {
			if r := recover(); r != errStop {
				t.Fatalf("recovered %v, want the hook's panic", r)
			}
		}()
		m.Match(src, ".-.-.-.-.-b", 0)
		t.Fatal("the match ended before its hook stopped it")
	}()
	if h.steps < 1e6 || h.steps > 1e6+StepsPerHook {
		t.Errorf("%d steps told, want about 1e6", h.steps)
	}
	// the matcher is usable again after a panic
	h.stopAt = 0
	if end, ok, err := m.Match("xab", "ab", 1); !ok || end != 3 || err != nil {
		t.Errorf("after a panic: %d, %v, %v", end, ok, err)
	}
}

// TestBacktrackBound checks that the backtracking stack is paid for
// through Grow and bounded.
func TestBacktrackBound(t *testing.T) {
	h := &countHook{}
	m := Matcher{Hook: h}
	pat := strings.Repeat("a?", MaxBacktrack+10)
	_, _, err := m.Match(strings.Repeat("a", MaxBacktrack+10), pat, 0)
	if err == nil || err.Error() != "pattern too complex" {
		t.Fatalf("error %v, want pattern too complex", err)
	}
	if h.grown < MaxBacktrack*EntryBytes/2 {
		t.Errorf("Grow told %d bytes for %d points", h.grown, MaxBacktrack)
	}
}
