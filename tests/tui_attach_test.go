package tests

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestConsoleAttach starts "dlua node" with a boot script, attaches
// "dlua console --attach" to it in a tmux terminal, sees the boot
// script's named process, evaluates a line on the node (which does not
// count the console among its nodes: it is a hidden node), and quits
// with q (status 0) while the node keeps running.
func TestConsoleAttach(t *testing.T) {
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("tmux is not installed (.ci/run installs it)")
	}
	dir := t.TempDir()
	cookie := filepath.Join(dir, "cookie")
	if err := os.WriteFile(cookie, []byte("attach-test-cookie-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	boot := filepath.Join(dir, "boot.lua")
	const bootLua = `
proc.spawn_opt({name = "attached_worker"}, function() receive() end)
receive()
`
	if err := os.WriteFile(boot, []byte(bootLua), 0o644); err != nil {
		t.Fatal(err)
	}

	node := exec.Command(dlua, "node", "--name", "n1", "--cookie-file", cookie, "--listen", "127.0.0.1:0", boot)
	stderr, err := node.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	nodeDone := make(chan error, 1)
	t.Cleanup(func() {
		node.Process.Signal(syscall.SIGTERM)
		select {
		case <-nodeDone:
		case <-time.After(10 * time.Second):
			node.Process.Kill()
		}
	})
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				addrc <- a
			}
		}
		nodeDone <- node.Wait()
	}()
	var addr string
	select {
	case addr = <-addrc:
	case <-time.After(15 * time.Second):
		t.Fatal("dlua node did not print its address")
	}

	status := filepath.Join(dir, "status")
	s := &tmuxSession{t: t, tmux: tmux, socket: filepath.Join(dir, "tmux.sock")}
	shell := fmt.Sprintf("%s console --attach %s --cookie-file %s; echo $? > %s",
		quote(dlua), quote("n1@"+addr), quote(cookie), quote(status))
	if out, err := s.run("new-session", "-d", "-s", "console", "-x", "120", "-y", "40",
		"-e", "LANG=C.UTF-8", "-e", "TERM=xterm-256color", "sh", "-c", shell); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { s.run("kill-server") })

	s.waitFor("the node's processes", `<n1\.1> `, `attached_worker`)
	s.keys(":")
	s.waitFor("the prompt", `^lua>\s*$`)
	s.keys("-l", `proc.node() .. " sees " .. #proc.nodes() .. " nodes"`)
	s.keys("Enter")
	s.waitFor("the result", `^"?n1 sees 0 nodes"?\s*$`)
	s.keys("Escape")
	s.waitFor("the prompt closed", `^Log `)

	s.keys("q")
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, err := s.run("has-session", "-t", "console"); err != nil {
			break
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
		t.Errorf("dlua console --attach exited with status %s, want 0", st)
	}
	select {
	case err := <-nodeDone:
		t.Fatalf("the node ended when the console quit: %v", err)
	default:
	}
}
