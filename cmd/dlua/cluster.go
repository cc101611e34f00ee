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
	"syscall"
	"time"

	"github.com/dlua/dlua/luahost"
	"github.com/dlua/dlua/proc"
	"github.com/dlua/dlua/quicnet"
	"github.com/dlua/dlua/tui"
)

const nodeHelp = `Node starts one node of a cluster and runs BOOT.lua, if given, as its
first process; the node runs until SIGINT or SIGTERM, then kills its
processes, tells its peers and exits with status 0. It prints
"listening on HOST:PORT" on standard error once other nodes can reach it.

--name and --cookie-file are required. The cookie file holds the
cluster's shared secret: at least 16 bytes (a trailing newline is not
part of it); nodes with another cookie are refused. --join makes the node
join the cluster of the node at HOST:PORT; it then connects to every node
of that cluster. A node silent for --idle-timeout counts as down (its
links and monitors fire with "noconnection"); --keepalive is how often a
quiet connection is kept alive (default a third of --idle-timeout).

Exit status: 0 after a signal, 1 when the node cannot start or join, 2 for
a usage error (bad flag, missing or short cookie file).`

// clusterOptions are the flags that make a node part of a cluster.
type clusterOptions struct {
	name        string
	listen      string
	join        listFlag
	cookieFile  string
	idleTimeout time.Duration
	keepAlive   time.Duration
}

func clusterFlags(fs *flag.FlagSet) *clusterOptions {
	o := &clusterOptions{}
	fs.StringVar(&o.name, "name", "", "the node's `NAME`, as proc.node() returns it")
	fs.StringVar(&o.listen, "listen", "", "listen for other nodes on UDP `HOST:PORT`; port 0 picks a free one (default 127.0.0.1:0)")
	fs.Var(&o.join, "join", "join the cluster of the node at `HOST:PORT` (repeatable)")
	fs.StringVar(&o.cookieFile, "cookie-file", "", "read the cluster cookie from `FILE` (at least 16 bytes)")
	fs.DurationVar(&o.idleTimeout, "idle-timeout", 0, "count a silent node as down after `DURATION` (default 5s)")
	fs.DurationVar(&o.keepAlive, "keepalive", 0, "send a keep-alive on a quiet connection every `DURATION` (default a third of --idle-timeout; at most half of it)")
	return o
}

// enabled reports whether any cluster flag was given.
func (o *clusterOptions) enabled() bool {
	return o.name != "" || o.listen != "" || len(o.join) > 0 || o.cookieFile != "" || o.idleTimeout != 0 || o.keepAlive != 0
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
	if o.cookieFile == "" {
		return nil, &usageError{"missing --cookie-file"}
	}
	if o.idleTimeout < 0 {
		return nil, &usageError{"--idle-timeout must be >= 0"}
	}
	if o.keepAlive < 0 {
		return nil, &usageError{"--keepalive must be >= 0"}
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

// startCluster binds pn to a quicnet node, makes it answer inspect
// requests from src (consoles attached to it), starts it and joins the
// --join nodes. The caller closes the returned node (stopCluster).
func (o *clusterOptions) startCluster(ctx context.Context, pn *proc.Node, src *tui.Local, cookie []byte, stderr io.Writer) (*quicnet.Node, error) {
	qn, err := quicnet.Bind(pn, quicnet.Config{
		Listen:          o.listen,
		Cookie:          cookie,
		IdleTimeout:     o.idleTimeout,
		KeepAlivePeriod: o.keepAlive,
		CodeCodec:       luahost.Codec{}, // functions in messages cross nodes
		Logger:          slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
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
	for _, addr := range o.join {
		jctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		_, err := qn.Join(jctx, addr)
		cancel()
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
	var ue *usageError
	if errors.As(err, &ue) {
		return c.usageErr(cmd, err)
	}
	fmt.Fprintf(c.stderr, "dlua %s: %s\n", cmd, oneLine(err.Error()))
	return exitError
}

// oneLine keeps the first line of s.
func oneLine(s string) string {
	if i := bytes.IndexByte([]byte(s), '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func (c *cli) node(args []string) int {
	cmd := lookup("node")
	fs, v, code := c.parse(cmd, args)
	if code >= 0 {
		return code
	}
	o := v.(*nodeOptions)
	if fs.NArg() > 0 {
		if code := c.checkScript("node", fs.Arg(0)); code >= 0 {
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
	qn, err := o.cluster.startCluster(ctx, pn, localSource(pn, host, o.limits()), cookie, c.stderr)
	if err != nil {
		return c.clusterErr("node", err)
	}
	fmt.Fprintf(c.stderr, "listening on %s\n", qn.Addr())
	booted := make(chan struct{})
	if fs.NArg() > 0 {
		go func() {
			defer close(booted)
			err := host.RunScript(ctx, fs.Arg(0), fs.Args()[1:])
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
