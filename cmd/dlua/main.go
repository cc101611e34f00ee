// Command dlua runs Lua programs as many small, isolated, Erlang-style
// processes. See "dlua help".
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/dlua/dlua/luahost"
	"github.com/dlua/dlua/proc"
	"github.com/dlua/dlua/quicnet"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// exit codes
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

type command struct {
	name, args, short, long string
	run                     func(c *cli, args []string) int
	flags                   func(fs *flag.FlagSet) any
}

var commands []*command

func init() {
	commands = []*command{
		{
			name:  "run",
			args:  "[flags] SCRIPT.lua [ARGS...]",
			short: "run a Lua script as the root process of a local node",
			long: `Run starts a local node and runs SCRIPT.lua as its root process. The
script sees ARGS as arg[1..n] and as "...". The run ends when the root
process ends; every other process is then killed.

Exit status: 0 when the root process ends normally, 1 when it ends with an
error (the reason and a Lua traceback go to standard error), 2 for a usage
error (missing file, bad flag).

With --name, --listen, --join or --cookie-file the node joins a cluster
(see "dlua node --help"): the script can send to, link and monitor
processes of other nodes. --cookie-file is then required; without --name
the node is named "run" and the process id. With --config FILE and --name
NAME the node takes its settings (but not its boot script) from the node
NAME of the cluster configuration FILE, as "dlua node" does.`,
			flags: runClusterFlags,
			run:   (*cli).run,
		},
		{
			name:  "console",
			args:  "[flags] [SCRIPT.lua [ARGS...]]",
			short: "open the interactive console on a local node",
			long:  consoleHelp,
			flags: consoleFlags,
			run:   (*cli).console,
		},
		{
			name:  "top",
			args:  "[flags] [SCRIPT.lua [ARGS...]]",
			short: "the same as console",
			long:  consoleHelp,
			flags: consoleFlags,
			run:   (*cli).console,
		},
		{
			name:  "node",
			args:  "--name NAME (--cookie-file FILE | --config FILE) [--listen HOST:PORT] [--join HOST:PORT] [flags] [BOOT.lua [ARGS...]]",
			short: "run one node of a cluster until SIGINT or SIGTERM",
			long:  nodeHelp,
			flags: nodeFlags,
			run:   (*cli).node,
		},
		{
			name:  "version",
			short: "print dlua's version",
			run:   (*cli).version,
		},
		{
			name:  "help",
			args:  "[COMMAND]",
			short: "show help for dlua or one of its commands",
			run:   (*cli).help,
		},
	}
}

type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// Main runs dlua with args (without the program name) and returns the exit
// status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		c.usage(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		c.usage(stdout)
		return exitOK
	case "-version", "--version":
		return c.version(nil)
	}
	cmd := lookup(name)
	if cmd == nil {
		fmt.Fprintf(stderr, "dlua: unknown command %q (see \"dlua help\")\n", name)
		return exitUsage
	}
	return cmd.run(c, args[1:])
}

func lookup(name string) *command {
	for _, cmd := range commands {
		if cmd.name == name {
			return cmd
		}
	}
	return nil
}

func (c *cli) usage(w io.Writer) {
	fmt.Fprintln(w, "dlua runs Lua programs as many small, isolated, Erlang-style processes.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage:")
	fmt.Fprintln(w, "  dlua COMMAND [ARGS...]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, cmd := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", cmd.name, cmd.short)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, `Run "dlua help COMMAND" or "dlua COMMAND --help" for more.`)
}

// flagSet returns the flag set of cmd, whose errors and help go to c.
func (c *cli) flagSet(cmd *command) (*flag.FlagSet, any) {
	fs := flag.NewFlagSet("dlua "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parse reports errors itself, in one line
	var v any
	if cmd.flags != nil {
		v = cmd.flags(fs)
	}
	fs.Usage = func() {}
	return fs, v
}

func (c *cli) commandHelp(w io.Writer, cmd *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: %s\n\n", strings.TrimSpace("dlua "+cmd.name+" "+cmd.args))
	if cmd.long != "" {
		fmt.Fprintln(w, cmd.long)
	} else {
		fmt.Fprintln(w, strings.ToUpper(cmd.short[:1])+cmd.short[1:]+".")
	}
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprintln(w, "\nFlags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
}

// parse parses the flags of cmd. It returns the exit status to stop with,
// or -1 to go on.
func (c *cli) parse(cmd *command, args []string) (*flag.FlagSet, any, int) {
	fs, v := c.flagSet(cmd)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(c.stdout)
			c.commandHelp(c.stdout, cmd, fs)
			return nil, nil, exitOK
		}
		fmt.Fprintf(c.stderr, "dlua %s: %v (see \"dlua %s --help\")\n", cmd.name, err, cmd.name)
		return nil, nil, exitUsage
	}
	return fs, v, -1
}

func (c *cli) version(args []string) int {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		c.commandHelp(c.stdout, lookup("version"), flag.NewFlagSet("", flag.ContinueOnError))
		return exitOK
	}
	fmt.Fprintf(c.stdout, "dlua %s\n", version)
	return exitOK
}

func (c *cli) help(args []string) int {
	if len(args) == 0 {
		c.usage(c.stdout)
		return exitOK
	}
	if strings.HasPrefix(args[0], "-") {
		c.commandHelp(c.stdout, lookup("help"), flag.NewFlagSet("", flag.ContinueOnError))
		return exitOK
	}
	cmd := lookup(args[0])
	if cmd == nil {
		fmt.Fprintf(c.stderr, "dlua help: unknown command %q\n", args[0])
		return exitUsage
	}
	fs, _ := c.flagSet(cmd)
	c.commandHelp(c.stdout, cmd, fs)
	return exitOK
}

// listFlag is a flag that may be given many times.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

type runOptions struct {
	maxInstructions uint64
	maxMailbox      int
	maxMemory       sizeFlag
	allowEnv        listFlag
	allowRead       listFlag
	allowWrite      listFlag
	cluster         *clusterOptions // dlua run only
}

// sizeFlag is a size in bytes given as 65536, 64KiB, 16MiB, ...
type sizeFlag int64

func (f *sizeFlag) String() string { return strconv.FormatInt(int64(*f), 10) }
func (f *sizeFlag) Set(s string) error {
	n, err := luahost.ParseSize(s)
	*f = sizeFlag(n)
	return err
}

// limits returns the limits and permissions the flags give.
func (o *runOptions) limits() luahost.Limits {
	return luahost.Limits{
		MaxInstructions: o.maxInstructions,
		MaxMailbox:      o.maxMailbox,
		MaxMemory:       int64(o.maxMemory),
		AllowEnv:        o.allowEnv,
		AllowRead:       o.allowRead,
		AllowWrite:      o.allowWrite,
	}
}

func runFlags(fs *flag.FlagSet) any {
	o := &runOptions{}
	fs.Uint64Var(&o.maxInstructions, "max-instructions", 0, "end each process that executes more than `N` Lua VM instructions (0: no limit)")
	fs.IntVar(&o.maxMailbox, "max-mailbox", 0, "end each process with more than `N` messages waiting (0: no limit)")
	fs.Var(&o.maxMemory, "max-memory", "end each process whose Lua heap passes `SIZE` (e.g. 64MiB; 0: no limit)")
	fs.Var(&o.allowEnv, "allow-env", "let os.getenv read environment variable `NAME` (repeatable)")
	fs.Var(&o.allowRead, "allow-read", "let io.open, require, loadfile and dofile read files under `DIR` (repeatable)")
	fs.Var(&o.allowWrite, "allow-write", "let io.open, os.remove and os.rename write files under `DIR` (repeatable)")
	return o
}

func runClusterFlags(fs *flag.FlagSet) any {
	o := runFlags(fs).(*runOptions)
	o.cluster = clusterFlags(fs)
	return o
}

func (c *cli) run(args []string) int {
	cmd := lookup("run")
	fs, v, code := c.parse(cmd, args)
	if code >= 0 {
		return code
	}
	o := v.(*runOptions)
	if _, err := o.cluster.applyConfig(fs, o); err != nil {
		return c.clusterErr("run", err)
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(c.stderr, "dlua run: missing SCRIPT.lua (see \"dlua run --help\")")
		return exitUsage
	}
	if o.maxMailbox < 0 {
		fmt.Fprintln(c.stderr, "dlua run: --max-mailbox must be >= 0")
		return exitUsage
	}
	script := fs.Arg(0)
	if code := c.checkScript("run", script); code >= 0 {
		return code
	}
	var cookie []byte
	if o.cluster.enabled() {
		var err error
		if cookie, err = o.cluster.check(defaultRunName()); err != nil {
			return c.clusterErr("run", err)
		}
	}
	tuneGC()
	node := proc.NewNode(proc.Config{Name: o.cluster.name})
	host := luahost.New(luahost.Config{
		Node:   node,
		Stdin:  c.stdin,
		Stdout: c.stdout,
		Stderr: c.stderr,
		Limits: o.limits(),
	})
	var qn *quicnet.Node
	if cookie != nil {
		var err error
		if qn, err = o.cluster.startCluster(context.Background(), node, host, localSource(node, host, o.limits()), cookie, c.stderr); err != nil {
			return c.clusterErr("run", err)
		}
		defer stopCluster(qn) // after the proc node's shutdown below
	}
	err := host.RunScript(context.Background(), script, fs.Args()[1:])
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if serr := node.Shutdown(ctx, proc.Killed); serr != nil {
		// A process stuck in a long builtin call cannot be stopped.
		fmt.Fprintf(c.stderr, "dlua: %d processes did not stop within 5s of the root's end\n", node.Count())
		if err == nil {
			err = errStuck
		}
	}
	host.Flush()
	return c.report(err)
}

var errStuck = errors.New("the node did not stop cleanly")

// report prints how a script ended and returns the exit status.
func (c *cli) report(err error) int {
	var exit *luahost.ExitError
	var status *luahost.ExitStatus
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &status):
		return status.Code // os.exit in the root process
	case errors.As(err, &exit):
		fmt.Fprintf(c.stderr, "dlua: %s\n", exit.Error())
		if exit.Traceback != "" {
			fmt.Fprintln(c.stderr, exit.Traceback)
		}
	default:
		fmt.Fprintf(c.stderr, "dlua: %s\n", err)
	}
	return exitError
}

func describeOpenError(path string, err error) string {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return path + ": no such file"
	case errors.Is(err, os.ErrPermission):
		return path + ": permission denied"
	}
	return err.Error()
}

// tuneGC trades memory for spawn speed unless GOGC says otherwise: every
// process allocates its state at once, and the default collector paces
// itself too tightly for that (see BENCHMARKS.md).
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
}
