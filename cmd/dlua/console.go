package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/term"

	"github.com/dlua/dlua/luahost"
	"github.com/dlua/dlua/proc"
	"github.com/dlua/dlua/tui"
)

const consoleHelp = `Console starts a local node and opens the interactive console on it: its
processes as a tree or a table (refreshed every second, sortable,
filterable), the details of one process (links, monitors, mailbox, exit
reason, output), actions on a process (kill, exit with a reason, send a
message), the output of every process, and a Lua prompt that runs each line
in a fresh process of the node.

With SCRIPT.lua, the script runs as a process of the node, with ARGS as in
"dlua run", while the console is open; its end does not close the console.
What processes print goes to the console's log pane, not to the terminal.

Keys: arrows and pgup/pgdn move, enter shows a process, / filters, 1-0 sort
by a column (r reverses), t switches tree and table, k kills, x sends an
exit signal, s sends a message, : opens the Lua prompt, tab the cluster
view, l scrolls the log, ? lists every key, q quits (every process of the
node is then killed).

With --attach NAME@HOST:PORT and --cookie-file FILE, the console starts
no node: it joins the cluster of the node NAME at HOST:PORT as a node
that hosts no processes (named "~console-" and its process id, so that it
is never the arbiter of global names), proving the cookie like a node,
and shows that node; q then leaves it running. The console is then a peer
of every node of the cluster: the cluster view counts the processes of
each, and enter on a node shows that node's processes (enter on the node
attached to shows its own again). A snapshot lists at most 20000
processes (the lowest pids). With --config FILE --name NAME instead, the
console attaches to the node NAME of the cluster configuration FILE, at
its listen address, with the cluster's cookie. "dlua top" is "dlua
console".

Exit status: 0 when the console is quit, 1 when the node does not stop
cleanly, 2 for a usage error (missing file, bad flag, no terminal).`

func (c *cli) console(args []string) int {
	cmd := lookup("console")
	fs, v, code := c.parse(cmd, args)
	if code >= 0 {
		return code
	}
	co := v.(*consoleOptions)
	if co.attach != "" || co.cookieFile != "" || co.config != "" || co.name != "" {
		return c.consoleAttach(fs, co)
	}
	o := co.runOptions
	if o.maxMailbox < 0 {
		fmt.Fprintln(c.stderr, "dlua console: --max-mailbox must be >= 0")
		return exitUsage
	}
	script := fs.Arg(0)
	if script != "" {
		if st, err := os.Stat(script); err != nil {
			fmt.Fprintf(c.stderr, "dlua console: %s\n", describeOpenError(script, err))
			return exitUsage
		} else if st.IsDir() {
			fmt.Fprintf(c.stderr, "dlua console: %s is a directory\n", script)
			return exitUsage
		}
	}
	if !isTerminal(c.stdin) || !isTerminal(c.stdout) {
		fmt.Fprintln(c.stderr, "dlua console: needs a terminal (standard input and output)")
		return exitUsage
	}

	tuneGC()
	node := proc.NewNode(proc.Config{})
	limits := o.limits()
	// Process output reaches the console through the node's log: the
	// terminal belongs to the console, and no process may read its input.
	host := luahost.New(luahost.Config{
		Node:   node,
		Stdin:  strings.NewReader(""),
		Stdout: io.Discard,
		Stderr: io.Discard,
		Limits: limits,
	})
	src := localSource(node, host, limits)
	p := tea.NewProgram(tui.New(src, tui.Options{}),
		tea.WithAltScreen(), tea.WithInput(c.stdin), tea.WithOutput(c.stdout))

	scriptDone := make(chan struct{})
	go func() {
		defer close(scriptDone)
		if script == "" {
			return
		}
		err := host.RunScript(context.Background(), script, fs.Args()[1:])
		p.Send(scriptEnded(node, script, err))
	}()

	_, runErr := p.Run()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	serr := node.Shutdown(ctx, proc.Killed)
	<-scriptDone
	switch {
	case runErr != nil:
		fmt.Fprintf(c.stderr, "dlua console: %v\n", runErr)
		return exitError
	case serr != nil:
		// A process stuck in a long builtin call cannot be stopped.
		fmt.Fprintf(c.stderr, "dlua: %d processes did not stop within 5s of quitting\n", node.Count())
		return exitError
	}
	return exitOK
}

// scriptEnded tells the console how the script ended; the traceback of an
// error goes to the log pane, under the root process's pid.
func scriptEnded(node *proc.Node, script string, err error) tui.StatusMsg {
	var exit *luahost.ExitError
	switch {
	case err == nil:
		return tui.StatusMsg{Text: script + " ended normally"}
	case errors.As(err, &exit):
		if exit.Traceback != "" {
			node.Log(exit.PID, exit.Traceback)
		}
		return tui.StatusMsg{Text: fmt.Sprintf("%s: %s", script, exit.Error()), Err: true}
	}
	return tui.StatusMsg{Text: fmt.Sprintf("%s: %v", script, err), Err: true}
}

func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	return ok && term.IsTerminal(file.Fd())
}

// hostLua is the console's Lua, on a luahost.Host.
type hostLua struct{ h *luahost.Host }

func (l hostLua) Eval(ctx context.Context, line string) (tui.EvalResult, error) {
	r, err := l.h.Eval(ctx, line, nil)
	return tui.EvalResult{PID: r.PID, Output: r.Output, Values: r.Values, Err: r.Err}, err
}

func (l hostLua) SendExpr(ctx context.Context, pid proc.PID, expr string) error {
	return l.h.SendExpr(ctx, pid, expr)
}

func (l hostLua) ExitExpr(ctx context.Context, pid proc.PID, expr string) error {
	return l.h.ExitExpr(ctx, pid, expr)
}

func (hostLua) FormatValue(v proc.Value) string { return luahost.FormatValue(v) }
