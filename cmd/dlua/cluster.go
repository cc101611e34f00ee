package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/dlua/dlua/config"
	"github.com/dlua/dlua/luahost"
	"github.com/dlua/dlua/proc"
	"github.com/dlua/dlua/quicnet"
	"github.com/dlua/dlua/tui"
)

const nodeHelp = `Node starts one node of a cluster and runs BOOT.lua, if given, as its
first process; the node runs until SIGINT or SIGTERM, then kills its
processes, tells its peers and exits with status 0. It prints
"listening on HOST:PORT" on standard error once other nodes can reach it.

--name and --cookie-file (or --config) are required. The cookie file holds the
cluster's shared secret: at least 16 bytes (a trailing newline is not
part of it); nodes with another cookie are refused. --join makes the node
join the cluster of the node at HOST:PORT; it then connects to every node
of that cluster, and runs BOOT.lua once it is connected to the nodes the
joined node knew of, or --join-timeout (default 15s) has passed (then
with a warning on standard error). A node silent for --idle-timeout counts as down (its
links and monitors fire with "noconnection"); --keepalive is how often a
quiet connection is kept alive (default a third of --idle-timeout).

With --config FILE (a cluster's config.toml) and --name NAME, the node
takes its listen address, the nodes it joins, the cookie, its boot script
(unless BOOT.lua is given), its limits and its permissions from the node
NAME of FILE; flags given explicitly override them. A bad configuration
(unknown key, wrong type, duplicate node name or port, missing boot file,
no cookie) is refused before anything starts, one "FILE:LINE: reason"
line per problem, with exit status 2.

Exit status: 0 after a signal, 1 when the node cannot start or join, 2 for
a usage error (bad flag, bad configuration, missing or short cookie file).`

// clusterOptions are the flags that make a node part of a cluster.
type clusterOptions struct {
	name        string
	listen      string
	join        listFlag
	joinTimeout time.Duration
	cookieFile  string
	idleTimeout time.Duration
	keepAlive   time.Duration
	config      string
	cookie      []byte // the config's inline cookie, when it has no cookie_file
}

func clusterFlags(fs *flag.FlagSet) *clusterOptions {
	o := &clusterOptions{}
	fs.StringVar(&o.name, "name", "", "the node's `NAME`, as proc.node() returns it")
	fs.StringVar(&o.listen, "listen", "", "listen for other nodes on UDP `HOST:PORT`; port 0 picks a free one (default 127.0.0.1:0)")
	fs.Var(&o.join, "join", "join the cluster of the node at `HOST:PORT` (repeatable)")
	fs.DurationVar(&o.joinTimeout, "join-timeout", defaultJoinTimeout, "wait at most `DURATION` for --join: to be admitted, then for the nodes of that cluster to be connected, before the script starts")
	fs.StringVar(&o.cookieFile, "cookie-file", "", "read the cluster cookie from `FILE` (at least 16 bytes)")
	fs.DurationVar(&o.idleTimeout, "idle-timeout", 0, "count a silent node as down after `DURATION` (default 5s)")
	fs.StringVar(&o.config, "config", "", "take the node's settings from the cluster configuration `FILE` (config.toml; needs --name); flags given override them")
	fs.DurationVar(&o.keepAlive, "keepalive", 0, "send a keep-alive on a quiet connection every `DURATION` (default a third of --idle-timeout; at most half of it)")
	return o
}

// enabled reports whether any cluster flag was given.
func (o *clusterOptions) enabled() bool {
	return o.config != "" || o.name != "" || o.listen != "" || len(o.join) > 0 || o.cookieFile != "" || o.idleTimeout != 0 || o.keepAlive != 0
}

// usageError is a problem with the command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// check reports a usage problem of the cluster flags, and reads the
// cookie. A name is required unless defaultName is set.
func (o *clusterOptions) check(defaultName string) ([]byte, error) {
	if o.name == "" {
		if defaultName == "" {
			return nil, &usageError{"missing --name"}
		}
		o.name = defaultName
	}
	if o.cookieFile == "" && o.cookie == nil {
		return nil, &usageError{"missing --cookie-file"}
	}
	if o.idleTimeout < 0 {
		return nil, &usageError{"--idle-timeout must be >= 0"}
	}
	if o.keepAlive < 0 {
		return nil, &usageError{"--keepalive must be >= 0"}
	}
	if o.joinTimeout < 0 {
		return nil, &usageError{"--join-timeout must be > 0"}
	}
	if o.cookieFile == "" {
		if len(o.cookie) < quicnet.MinCookieLen {
			return nil, &usageError{fmt.Sprintf("the cookie of %s holds %d bytes, need at least %d", o.config, len(o.cookie), quicnet.MinCookieLen)}
		}
		return o.cookie, nil
	}
	data, err := os.ReadFile(o.cookieFile)
	if err != nil {
		return nil, &usageError{"--cookie-file " + describeOpenError(o.cookieFile, err)}
	}
	data = bytes.TrimSuffix(data, []byte("\n"))
	data = bytes.TrimSuffix(data, []byte("\r"))
	if len(data) < quicnet.MinCookieLen {
		return nil, &usageError{fmt.Sprintf("cookie file %s holds %d bytes, need at least %d", o.cookieFile, len(data), quicnet.MinCookieLen)}
	}
	return data, nil
}

// configError is a bad configuration file: exit status 2, one line per
// problem.
type configError struct{ err error }

func (e *configError) Error() string { return e.err.Error() }

// flagsSet returns the names of the flags given on the command line.
func flagsSet(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// loadConfig loads the configuration file of --config and returns it and
// its node named --name.
func loadConfig(file, name string) (*config.Config, *config.Node, error) {
	if name == "" {
		return nil, nil, &usageError{"--config needs --name"}
	}
	c, err := config.Load(file)
	if err != nil {
		var ce *config.Error
		if !errors.As(err, &ce) {
			return nil, nil, &usageError{"--config " + describeOpenError(file, err)}
		}
		return nil, nil, &configError{err}
	}
	n := c.Node(name)
	if n == nil {
		return nil, nil, &usageError{fmt.Sprintf("no node %q in %s", name, file)}
	}
	return c, n, nil
}

// applyConfig fills the settings of o and ro (limits and permissions; ro
// may be nil) that no flag of fs gave from the configuration file of
// --config, and returns the node of --name there; nil without --config.
func (o *clusterOptions) applyConfig(fs *flag.FlagSet, ro *runOptions) (*config.Node, error) {
	if o.config == "" {
		return nil, nil
	}
	c, n, err := loadConfig(o.config, o.name)
	if err != nil {
		return nil, err
	}
	set := flagsSet(fs)
	if !set["listen"] {
		o.listen = n.Listen
	}
	if !set["join"] {
		o.join = c.JoinAddrs(n)
	}
	if !set["cookie-file"] {
		o.cookieFile = c.Cluster.CookieFile
		if o.cookieFile == "" {
			o.cookie = []byte(c.Cluster.Cookie)
		}
	}
	if ro == nil {
		return n, nil
	}
	if !set["max-memory"] {
		ro.maxMemory = sizeFlag(c.Defaults.MaxMemory)
	}
	if !set["max-instructions"] {
		ro.maxInstructions = c.Defaults.MaxInstructions
	}
	if !set["max-mailbox"] {
		ro.maxMailbox = c.Defaults.MaxMailbox
	}
	if !set["allow-read"] {
		ro.allowRead = n.AllowRead
	}
	if !set["allow-write"] {
		ro.allowWrite = n.AllowWrite
	}
	if !set["allow-env"] {
		ro.allowEnv = n.AllowEnv
	}
	return n, nil
}

// defaultJoinTimeout bounds --join: the join itself, then the wait for
// the rest of the cluster.
const defaultJoinTimeout = 15 * time.Second

// startCluster binds pn to a quicnet node that carries host's functions,
// makes it answer inspect requests from src (consoles attached to it),
// starts it and joins the --join nodes, waiting (bounded by
// --join-timeout) until the nodes they know of are connected too. The
// caller closes the returned node (stopCluster).
func (o *clusterOptions) startCluster(ctx context.Context, pn *proc.Node, host *luahost.Host, src *tui.Local, cookie []byte, stderr io.Writer) (*quicnet.Node, error) {
	cfg := quicnet.Config{
		Listen:          o.listen,
		Cookie:          cookie,
		IdleTimeout:     o.idleTimeout,
		KeepAlivePeriod: o.keepAlive,
		CodeCodec:       host.Codec(), // functions in messages cross nodes as source
		Logger:          slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	// Peers learn the largest message a process here may hold.
	if m := src.Limits.MaxMemory; m > 0 && m < quicnet.DefaultMaxMessageSize {
		cfg.MaxMessageSize = int(max(m, 64<<10))
	}
	qn, err := quicnet.Bind(pn, cfg)
	if err != nil {
		return nil, &usageError{err.Error()}
	}
	if err := quicnet.ServeInspect(qn, &nodeInspector{src: src, qn: qn}); err != nil {
		qn.Close()
		return nil, err
	}
	if err := qn.Start(ctx); err != nil {
		qn.Close()
		return nil, err
	}
	if o.joinTimeout <= 0 {
		o.joinTimeout = defaultJoinTimeout
	}
	jctx, cancel := context.WithTimeout(ctx, o.joinTimeout)
	defer cancel()
	for _, addr := range o.join {
		_, err := qn.JoinMesh(jctx, addr)
		if errors.Is(err, quicnet.ErrMeshTimeout) {
			fmt.Fprintf(stderr, "dlua: joined %s, but after %v: %v; starting anyway\n", addr, o.joinTimeout, err)
			continue
		}
		if err != nil {
			qn.Close()
			return nil, fmt.Errorf("join %s: %w", addr, err)
		}
	}
	return qn, nil
}

// stopCluster shuts qn down gracefully, bounded: the proc node must have
// been shut down first, so that its last signals are sent.
func stopCluster(qn *quicnet.Node) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := qn.Shutdown(ctx); err != nil {
		qn.Close()
	}
}

// nodeOptions are the flags of dlua node.
type nodeOptions struct {
	*runOptions
	cluster *clusterOptions
}

func nodeFlags(fs *flag.FlagSet) any {
	return &nodeOptions{runOptions: runFlags(fs).(*runOptions), cluster: clusterFlags(fs)}
}

// usage prints a one-line usage error of cmd and returns exit status 2.
func (c *cli) usageErr(cmd string, err error) int {
	fmt.Fprintf(c.stderr, "dlua %s: %s (see \"dlua %s --help\")\n", cmd, err, cmd)
	return exitUsage
}

// clusterErr prints why a cluster node could not start and returns its
// exit status.
func (c *cli) clusterErr(cmd string, err error) int {
	var ce *configError
	if errors.As(err, &ce) {
		for _, line := range strings.Split(ce.Error(), "\n") {
			fmt.Fprintf(c.stderr, "dlua %s: %s\n", cmd, line)
		}
		return exitUsage
	}
	var ue *usageError
	if errors.As(err, &ue) {
		return c.usageErr(cmd, err)
	}
	fmt.Fprintf(c.stderr, "dlua %s: %s\n", cmd, oneLine(err.Error()))
	return exitError
}

// oneLine keeps the first line of s.
func oneLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func (c *cli) node(args []string) int {
	cmd := lookup("node")
	fs, v, code := c.parse(cmd, args)
	if code >= 0 {
		return code
	}
	o := v.(*nodeOptions)
	n, err := o.cluster.applyConfig(fs, o.runOptions)
	if err != nil {
		return c.clusterErr("node", err)
	}
	boot, bootArgs := fs.Arg(0), fs.Args()
	if len(bootArgs) > 0 {
		bootArgs = bootArgs[1:]
	} else if n != nil {
		boot = n.Boot
	}
	if boot != "" {
		if code := c.checkScript("node", boot); code >= 0 {
			return code
		}
	}
	if o.maxMailbox < 0 {
		return c.usageErr("node", errors.New("--max-mailbox must be >= 0"))
	}
	cookie, err := o.cluster.check("")
	if err != nil {
		return c.clusterErr("node", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tuneGC()
	pn := proc.NewNode(proc.Config{Name: o.cluster.name})
	host := luahost.New(luahost.Config{
		Node:   pn,
		Stdin:  c.stdin,
		Stdout: c.stdout,
		Stderr: c.stderr,
		Limits: o.limits(),
	})
	qn, err := o.cluster.startCluster(ctx, pn, host, localSource(pn, host, o.limits()), cookie, c.stderr)
	if err != nil {
		return c.clusterErr("node", err)
	}
	fmt.Fprintf(c.stderr, "listening on %s\n", qn.Addr())
	booted := make(chan struct{})
	if boot != "" {
		go func() {
			defer close(booted)
			err := host.RunScript(ctx, boot, bootArgs)
			if err != nil && ctx.Err() == nil {
				c.report(err) // the node goes on without its boot script
			}
		}()
	} else {
		close(booted)
	}
	<-ctx.Done()
	stop()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	code = exitOK
	if err := pn.Shutdown(sctx, proc.Shutdown); err != nil {
		fmt.Fprintf(c.stderr, "dlua node: %d processes did not stop within 5s\n", pn.Count())
		code = exitError
	}
	<-booted
	stopCluster(qn)
	host.Flush()
	return code
}

// checkScript reports a script that cannot be run; -1 when it can.
func (c *cli) checkScript(cmd, script string) int {
	if st, err := os.Stat(script); err != nil {
		fmt.Fprintf(c.stderr, "dlua %s: %s\n", cmd, describeOpenError(script, err))
		return exitUsage
	} else if st.IsDir() {
		fmt.Fprintf(c.stderr, "dlua %s: %s is a directory\n", cmd, script)
		return exitUsage
	}
	return -1
}

// defaultRunName names a dlua run node given cluster flags but no --name.
func defaultRunName() string { return "run" + strconv.Itoa(os.Getpid()) }
