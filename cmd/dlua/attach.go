package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/dlua/dlua/luahost"
	"github.com/dlua/dlua/proc"
	"github.com/dlua/dlua/quicnet"
	"github.com/dlua/dlua/tui"
)

// consoleOptions are the flags of dlua console.
type consoleOptions struct {
	*runOptions
	attach     string
	cookieFile string
	listen     string
	config     string
	name       string
}

func consoleFlags(fs *flag.FlagSet) any {
	o := &consoleOptions{runOptions: runFlags(fs).(*runOptions)}
	fs.StringVar(&o.attach, "attach", "", "attach to the running node `NAME@HOST:PORT` instead of starting one")
	fs.StringVar(&o.cookieFile, "cookie-file", "", "with --attach: read the cluster cookie from `FILE`")
	fs.StringVar(&o.config, "config", "", "attach to the node --name of the cluster configuration `FILE` (config.toml), at its listen address, with its cookie")
	fs.StringVar(&o.name, "name", "", "with --config: the `NAME` of the node to attach to")
	fs.StringVar(&o.listen, "listen", "", "with --attach: listen for other nodes on UDP `HOST:PORT` (default 127.0.0.1:0)")
	return o
}

// localSource is the console's view of a node in this process; cluster
// nodes serve it to attached consoles.
func localSource(node *proc.Node, host *luahost.Host, limits luahost.Limits) *tui.Local {
	return &tui.Local{
		Node:   node,
		Lua:    hostLua{host},
		Limits: tui.Limits{MaxInstructions: limits.MaxInstructions, MaxMailbox: limits.MaxMailbox, MaxMemory: limits.MaxMemory},
	}
}

// parseAttach splits NAME@HOST:PORT.
func parseAttach(s string) (name, addr string, err error) {
	name, addr, ok := strings.Cut(s, "@")
	if !ok || name == "" || addr == "" {
		return "", "", &usageError{fmt.Sprintf("--attach %q: want NAME@HOST:PORT", s)}
	}
	return name, addr, nil
}

// consoleName is the name of an attached console's node: it sorts after
// ordinary names, so the console is not chosen as global name arbiter.
func consoleName() string { return "~console-" + strconv.Itoa(os.Getpid()) }

// attachSource joins the cluster of the node name at addr with a node
// that hosts no processes, and returns that node's Source. The caller
// closes the returned client's node.
func attachSource(ctx context.Context, name, addr, listen string, cookie []byte, stderr io.Writer) (*remoteSource, *quicnet.InspectClient, error) {
	c, err := quicnet.NewInspectClient(quicnet.Config{
		Name:   consoleName(),
		Listen: listen,
		Cookie: cookie,
		Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError})),
	})
	if err != nil {
		return nil, nil, &usageError{err.Error()}
	}
	if err := c.Node().Start(ctx); err != nil {
		c.Node().Close()
		return nil, nil, err
	}
	jctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	p, err := c.Node().Join(jctx, addr)
	if err != nil {
		c.Node().Close()
		return nil, nil, fmt.Errorf("join %s: %w", addr, err)
	}
	if p.Name != name {
		c.Node().Close()
		return nil, nil, fmt.Errorf("the node at %s is %q, not %q", addr, p.Name, name)
	}
	return &remoteSource{c: c, node: name}, c, nil
}

// consoleAttach is dlua console --attach.
func (c *cli) consoleAttach(fs *flag.FlagSet, o *consoleOptions) int {
	co := &clusterOptions{cookieFile: o.cookieFile}
	var name, addr string
	if o.config != "" {
		cfg, n, err := loadConfig(o.config, o.name)
		if err != nil {
			return c.clusterErr("console", err)
		}
		if _, port, _ := net.SplitHostPort(n.Listen); port == "" || port == "0" {
			return c.usageErr("console", fmt.Errorf("node %q of %s has no fixed listen address to attach to", n.Name, o.config))
		}
		name, addr = n.Name, n.Listen
		if o.cookieFile == "" {
			co.cookieFile = cfg.Cluster.CookieFile
			if co.cookieFile == "" {
				co.cookie, co.config = []byte(cfg.Cluster.Cookie), o.config
			}
		}
	} else if o.name != "" {
		return c.usageErr("console", errors.New("--name needs --config"))
	}
	if o.attach == "" && o.config == "" {
		return c.usageErr("console", errors.New("--cookie-file needs --attach or --config"))
	}
	if fs.NArg() > 0 {
		return c.usageErr("console", errors.New("--attach takes no script"))
	}
	if o.attach != "" {
		var err error
		if name, addr, err = parseAttach(o.attach); err != nil {
			return c.usageErr("console", err)
		}
	}
	cookie, err := co.check(consoleName())
	if err != nil {
		return c.clusterErr("console", err)
	}
	if !isTerminal(c.stdin) || !isTerminal(c.stdout) {
		fmt.Fprintln(c.stderr, "dlua console: needs a terminal (standard input and output)")
		return exitUsage
	}
	src, client, err := attachSource(context.Background(), name, addr, o.listen, cookie, c.stderr)
	if err != nil {
		return c.clusterErr("console", err)
	}
	defer stopCluster(client.Node())
	p := tea.NewProgram(tui.New(src, tui.Options{}),
		tea.WithAltScreen(), tea.WithInput(c.stdin), tea.WithOutput(c.stdout))
	if _, err := p.Run(); err != nil {
		fmt.Fprintf(c.stderr, "dlua console: %v\n", err)
		return exitError
	}
	return exitOK
}
