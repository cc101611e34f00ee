package main

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dlua/dlua/luahost"
	"github.com/dlua/dlua/proc"
	"github.com/dlua/dlua/tui"
)

// TestConsoleSource checks the console's Source as dlua console wires it:
// tui.Local over a node and hostLua over a luahost.Host.
func TestConsoleSource(t *testing.T) {
	node := proc.NewNode(proc.Config{})
	host := luahost.New(luahost.Config{Node: node, Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := node.Shutdown(ctx, proc.Killed); err != nil {
			t.Error(err)
		}
	})
	src := &tui.Local{Node: node, Lua: hostLua{host}}
	ctx := t.Context()

	res, err := src.Eval(ctx, "1+1")
	if err != nil || res.Err != "" || !slices.Equal(res.Values, []string{"2"}) {
		t.Fatalf("Eval(1+1) = %+v, %v", res, err)
	}
	res, err = src.Eval(ctx, `print("hi", 3) return "s", {1, x=true}`)
	if err != nil || res.Output != "hi\t3\n" || !slices.Equal(res.Values, []string{"s", "{1, x=true}"}) {
		t.Fatalf("Eval(print) = %+v, %v", res, err)
	}
	res, err = src.Eval(ctx, `error("boom")`)
	if err != nil || !strings.Contains(res.Err, "boom") {
		t.Fatalf("Eval(error) = %+v, %v", res, err)
	}

	// A process that registers and waits; Send puts a message in its
	// mailbox, Exit ends it with the reason given.
	res, err = src.Eval(ctx, `proc.spawn_opt({name = "sink"}, function() receive(function() return false end) end)`)
	if err != nil || res.Err != "" {
		t.Fatalf("spawning the sink: %+v, %v", res, err)
	}
	sink, ok := node.WhereIs("sink")
	if !ok {
		t.Fatal("sink is not registered")
	}
	if err := src.Send(ctx, sink, `{tag = "job", n = 1}`); err != nil {
		t.Fatal(err)
	}
	msgs, err := src.Messages(ctx, sink, 5)
	if want := []string{`{n=1, tag="job"}`}; err != nil || !slices.Equal(msgs, want) {
		t.Errorf("Messages = %q, %v; want %q", msgs, err, want)
	}
	if err := src.Send(ctx, sink, "nope("); err == nil {
		t.Error("Send of a bad expression: no error")
	}
	if err := src.Exit(ctx, sink, `{code = 7}`); err != nil {
		t.Fatal(err)
	}
	if _, err := node.Wait(ctx, sink); err != nil {
		t.Fatal(err)
	}
	d, err := src.Info(ctx, sink)
	if err != nil || d.Status != proc.Exited || d.Reason != "{code=7}" {
		t.Errorf("Info of the ended sink = %+v, %v", d, err)
	}
}
