package luahost

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dlua/dlua/proc"
)

// setup is how a test script runs. The zero setup runs it with no limits,
// no args and empty stdin.
type setup struct {
	Limits Limits
	Stdin  string
	Args   []string
	// Files are written next to the script (names may contain folders).
	Files map[string]string
	// Dir is the script's folder. Empty: a fresh t.TempDir().
	Dir string
	// Name is the script's file name. Empty: main.lua.
	Name string
}

// result is what a script run left behind.
type result struct {
	Path   string // the script's path
	Stdout string
	Stderr string
	Err    error // from RunScript
}

// reason returns the exit reason of the root process, or "normal".
func (r result) reason(t *testing.T) proc.Value {
	t.Helper()
	if r.Err == nil {
		return proc.Normal
	}
	var ee *ExitError
	if !errors.As(r.Err, &ee) {
		t.Fatalf("RunScript: %v (%T), want an *ExitError", r.Err, r.Err)
	}
	return ee.Reason
}

// mustOK fails t unless the root process ended normally.
func (r result) mustOK(t *testing.T) {
	t.Helper()
	if r.Err == nil {
		return
	}
	var ee *ExitError
	if errors.As(r.Err, &ee) {
		t.Fatalf("script failed: %s\n%s\nstdout:\n%s\nstderr:\n%s", FormatValue(ee.Reason), ee.Traceback, r.Stdout, r.Stderr)
	}
	t.Fatalf("RunScript: %v", r.Err)
}

// writeFile writes body to dir/name, making folders as needed.
func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// runLua writes src as a script (with su.Files beside it) and runs it.
func runLua(t *testing.T, src string, su setup) result {
	t.Helper()
	if su.Dir == "" {
		su.Dir = t.TempDir()
	}
	for name, body := range su.Files {
		writeFile(t, su.Dir, name, body)
	}
	name := su.Name
	if name == "" {
		name = "main.lua"
	}
	return runFile(t, writeFile(t, su.Dir, name, src), su)
}

// runFile runs the script at path as the root process of a fresh node,
// waits for it, then shuts the node down and checks that no process is
// left.
func runFile(t *testing.T, path string, su setup) result {
	t.Helper()
	node := proc.NewNode(proc.Config{})
	var out, errOut bytes.Buffer
	h := New(Config{
		Node:   node,
		Stdout: &out,
		Stderr: &errOut,
		Stdin:  strings.NewReader(su.Stdin),
		Limits: su.Limits,
	})
	err := h.RunScript(t.Context(), path, su.Args)
	if serr := node.Shutdown(t.Context(), proc.Killed); serr != nil {
		t.Fatalf("Shutdown: %v", serr)
	}
	h.Flush()
	if n := node.Count(); n != 0 {
		t.Errorf("%d processes left after Shutdown", n)
	}
	return result{Path: path, Stdout: out.String(), Stderr: errOut.String(), Err: err}
}

var luaTestFunc = regexp.MustCompile(`(?m)^function (Test\w+)\(`)

// TestLuaFiles runs every global Test function of testdata/*_test.lua as
// a subtest: each in a fresh node, as the root process of its file, which
// calls the function named by arg[1].
func TestLuaFiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*_test.lua"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/*_test.lua")
	}
	for _, file := range files {
		abs, err := filepath.Abs(file)
		if err != nil {
			t.Fatal(err)
		}
		src, err := os.ReadFile(abs)
		if err != nil {
			t.Fatal(err)
		}
		names := luaTestFunc.FindAllStringSubmatch(string(src), -1)
		if len(names) == 0 {
			t.Errorf("%s: no Test functions", file)
		}
		t.Run(strings.TrimSuffix(filepath.Base(file), ".lua"), func(t *testing.T) {
			seen := map[string]bool{}
			for _, m := range names {
				name := m[1]
				if seen[name] {
					t.Errorf("%s: %s defined twice", file, name)
				}
				seen[name] = true
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					r := runFile(t, abs, setup{Args: []string{name}})
					r.mustOK(t)
					if r.Stdout != "" {
						t.Logf("stdout:\n%s", r.Stdout)
					}
				})
			}
		})
	}
}

// TestLuaFilesHaveRunner checks that each test file ends with the line
// that calls the test named by arg[1]: without it every subtest would
// pass without running anything.
func TestLuaFilesHaveRunner(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*_test.lua"))
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(src)), "\n")
		if last := lines[len(lines)-1]; last != "run(...)" {
			t.Errorf("%s: last line %q, want %q", file, last, "run(...)")
		}
	}
}

// TestRunnerReportsFailure checks that a failing Lua test is seen as one.
func TestRunnerReportsFailure(t *testing.T) {
	r := runLua(t, `
		function TestFails() assert(false, "expected failure") end
		function run(name) _G[name]() end
		run(...)`, setup{Args: []string{"TestFails"}})
	got, ok := r.reason(t).(string)
	if !ok || !strings.Contains(got, "expected failure") {
		t.Fatalf("reason %v, want the assertion message", r.reason(t))
	}
}
