package config

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/dlua/dlua/luahost"
)

// Error is one problem of a configuration file.
type Error struct {
	File string // the file, as given to Load
	Line int    // 1-based; 0 when the problem has no line
	Msg  string // one line
}

func (e *Error) Error() string {
	if e.Line <= 0 {
		return e.File + ": " + e.Msg
	}
	return e.File + ":" + strconv.Itoa(e.Line) + ": " + e.Msg
}

// Config is a cluster's configuration.
type Config struct {
	// File is the path the configuration was loaded from; "" when built
	// in code.
	File     string  `toml:"-"`
	Cluster  Cluster `toml:"cluster"`
	Defaults Limits  `toml:"defaults"`
	Nodes    []Node  `toml:"node"`
}

// Cluster is the [cluster] table.
type Cluster struct {
	// Name names the cluster; "" by default. Informational.
	Name string `toml:"name"`
	// CookieFile is the file holding the shared secret, relative to the
	// configuration's folder (Load makes it so); one of CookieFile and
	// Cookie is required.
	CookieFile string `toml:"cookie_file"`
	// Cookie is the shared secret itself; "" by default (not recommended:
	// prefer CookieFile).
	Cookie string `toml:"cookie"`
}

// Limits is the [defaults] table: the limits of every process unless
// narrowed.
type Limits struct {
	// MaxMemory is the Lua heap size in bytes a process may reach; 0: no
	// limit. In the file, a number of bytes or a size such as "64MiB".
	MaxMemory Size `toml:"max_memory"`
	// MaxInstructions is the number of Lua VM instructions a process may
	// execute; 0: no limit.
	MaxInstructions uint64 `toml:"max_instructions"`
	// MaxMailbox is the number of messages that may wait in a process's
	// mailbox; 0: no limit.
	MaxMailbox int `toml:"max_mailbox"`
}

// Node is one [[node]] table.
type Node struct {
	// Name is the node's name, unique in the cluster; required.
	Name string `toml:"name"`
	// Listen is the UDP HOST:PORT the node listens on; "" (the default)
	// picks a free port on 127.0.0.1. Ports are unique in the cluster.
	Listen string `toml:"listen"`
	// Boot is the script the node runs as its first process, relative
	// to the configuration's folder (Load makes it so); "": none.
	Boot string `toml:"boot"`
	// AllowRead, AllowWrite are folders processes may read, write
	// (relative to the configuration's folder; Load makes them so);
	// none by default.
	AllowRead  []string `toml:"allow_read"`
	AllowWrite []string `toml:"allow_write"`
	// AllowEnv are the environment variables os.getenv may read; none by
	// default.
	AllowEnv []string `toml:"allow_env"`
	// Join are the nodes the node joins when it starts: names of nodes
	// of the configuration or HOST:PORT addresses; none by default.
	Join []string `toml:"join"`
	// Line is the line of the node's [[node]] header; 0 when built in
	// code.
	Line int `toml:"-"`
}

// Size is a number of bytes, given in TOML as an integer or a string
// such as "64MiB".
type Size int64

// UnmarshalTOML implements toml.Unmarshaler.
func (s *Size) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case int64:
		if v < 0 {
			return errors.New("size must be >= 0")
		}
		*s = Size(v)
		return nil
	case string:
		n, err := luahost.ParseSize(v)
		if err != nil {
			return err
		}
		*s = Size(n)
		return nil
	}
	return fmt.Errorf("want a size (a number of bytes or a string such as \"64MiB\"), not %s", typeName(v))
}

// Node returns the node named name, or nil.
func (c *Config) Node(name string) *Node {
	for i := range c.Nodes {
		if c.Nodes[i].Name == name {
			return &c.Nodes[i]
		}
	}
	return nil
}

// JoinAddrs returns the addresses n joins: the listen addresses of the
// nodes it names, and the other entries as they are.
func (c *Config) JoinAddrs(n *Node) []string {
	var addrs []string
	for _, j := range n.Join {
		if m := c.Node(j); m != nil {
			addrs = append(addrs, m.Listen)
		} else {
			addrs = append(addrs, j)
		}
	}
	return addrs
}

// Load reads, checks and returns the configuration in the file path.
// Its errors are *Error values, joined with errors.Join when there are
// several; an error reading the file is returned as it is.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parse(path, data)
}

func parse(path string, data []byte) (*Config, error) {
	lines := scanLines(data)
	var raw map[string]any
	if _, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&raw); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, &Error{File: path, Line: pe.Position.Line, Msg: pe.Message}
		}
		return nil, &Error{File: path, Msg: err.Error()}
	}
	// Types and unknown keys first, by walking the document: the
	// decoder stops at the first problem, and all are reported.
	if errs := checkSchema(path, raw, lines); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	c := &Config{File: path}
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(c)
	if err != nil {
		return nil, &Error{File: path, Msg: oneLine(err.Error())}
	}
	if und := md.Undecoded(); len(und) > 0 { // checkSchema missed them
		var errs []error
		for _, k := range und {
			errs = append(errs, &Error{File: path, Line: lines.find(k...), Msg: fmt.Sprintf("unknown key %q", k.String())})
		}
		return nil, errors.Join(errs...)
	}
	for i := range c.Nodes {
		c.Nodes[i].Line = lines.tables["node["+strconv.Itoa(i)+"]"]
	}
	dir := filepath.Dir(path)
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	c.Cluster.CookieFile = rel(c.Cluster.CookieFile)
	for i := range c.Nodes {
		n := &c.Nodes[i]
		n.Boot = rel(n.Boot)
		for j := range n.AllowRead {
			n.AllowRead[j] = rel(n.AllowRead[j])
		}
		for j := range n.AllowWrite {
			n.AllowWrite[j] = rel(n.AllowWrite[j])
		}
	}
	if err := c.validate(lines); err != nil {
		return nil, err
	}
	return c, nil
}

// validate reports every problem of c that is not one of types.
func (c *Config) validate(lines *lineIndex) error {
	var errs []error
	add := func(line int, format string, args ...any) {
		errs = append(errs, &Error{File: c.File, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	if c.Cluster.CookieFile == "" && c.Cluster.Cookie == "" {
		add(lines.tables["cluster"], "missing cookie: set cookie_file (or cookie) in [cluster]")
	}
	if c.Cluster.CookieFile != "" && c.Cluster.Cookie != "" {
		add(lines.keys["cluster.cookie"], "set cookie_file or cookie in [cluster], not both")
	}
	if c.Defaults.MaxMailbox < 0 {
		add(lines.keys["defaults.max_mailbox"], "max_mailbox must be >= 0")
	}
	if len(c.Nodes) == 0 {
		add(0, "no [[node]]")
	}
	names := map[string]int{}
	ports := map[string]int{}
	for i := range c.Nodes {
		n := &c.Nodes[i]
		key := func(k string) int {
			if l := lines.keys["node["+strconv.Itoa(i)+"]."+k]; l > 0 {
				return l
			}
			return n.Line
		}
		switch first, dup := names[n.Name]; {
		case n.Name == "":
			add(n.Line, "node without a name")
		case dup:
			add(key("name"), "duplicate node name %q (also on line %d)", n.Name, first)
		default:
			names[n.Name] = key("name")
		}
		if n.Listen != "" {
			_, port, err := net.SplitHostPort(n.Listen)
			if err != nil {
				add(key("listen"), "listen %q: want HOST:PORT", n.Listen)
			} else if first, dup := ports[port]; dup && port != "0" {
				add(key("listen"), "duplicate listen port %s (also on line %d)", port, first)
			} else {
				ports[port] = key("listen")
			}
		}
		if n.Boot != "" {
			if st, err := os.Stat(n.Boot); err != nil {
				add(key("boot"), "boot file %s does not exist", n.Boot)
			} else if st.IsDir() {
				add(key("boot"), "boot file %s is a directory", n.Boot)
			}
		}
	}
	for i := range c.Nodes {
		n := &c.Nodes[i]
		for _, j := range n.Join {
			line := lines.keys["node["+strconv.Itoa(i)+"].join"]
			switch m := c.Node(j); {
			case j == n.Name:
				add(line, "node %q joins itself", n.Name)
			case m != nil && m.Listen == "":
				add(line, "node %q joins %q, which has no listen address", n.Name, j)
			case m == nil && !strings.Contains(j, ":"):
				add(line, "node %q joins %q: no such node (want a node name or HOST:PORT)", n.Name, j)
			}
		}
	}
	return errors.Join(errs...)
}

func oneLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
