// Package tests holds end-to-end tests: they build the dlua binary once and
// run it as a user would, on the example scripts and on generated ones.
package tests

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// dlua is the path of the binary TestMain builds.
var dlua string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

// runTests builds dlua into a temporary directory, runs the tests and
// removes the directory.
func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "dlua-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	dlua = filepath.Join(dir, "dlua")
	if runtime.GOOS == "windows" {
		dlua += ".exe"
	}
	out, err := exec.Command(goTool(), "build", "-o", dlua, "../cmd/dlua").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building dlua: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// goTool returns the go command: the one on PATH, or else the one of the
// toolchain that built this test.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	//lint:ignore SA1019 only a fallback, when go is not on PATH
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// result is how a run of dlua ended.
type result struct {
	stdout, stderr string
	status         int
}

// run runs dlua with args in the repository's root folder, so that script
// paths read as in the README ("scripts/ring.lua").
func run(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), dlua, args...)
	cmd.Dir = ".."
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr) && exitErr.ExitCode() >= 0:
		r.status = exitErr.ExitCode()
	default:
		t.Fatalf("dlua %s: %v\nstderr:\n%s", strings.Join(args, " "), err, r.stderr)
	}
	return r
}

// wantOK fails t unless r ended with status 0, nothing on stderr, and
// every pattern of want (multi-line regular expressions) in its stdout.
func (r result) wantOK(t *testing.T, want ...string) {
	t.Helper()
	if r.status != 0 || r.stderr != "" {
		t.Fatalf("exit status %d, want 0\nstdout:\n%s\nstderr:\n%s", r.status, r.stdout, r.stderr)
	}
	for _, w := range want {
		if !regexp.MustCompile("(?m)" + w).MatchString(r.stdout) {
			t.Errorf("stdout does not match %q\nstdout:\n%s", w, r.stdout)
		}
	}
}

// TestExamples runs every example in scripts/ and checks its output. A new
// example must be given its cases here.
func TestExamples(t *testing.T) {
	tests := []struct {
		name   string
		script string
		args   []string
		want   []string
	}{
		{
			name:   "hello",
			script: "hello.lua",
			want:   []string{`^hello, world from <\S+>$`},
		},
		{
			name:   "hello/name",
			script: "hello.lua",
			args:   []string{"dlua"},
			want:   []string{`^hello, dlua from <\S+>$`},
		},
		{
			name:   "pingpong",
			script: "pingpong.lua",
			want: []string{
				`^ping 1 -> pong 1$`,
				`^ping 10 -> pong 10$`,
				`^pingpong: 10 exchanges, client ended: normal$`,
			},
		},
		{
			name:   "pingpong/3",
			script: "pingpong.lua",
			args:   []string{"3"},
			want: []string{`\Aping 1 -> pong 1
ping 2 -> pong 2
ping 3 -> pong 3
pingpong: 3 exchanges, client ended: normal
\z`},
		},
		{
			name:   "ring",
			script: "ring.lua",
			want:   []string{`\Aring: 100 processes, 3 laps, 300 hops\n\z`},
		},
		{
			name:   "ring/7x5",
			script: "ring.lua",
			args:   []string{"7", "5"},
			want:   []string{`\Aring: 7 processes, 5 laps, 35 hops\n\z`},
		},
		{
			name:   "ring/1x1",
			script: "ring.lua",
			args:   []string{"1", "1"},
			want:   []string{`\Aring: 1 processes, 1 laps, 1 hops\n\z`},
		},
		{
			name:   "crash_monitor",
			script: "crash_monitor.lua",
			want: []string{`\Amonitor: worker went DOWN: cannot handle job 42
trap_exit: EXIT from linked process: code=7 msg=disk full
trap_exit: EXIT from quiet process: normal
link: middle process went DOWN: crashed on purpose
root: still running
\z`},
		},
		{
			name:   "pool",
			script: "pool.lua",
			want: []string{
				`^squares: 1 4 9 16 25 36 49 64 81 100 121 144 169 196 225 256 289 324 361 400$`,
				`^pool: 4 workers, 20 jobs, sum of squares 1\.\.20 = 2870$`,
			},
		},
		{
			name:   "pool/more-workers-than-jobs",
			script: "pool.lua",
			args:   []string{"3", "8"},
			want: []string{
				`^squares: 1 4 9$`,
				`^pool: 8 workers, 3 jobs, sum of squares 1\.\.3 = 14$`,
			},
		},
		{
			name:   "pool/1000",
			script: "pool.lua",
			args:   []string{"1000", "16"},
			want:   []string{`^pool: 16 workers, 1000 jobs, sum of squares 1\.\.1000 = 333833500$`},
		},
	}

	scripts, err := filepath.Glob("../scripts/*.lua")
	if err != nil {
		t.Fatal(err)
	}
	if len(scripts) == 0 {
		t.Fatal("no examples in ../scripts")
	}
	covered := make(map[string]bool)
	for _, tt := range tests {
		covered[tt.script] = true
	}
	for _, s := range scripts {
		if name := filepath.Base(s); !covered[name] {
			t.Errorf("scripts/%s has no test case in TestExamples", name)
		}
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"run", "scripts/" + tt.script}, tt.args...)
			run(t, args...).wantOK(t, tt.want...)
		})
	}
}

// TestBenchScripts runs the benchmarks of scripts/bench with small
// arguments: they must run and print their result line. Their speed is
// not checked.
func TestBenchScripts(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{
			name: "pingpong",
			args: []string{"scripts/bench/pingpong.lua", "1000"},
			want: []string{`^pingpong \S+ round_trips/s \(\S+ us/round_trip\)$`},
		},
		{
			name: "ring",
			args: []string{"scripts/bench/ring.lua", "100", "1000"},
			want: []string{`^ring \S+ hops/s \(100 processes\)$`},
		},
		{
			name: "spawn",
			args: []string{"scripts/bench/spawn.lua", "1000"},
			want: []string{
				`^spawn_exit \S+ us/process \(\S+ processes/s\)$`,
				`^spawn_blocked \S+ us/process \(\S+ processes/s\)$`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			run(t, append([]string{"run"}, tt.args...)...).wantOK(t, tt.want...)
		})
	}
}

// TestManyBlockedProcesses checks that a run ends cleanly when its root
// ends while 20,000 other processes wait in receive: they are all killed
// and dlua exits with status 0.
func TestManyBlockedProcesses(t *testing.T) {
	const script = `
local N = tonumber(arg[1])
local root = self()
for i = 1, N do
  spawn(function()
    send(root, i)
    receive() -- never comes
  end)
end
local sum = 0
for _ = 1, N do
  sum = sum + receive()
end
print(string.format("%d processes started, sum %d", N, sum))
`
	path := filepath.Join(t.TempDir(), "blocked.lua")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	const n = 20000
	run(t, "run", path, fmt.Sprint(n)).wantOK(t,
		fmt.Sprintf(`\A%d processes started, sum %d\n\z`, n, n*(n+1)/2))
}
