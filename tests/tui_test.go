package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// tmuxSession is a dlua console running in a terminal of tmux, on a tmux
// server of its own (-S), so that the test touches no other session.
type tmuxSession struct {
	t      *testing.T
	tmux   string
	socket string
}

func (s *tmuxSession) run(args ...string) (string, error) {
	out, err := exec.Command(s.tmux, append([]string{"-S", s.socket}, args...)...).CombinedOutput()
	return string(out), err
}

// keys types keys: names such as Enter and Escape, or literal text with
// the -l flag first.
func (s *tmuxSession) keys(keys ...string) {
	s.t.Helper()
	if out, err := s.run(append([]string{"send-keys", "-t", "console"}, keys...)...); err != nil {
		s.t.Fatalf("tmux send-keys %q: %v\n%s", keys, err, out)
	}
}

func (s *tmuxSession) screen() string {
	out, err := s.run("capture-pane", "-p", "-t", "console")
	if err != nil {
		return ""
	}
	return out
}

// waitFor polls the screen until every pattern (multi-line regular
// expressions) matches it, for at most 15 seconds.
func (s *tmuxSession) waitFor(what string, patterns ...string) string {
	s.t.Helper()
	res := make([]*regexp.Regexp, len(patterns))
	for i, p := range patterns {
		res[i] = regexp.MustCompile("(?m)" + p)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		screen := s.screen()
		ok := true
		for _, re := range res {
			ok = ok && re.MatchString(screen)
		}
		if ok {
			return screen
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("waiting for %s: no match for %q in the screen:\n%s", what, patterns, screen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestConsole runs "dlua console SCRIPT" in a 120x40 tmux terminal and
// uses it as a person would: the list, a filter, a detail, the Lua prompt,
// a kill, and q, which must end dlua with status 0 and close the pane.
func TestConsole(t *testing.T) {
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("tmux is not installed (.ci/run installs it)")
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "demo.lua")
	const demo = `
for i = 1, 3 do
  proc.spawn_opt({name = "worker" .. i, link = true}, function()
    while true do
      print("worker " .. i .. " got " .. tostring(receive()))
    end
  end)
end
proc.spawn_opt({name = "lonely"}, function() receive() end)
print("demo ready")
receive()
`
	if err := os.WriteFile(script, []byte(demo), 0o644); err != nil {
		t.Fatal(err)
	}
	status := filepath.Join(dir, "status")
	s := &tmuxSession{t: t, tmux: tmux, socket: filepath.Join(dir, "tmux.sock")}
	shell := fmt.Sprintf("%s console %s; echo $? > %s", quote(dlua), quote(script), quote(status))
	if out, err := s.run("new-session", "-d", "-s", "console", "-x", "120", "-y", "40",
		"-e", "LANG=C.UTF-8", "-e", "TERM=xterm-256color", "sh", "-c", shell); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { s.run("kill-server") })

	s.waitFor("the processes",
		`^> <local\.1> `, `worker1`, `worker2`, `worker3`, `lonely`, `<local\.1> demo ready`)

	s.keys("/")
	s.keys("-l", "lonely")
	s.keys("Enter")
	screen := s.waitFor("the filter", `filter: lonely`, `^> \S*<local\.\d+> +lonely `)
	if strings.Contains(screen, "worker1") {
		t.Fatalf("the filter shows worker1:\n%s", screen)
	}

	s.keys("Enter")
	s.waitFor("the detail", `^Process <local\.\d+> "lonely"`, `^status +waiting`, `^parent +<local\.1>`)

	s.keys("Escape")
	s.waitFor("the list again", `^Processes `)
	s.keys(":")
	s.waitFor("the prompt", `^lua>\s*$`)
	s.keys("-l", "1+1")
	s.keys("Enter")
	s.waitFor("the result", `^lua> 1\+1\s*\n2\s*$`)

	s.keys("Escape")
	s.waitFor("the prompt closed", `^Log `)
	s.keys("k")
	s.waitFor("the question", `kill <local\.\d+> "lonely"\? \(y/n\)`)
	s.keys("y")
	s.waitFor("the kill", `^killed <local\.\d+> "lonely"`, `no process matches`)

	s.keys("q")
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, err := s.run("has-session", "-t", "console"); err != nil {
			break // the pane closed with its session
		}
		if time.Now().After(deadline) {
			t.Fatalf("the console did not quit:\n%s", s.screen())
		}
		time.Sleep(50 * time.Millisecond)
	}
	got, err := os.ReadFile(status)
	if err != nil {
		t.Fatal(err)
	}
	if st := strings.TrimSpace(string(got)); st != "0" {
		t.Errorf("dlua console exited with status %s, want 0", st)
	}
}

// quote quotes s for sh.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
