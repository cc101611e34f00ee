//go:build linux

package tests

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The hostile corpus: tests/hostile/*.lua, one hostile behaviour per
// script, each with a header that says how its process must end:
//
//	-- expect: REASON[|REASON...] [MATCH]
//
// REASON is normal, killed, instruction_limit, memory_limit, mailbox_limit
// or error (any other reason: an error value). MATCH, for error, is a
// substring the reason must hold, or, in double quotes, the whole reason.
// Other header lines (limits, allow, timeout) are read by
// tests/hostile/driver.lua, which runs the scripts; "-- stdout: TEXT" and
// "-- stderr: TEXT" are lines the run must print; "-- own-node" runs the
// script in a node of its own (see TestHostileOwnNode), whose peak RSS
// "-- max-rss: SIZE" bounds.
//
// TestHostileCorpus runs every other script in ONE node (one "dlua run" of
// the driver, 8 scripts at a time), then a script from outside the corpus
// that must still work, and checks each script's reason, that no file
// outside the allowed folders changed, and the node's peak RSS.

const (
	hostileDir = "hostile"
	// hostileMaxRSS bounds the peak RSS of the node that runs the corpus:
	// 8 scripts at a time, each limited to 32 MiB of Lua heap (that a
	// process may pass by up to 2x before it is stopped), with Go's
	// collector at GOGC=200.
	hostileMaxRSS = 1 << 30 // bytes
	// hostileScriptTimeout is how long the driver lets one script run
	// before it reports "timeout": generous, for a loaded machine; a
	// script may set its own ("-- timeout: S").
	hostileScriptTimeout = 60
	// hostileRunTimeout bounds the whole run.
	hostileRunTimeout = 4 * time.Minute
	hostileEnvName    = "DLUA_HOSTILE_SECRET"
	hostileEnvValue   = "hostile-secret"
)

// Reasons that are not errors.
var hostileReasons = map[string]bool{
	"normal": true, "killed": true, "instruction_limit": true, "memory_limit": true,
	"mailbox_limit": true, "noproc": true, "noconnection": true, "timeout": true,
}

type hostileScript struct {
	name    string   // file name
	expect  []string // allowed reasons
	match   string   // for error: a substring of the reason
	exact   bool     // match is the whole reason
	stdout  []string // lines the run must print
	stderr  []string
	ownNode bool
	maxRSS  int64 // bytes; 0: none (own-node scripts only)
}

// readHostileScript reads the header of a corpus script.
func readHostileScript(path string) (hostileScript, error) {
	s := hostileScript{name: filepath.Base(path)}
	f, err := os.Open(path)
	if err != nil {
		return s, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "--") {
			break
		}
		body := strings.TrimSpace(strings.TrimPrefix(line, "--"))
		if body == "own-node" {
			s.ownNode = true
			continue
		}
		key, rest, ok := strings.Cut(body, ":")
		if !ok {
			continue
		}
		rest = strings.TrimSpace(rest)
		switch key {
		case "expect":
			reasons, match, _ := strings.Cut(rest, " ")
			s.expect = strings.Split(reasons, "|")
			match = strings.TrimSpace(match)
			if strings.HasPrefix(match, `"`) {
				m, err := strconv.Unquote(match)
				if err != nil {
					return s, fmt.Errorf("%s: bad expect line %q: %v", path, line, err)
				}
				match, s.exact = m, true
			}
			s.match = match
			for _, r := range s.expect {
				if r != "error" && !hostileReasons[r] {
					return s, fmt.Errorf("%s: unknown reason %q in %q", path, r, line)
				}
			}
		case "stdout":
			s.stdout = append(s.stdout, rest)
		case "stderr":
			s.stderr = append(s.stderr, rest)
		case "max-rss":
			n, err := parseSize(rest)
			if err != nil {
				return s, fmt.Errorf("%s: bad max-rss line %q: %v", path, line, err)
			}
			s.maxRSS = n
		}
	}
	if err := sc.Err(); err != nil {
		return s, err
	}
	if len(s.expect) == 0 {
		return s, fmt.Errorf("%s: no \"-- expect: REASON\" line in its header", path)
	}
	return s, nil
}

// parseSize reads a size such as 256MiB, 64KiB or 1000.
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		n      int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}, {"", 1}}
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			n, err := strconv.ParseInt(num, 10, 64)
			if err != nil {
				return 0, err
			}
			return n * u.n, nil
		}
	}
	return 0, fmt.Errorf("bad size %q", s)
}

// check reports how reason fails s's expectation, or "" when it meets it.
func (s hostileScript) check(reason string) string {
	for _, want := range s.expect {
		switch {
		case want == "error":
			if hostileReasons[reason] || strings.HasPrefix(reason, "driver-error:") {
				continue
			}
			if s.exact && reason != s.match || !s.exact && !strings.Contains(reason, s.match) {
				continue
			}
			return ""
		case reason == want:
			return ""
		}
	}
	want := strings.Join(s.expect, " or ")
	if s.match != "" {
		want += fmt.Sprintf(" (with %q)", s.match)
	}
	return fmt.Sprintf("ended with %q, want %s", reason, want)
}

// hostileScripts returns the corpus, in name order.
func hostileScripts(t *testing.T) []hostileScript {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(hostileDir, "*.lua"))
	if err != nil {
		t.Fatal(err)
	}
	var scripts []hostileScript
	for _, p := range paths {
		if filepath.Base(p) == "driver.lua" {
			continue
		}
		s, err := readHostileScript(p)
		if err != nil {
			t.Fatal(err)
		}
		scripts = append(scripts, s)
	}
	if len(scripts) < 65 {
		t.Fatalf("the corpus has %d scripts, want at least 65", len(scripts))
	}
	return scripts
}

// hostileFolders makes the folders the scripts may (rw) and may not
// (outside) touch, with the links of the escape scripts:
//
//	rw/inside.txt, rw/movable.txt
//	rw/link_dir  -> outside
//	rw/link_file -> outside/secret.txt
//	rw/dangling  -> outside/created_via_dangling.txt (does not exist)
//	outside/secret.txt, outside/secret.lua, outside/victim.txt
func hostileFolders(t *testing.T) (rw, outside string) {
	t.Helper()
	root := t.TempDir()
	rw, outside = filepath.Join(root, "rw"), filepath.Join(root, "outside")
	files := map[string]string{
		filepath.Join(rw, "inside.txt"):      "inside\n",
		filepath.Join(rw, "movable.txt"):     "movable\n",
		filepath.Join(outside, "secret.txt"): "secret\n",
		filepath.Join(outside, "secret.lua"): "return 'leaked'\n",
		filepath.Join(outside, "victim.txt"): "victim\n",
	}
	for path, content := range files {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		filepath.Join(rw, "link_dir"):  outside,
		filepath.Join(rw, "link_file"): filepath.Join(outside, "secret.txt"),
		filepath.Join(rw, "dangling"):  filepath.Join(outside, "created_via_dangling.txt"),
	}
	for link, target := range links {
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	return rw, outside
}

// snapshot returns every file under dir with its content (links as
// "-> target").
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := make(map[string]string)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			out[rel] = "-> " + target
		case d.Type().IsRegular():
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			out[rel] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func diffSnapshots(before, after map[string]string) []string {
	var diffs []string
	for name, content := range after {
		old, ok := before[name]
		switch {
		case !ok:
			diffs = append(diffs, "new file "+name)
		case old != content:
			diffs = append(diffs, "changed "+name)
		}
	}
	for name := range before {
		if _, ok := after[name]; !ok {
			diffs = append(diffs, "removed "+name)
		}
	}
	sort.Strings(diffs)
	return diffs
}

// driverRun is one run of the driver in its own node.
type driverRun struct {
	reasons        map[string]string // script name -> reason
	dups           []string
	done           bool // the driver printed its last line
	stdout, stderr string
	status         int
	maxRSS         int64 // bytes
	elapsed        time.Duration
}

// runDriver runs tests/hostile/driver.lua with args in a node of its own,
// from the repository's root folder, with dluaArgs before the script.
func runDriver(t *testing.T, dluaArgs, driverArgs []string) driverRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), hostileRunTimeout)
	defer cancel()
	args := append([]string{"run"}, dluaArgs...)
	args = append(args, filepath.Join("tests", hostileDir, "driver.lua"))
	args = append(args, driverArgs...)
	cmd := exec.CommandContext(ctx, dlua, args...)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), hostileEnvName+"="+hostileEnvValue)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := driverRun{
		reasons: make(map[string]string),
		stdout:  stdout.String(),
		stderr:  stderr.String(),
		elapsed: time.Since(start),
	}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		r.status = exitErr.ExitCode() // -1: killed by a signal
	default:
		t.Fatalf("dlua %s: %v", strings.Join(args, " "), err)
	}
	if ctx.Err() != nil {
		t.Errorf("the run did not end within %s: killed", hostileRunTimeout)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.maxRSS = ru.Maxrss * 1024 // KiB on Linux
	}
	for line := range strings.Lines(r.stdout) {
		line = strings.TrimRight(line, "\n")
		if strings.HasPrefix(line, "done ") {
			r.done = true
			continue
		}
		name, reason, ok := strings.Cut(line, " ")
		if !ok || !strings.HasSuffix(name, ".lua") {
			continue // a script's own output
		}
		if _, dup := r.reasons[name]; dup {
			r.dups = append(r.dups, name)
		}
		r.reasons[name] = reason
	}
	return r
}

// crashReport returns the first lines of what the node said when it
// ended abnormally.
func (r driverRun) crashReport() string {
	var keep []string
	for line := range strings.Lines(r.stderr) {
		if strings.HasPrefix(line, "# ") {
			continue
		}
		keep = append(keep, strings.TrimRight(line, "\n"))
		if len(keep) == 12 {
			break
		}
	}
	return fmt.Sprintf("exit status %d; stderr:\n%s", r.status, strings.Join(keep, "\n"))
}

// slowest returns the driver's timings (stderr lines "# NAME SECONDSs"),
// slowest first.
func (r driverRun) slowest(n int) []string {
	type timing struct {
		name string
		secs float64
	}
	var ts []timing
	for line := range strings.Lines(r.stderr) {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == "#" && strings.HasSuffix(f[2], "s") {
			if secs, err := strconv.ParseFloat(strings.TrimSuffix(f[2], "s"), 64); err == nil {
				ts = append(ts, timing{f[1], secs})
			}
		}
	}
	slices.SortFunc(ts, func(a, b timing) int {
		switch {
		case a.secs > b.secs:
			return -1
		case a.secs < b.secs:
			return 1
		}
		return 0
	})
	var out []string
	for i := 0; i < len(ts) && i < n; i++ {
		out = append(out, fmt.Sprintf("%s %.2fs", ts[i].name, ts[i].secs))
	}
	return out
}

const afterCorpusScript = `-- Runs after the whole corpus, in the same node: the node must go on.
local ctx = ...
local me = self()
local n = 50
for i = 1, n do
  spawn(function()
    local sum = 0
    for j = 1, 10000 do sum = sum + j end
    send(me, {i = i, sum = sum})
  end)
end
local total = 0
for _ = 1, n do
  local m = assert(receive(50), "a worker did not answer")
  assert(m.sum == 50005000)
  total = total + m.i
end
assert(total == n * (n + 1) / 2)
local s = string.rep("ab", 1000):gsub("b", "c")
assert(#s == 2000 and not s:find("b"))
local f = assert(io.open(ctx.dir .. "/" .. ctx.name))
assert(f:read("*l"):find("after the whole corpus", 1, true))
f:close()
local _, ref = spawn_monitor(function() while true do end end)
local down = receive({tag = "DOWN", ref = ref}, 50)
assert(down and down.reason == "instruction_limit", "limits no longer hold")
print("after-corpus ok")
`

func TestHostileCorpus(t *testing.T) {
	all := hostileScripts(t)
	var scripts []hostileScript
	for _, s := range all {
		if !s.ownNode {
			scripts = append(scripts, s)
		}
	}
	rw, outside := hostileFolders(t)
	afterDir := t.TempDir()
	after := filepath.Join(afterDir, "after_corpus.lua")
	if err := os.WriteFile(after, []byte(afterCorpusScript), 0o644); err != nil {
		t.Fatal(err)
	}
	outsideBefore := snapshot(t, outside)
	corpusBefore := snapshot(t, hostileDir)

	driverArgs := []string{
		"--jobs", "8",
		"--timeout", strconv.Itoa(hostileScriptTimeout),
		"--tmp", rw,
		"--outside", outside,
		"--env", hostileEnvName,
		"--after", after,
	}
	for _, s := range scripts {
		driverArgs = append(driverArgs, filepath.Join("tests", hostileDir, s.name))
	}
	r := runDriver(t, []string{
		"--allow-read", rw, "--allow-read", afterDir,
		"--allow-write", rw,
		"--allow-env", hostileEnvName,
	}, driverArgs)
	t.Logf("%d scripts in one node: %s, peak RSS %d MiB", len(scripts), r.elapsed.Round(10*time.Millisecond), r.maxRSS>>20)
	t.Logf("slowest: %s", strings.Join(r.slowest(8), ", "))

	crashed := !r.done
	if crashed {
		t.Errorf("the node did not finish the corpus: %s", r.crashReport())
	}
	for _, name := range r.dups {
		t.Errorf("%s: more than one result line", name)
	}
	for _, s := range scripts {
		t.Run(strings.TrimSuffix(s.name, ".lua"), func(t *testing.T) {
			reason, ok := r.reasons[s.name]
			if !ok {
				t.Fatalf("no result: the node ended before the script did")
			}
			if msg := s.check(reason); msg != "" {
				t.Error(msg)
			}
			for _, line := range s.stdout {
				if !slices.Contains(strings.Split(r.stdout, "\n"), line) {
					t.Errorf("stdout has no line %q", line)
				}
			}
			for _, line := range s.stderr {
				if !slices.Contains(strings.Split(r.stderr, "\n"), line) {
					t.Errorf("stderr has no line %q", line)
				}
			}
		})
	}
	t.Run("node_goes_on", func(t *testing.T) {
		reason, ok := r.reasons[filepath.Base(after)]
		switch {
		case !ok:
			t.Fatalf("the script after the corpus did not run: %s", r.crashReport())
		case reason != "normal":
			t.Errorf("the script after the corpus ended with %q, want normal", reason)
		}
		if !slices.Contains(strings.Split(r.stdout, "\n"), "after-corpus ok") {
			t.Errorf("the script after the corpus printed nothing")
		}
	})
	t.Run("node_stops_cleanly", func(t *testing.T) {
		if r.status != 0 {
			t.Errorf("dlua ended with %s", r.crashReport())
		}
	})
	t.Run("files_untouched", func(t *testing.T) {
		for _, d := range diffSnapshots(outsideBefore, snapshot(t, outside)) {
			t.Errorf("outside the allowed folders: %s", d)
		}
		for _, d := range diffSnapshots(corpusBefore, snapshot(t, hostileDir)) {
			t.Errorf("in the corpus folder (read-only to the scripts): %s", d)
		}
		if _, err := os.Stat(filepath.Join(rw, "movable.txt")); err != nil {
			t.Errorf("rw/movable.txt: %v", err)
		}
	})
	t.Run("peak_rss", func(t *testing.T) {
		if r.maxRSS == 0 {
			t.Skip("no rusage")
		}
		if r.maxRSS > hostileMaxRSS {
			t.Errorf("the node's peak RSS was %d MiB, want at most %d MiB", r.maxRSS>>20, hostileMaxRSS>>20)
		}
	})
}

// TestHostileOwnNode runs the scripts marked "-- own-node", each in a node
// of its own: scripts that may take the whole node down, that may rightly
// hold more memory than the corpus's RSS bound allows, or whose own use of
// memory outside the Lua heap is checked with "-- max-rss".
func TestHostileOwnNode(t *testing.T) {
	for _, s := range hostileScripts(t) {
		if !s.ownNode {
			continue
		}
		t.Run(strings.TrimSuffix(s.name, ".lua"), func(t *testing.T) {
			r := runDriver(t, nil, []string{
				"--timeout", strconv.Itoa(hostileScriptTimeout),
				filepath.Join("tests", hostileDir, s.name),
			})
			t.Logf("%s, peak RSS %d MiB", r.elapsed.Round(10*time.Millisecond), r.maxRSS>>20)
			reason, ok := r.reasons[s.name]
			if !ok {
				t.Fatalf("no result, the node crashed: %s", r.crashReport())
			}
			if msg := s.check(reason); msg != "" {
				t.Error(msg)
			}
			if r.status != 0 {
				t.Errorf("dlua ended with %s", r.crashReport())
			}
			if s.maxRSS != 0 && r.maxRSS > s.maxRSS {
				t.Errorf("the node's peak RSS was %d MiB, want at most %d MiB", r.maxRSS>>20, s.maxRSS>>20)
			}
		})
	}
}
