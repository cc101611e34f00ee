package luahost

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/dlua/dlua/proc"
)

func TestEval(t *testing.T) {
	node := proc.NewNode(proc.Config{})
	var out bytes.Buffer
	h := New(Config{Node: node, Stdout: &out, Stderr: io.Discard})
	defer func() {
		if err := node.Shutdown(t.Context(), proc.Killed); err != nil {
			t.Error(err)
		}
	}()
	target, _, err := node.Spawn(nil, proc.SpawnOpts{}, func(p *proc.Process) proc.Value {
		_, err := p.Receive(-1, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		line   string
		env    map[string]proc.Value
		values []string
		output string
		err    string // a substring of Err; empty: none
	}{
		{name: "expression", line: "1 + 1", values: []string{"2"}},
		{name: "several values", line: "1, 'a', nil, true", values: []string{"1", "a", "nil", "true"}},
		{name: "table", line: "{1, 'two', x = 3}", values: []string{`{1, "two", x=3}`}},
		{name: "builtin", line: "print", values: []string{"function: builtin print"}},
		{name: "unsendable value", line: "coroutine.create(function() end)", values: []string{"thread: "}},
		{name: "statement", line: "x = 1"},
		{name: "print", line: "print('hi', 2)", output: "hi\t2\n"},
		{name: "io.write", line: "io.write('a', 'b')", values: []string{"file (stdout)"}, output: "ab"},
		{name: "error", line: "error('bad')", err: "bad"},
		{name: "error with a table", line: "error({code = 1})", err: "code=1"},
		{name: "syntax error", line: "x = = 1", err: "prompt"},
		{name: "env", line: "who, n", env: map[string]proc.Value{"who": target, "n": 2.0}, values: []string{target.String(), "2"}},
		{name: "a process of its own", line: "proc.info().initial, proc.info().parent", values: []string{"prompt", "nil"}},
		{name: "spawn", line: "spawn_monitor(function() end) return receive().tag", values: []string{"DOWN"}},
		{name: "exit", line: "exit('bye')", err: "bye"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := h.Eval(t.Context(), tt.line, tt.env)
			if err != nil {
				t.Fatalf("Eval: %v", err)
			}
			if tt.err == "" && res.Err != "" {
				t.Fatalf("Err %q", res.Err)
			}
			if tt.err != "" && !strings.Contains(res.Err, tt.err) {
				t.Errorf("Err %q, want %q in it", res.Err, tt.err)
			}
			if len(res.Values) != len(tt.values) {
				t.Fatalf("Values %q, want %q", res.Values, tt.values)
			}
			for i, want := range tt.values {
				if !strings.HasPrefix(res.Values[i], want) {
					t.Errorf("Values[%d] = %q, want %q", i, res.Values[i], want)
				}
			}
			if res.Output != tt.output {
				t.Errorf("Output %q, want %q", res.Output, tt.output)
			}
		})
	}
	h.Flush()
	if out.Len() != 0 {
		t.Errorf("Eval wrote %q to the host's stdout", out.String())
	}
}

func TestSendExprExitExpr(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "main.lua", `
		proc.register("target")
		print("ready")
		io.stdout:flush()
		while true do
			local m = receive()
			print("got", m.tag, m.n)
		end`)
	node := proc.NewNode(proc.Config{})
	ready := make(chan struct{})
	w := &lineWatcher{want: "ready\n", seen: ready}
	h := New(Config{Node: node, Stdout: w, Stderr: io.Discard})
	done := make(chan error, 1)
	go func() { done <- h.RunScript(t.Context(), path, nil) }()
	<-ready
	pid, ok := node.WhereIs("target")
	if !ok {
		t.Fatal("target not registered")
	}
	delivered := make(chan struct{})
	w.mu.Lock()
	w.want, w.seen, w.once = "got\tconsole\t2\n", delivered, sync.Once{}
	w.mu.Unlock()
	if err := h.SendExpr(t.Context(), pid, "{tag = 'console', n = 1 + 1}"); err != nil {
		t.Fatal(err)
	}
	// Signals from two processes (the two evaluations) are not ordered:
	// let the message arrive before the exit signal is sent.
	<-delivered
	for _, bad := range []string{"", "  ", "error('no')", "= ="} {
		if err := h.SendExpr(t.Context(), pid, bad); err == nil {
			t.Errorf("SendExpr(%q) gave no error", bad)
		}
	}
	if err := h.ExitExpr(t.Context(), pid, "'from ' .. 'console'"); err != nil {
		t.Fatal(err)
	}
	err := <-done
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Reason != "from console" {
		t.Errorf("RunScript: %v, want the reason %q", err, "from console")
	}
	if err := node.Shutdown(t.Context(), proc.Killed); err != nil {
		t.Fatal(err)
	}
	h.Flush()
	w.mu.Lock()
	got := w.buf.String()
	w.mu.Unlock()
	if got != "ready\ngot\tconsole\t2\n" {
		t.Errorf("stdout %q", got)
	}
}
