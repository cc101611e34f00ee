package quicnet

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dlua/dlua/proc"
)

// Limits and defaults of a Config.
const (
	// MinCookieLen is the shortest cookie Config accepts, in bytes. Use a
	// random cookie of 32 bytes or more: the cookie is the only secret of
	// a cluster.
	MinCookieLen = 16
	// MaxNameLen is the longest node or cluster name, in bytes.
	MaxNameLen = 255

	DefaultCluster          = "dlua"
	DefaultListen           = "127.0.0.1:0"
	DefaultIdleTimeout      = 5 * time.Second
	DefaultHandshakeTimeout = 5 * time.Second
	DefaultMaxFrameSize     = 1 << 20
	DefaultMaxMessageSize   = 256 << 20
	DefaultMaxDepth         = 200
	DefaultSendQueueSize    = 16 << 20
	DefaultControlQueueSize = 16 << 20
	DefaultBusyTimeout      = 30 * time.Second

	minFrameSize   = 1 << 10
	maxFrameSize   = 16 << 20
	maxMessageSize = 1 << 30
)

// Config configures a Node. Name and Cookie are required; every other
// field has a default, used when the field is zero. New fills a copy: the
// caller's Config is not changed.
type Config struct {
	// Name is this node's name: the Node of every pid it makes, and what
	// peers call it. Required: 1 to 255 bytes of UTF-8, no spaces or
	// control characters.
	Name string
	// Cluster is the cluster's name. Nodes of different clusters refuse
	// each other. Zero: "dlua".
	Cluster string
	// Listen is the UDP address (host:port) the node listens and dials
	// from. Port 0 picks a free port (see Node.Addr). Zero: "127.0.0.1:0".
	Listen string
	// Advertise is the address other nodes are told to dial to reach this
	// one. Zero: the bound listen address; a peer replaces an unspecified
	// host (0.0.0.0, ::) with the address it sees this node at.
	Advertise string
	// Cookie is the cluster's shared secret: a peer is admitted only after
	// it proves it holds the same cookie. Required: at least MinCookieLen
	// bytes.
	Cookie []byte
	// Creation tells this incarnation of the node from earlier ones with
	// the same name; pass the proc node's creation. Zero: derived from the
	// start time.
	Creation uint32
	// IdleTimeout is how long a connection may stay silent before the
	// peer counts as gone (NodeDown). The connection uses the smaller of
	// both sides' values. Zero: 5 s.
	IdleTimeout time.Duration
	// KeepAlivePeriod is how often a quiet connection sends a keep-alive
	// packet (capped by quic-go at half the idle timeout). Zero: a third
	// of IdleTimeout.
	KeepAlivePeriod time.Duration
	// HandshakeTimeout bounds a connection attempt from its first packet
	// to its admission: QUIC, TLS, and the cookie proofs. Zero: 5 s.
	HandshakeTimeout time.Duration
	// MaxFrameSize is the largest frame body, in bytes, that the node
	// sends or accepts; a bigger incoming frame closes that connection. A
	// bigger message crosses as several frames. Zero: 1 MiB. At least
	// 1 KiB, at most 16 MiB.
	MaxFrameSize int
	// MaxMessageSize is the largest message (a frame's encoded body,
	// whatever the number of frames it crosses in) that the node accepts:
	// peers learn it in the handshake, and a process sending a bigger one
	// gets an error instead. Pass the largest message a process of this
	// node may hold (its max_memory). Zero: 256 MiB. At most 1 GiB.
	MaxMessageSize int
	// MaxReassembly bounds the bytes of the messages being received from
	// all peers at once; a peer whose next message does not fit waits
	// (and its sends with it). Zero: twice MaxMessageSize. At least
	// MaxMessageSize.
	MaxReassembly int
	// MaxDepth is how deeply tables and functions may nest in one frame's
	// values (a table holding a table has depth 2). Zero: 200.
	MaxDepth int
	// SendQueueSize is how many bytes of encoded frames may wait for one
	// peer before Send blocks. Zero: 16 MiB.
	SendQueueSize int
	// ControlQueueSize is how many more bytes of control frames (exit
	// signals, links, monitors, replies) may wait for one peer past
	// SendQueueSize before their senders block too. Zero: 16 MiB.
	ControlQueueSize int
	// BusyTimeout is how long a peer may keep frames from being written
	// to it (it does not read, so flow control holds them) before this
	// node disconnects it, as Erlang does with a busy distribution port.
	// Zero: 30 s.
	BusyTimeout time.Duration
	// Hidden makes the node hidden, like an Erlang hidden node: peers do
	// not list it among their nodes (Nodes, proc.nodes()), gossip neither
	// to it nor about it, and carry no process signals to it. A console
	// attached to a cluster is one.
	Hidden bool
	// Logger receives refused peers, closed connections and node events.
	// Nil discards them.
	Logger *slog.Logger
	// CodeCodec carries functions as the sources of their chunks (see
	// proc.CodeCodec); its Compiler must be the same on both sides of a
	// connection. Nil: functions with Code can be neither sent nor
	// received (builtins, which travel by Name, still can), and the node
	// is admitted by peers of any compiler.
	CodeCodec proc.CodeCodec
	// Handler receives the frames and node events. Nil drops them.
	Handler Handler
}

// ConfigError lists every problem of a Config.
type ConfigError struct {
	Problems []string
}

func (e *ConfigError) Error() string {
	s := "quicnet: bad config"
	for i, p := range e.Problems {
		if i == 0 {
			s += ": "
		} else {
			s += "; "
		}
		s += p
	}
	return s
}

// validate reports every problem of c (before defaults are filled).
func (c *Config) validate() error {
	var ps []string
	add := func(format string, args ...any) { ps = append(ps, fmt.Sprintf(format, args...)) }
	if err := validName(c.Name); err != nil {
		add("Name: %v", err)
	}
	if c.Cluster != "" {
		if err := validName(c.Cluster); err != nil {
			add("Cluster: %v", err)
		}
	}
	if c.Listen != "" {
		if _, err := net.ResolveUDPAddr("udp", c.Listen); err != nil {
			add("Listen: %v", err)
		}
	}
	if c.Advertise != "" {
		if err := validAddr(c.Advertise); err != nil {
			add("Advertise: %v", err)
		}
	}
	if len(c.Cookie) < MinCookieLen {
		add("Cookie: %d bytes, need at least %d", len(c.Cookie), MinCookieLen)
	}
	if c.IdleTimeout < 0 {
		add("IdleTimeout: negative (%v)", c.IdleTimeout)
	}
	if c.KeepAlivePeriod < 0 {
		add("KeepAlivePeriod: negative (%v)", c.KeepAlivePeriod)
	}
	if c.HandshakeTimeout < 0 {
		add("HandshakeTimeout: negative (%v)", c.HandshakeTimeout)
	}
	if c.MaxFrameSize != 0 && (c.MaxFrameSize < minFrameSize || c.MaxFrameSize > maxFrameSize) {
		add("MaxFrameSize: %d, must be between %d and %d bytes", c.MaxFrameSize, minFrameSize, maxFrameSize)
	}
	if c.MaxMessageSize < 0 || c.MaxMessageSize > maxMessageSize {
		add("MaxMessageSize: %d, must be between 0 and %d bytes", c.MaxMessageSize, maxMessageSize)
	}
	if c.MaxReassembly < 0 || c.MaxReassembly > 0 && c.MaxReassembly < max(c.MaxMessageSize, 1) {
		add("MaxReassembly: %d, must be at least MaxMessageSize", c.MaxReassembly)
	}
	if c.ControlQueueSize < 0 {
		add("ControlQueueSize: negative (%d)", c.ControlQueueSize)
	}
	if c.BusyTimeout < 0 {
		add("BusyTimeout: negative (%v)", c.BusyTimeout)
	}
	if c.MaxDepth < 0 {
		add("MaxDepth: negative (%d)", c.MaxDepth)
	}
	if c.SendQueueSize < 0 {
		add("SendQueueSize: negative (%d)", c.SendQueueSize)
	}
	if ps != nil {
		return &ConfigError{Problems: ps}
	}
	return nil
}

// withDefaults returns a copy of c with the zero fields filled.
func (c Config) withDefaults() Config {
	if c.Cluster == "" {
		c.Cluster = DefaultCluster
	}
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	c.Cookie = append([]byte(nil), c.Cookie...)
	if c.Creation == 0 {
		c.Creation = uint32(time.Now().UnixNano()>>10) | 1
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.KeepAlivePeriod == 0 {
		c.KeepAlivePeriod = c.IdleTimeout / 3
	}
	if c.HandshakeTimeout == 0 {
		c.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if c.MaxFrameSize == 0 {
		c.MaxFrameSize = DefaultMaxFrameSize
	}
	if c.MaxMessageSize == 0 {
		c.MaxMessageSize = DefaultMaxMessageSize
	}
	c.MaxMessageSize = max(c.MaxMessageSize, c.MaxFrameSize)
	if c.MaxReassembly == 0 {
		c.MaxReassembly = 2 * c.MaxMessageSize
	}
	c.MaxReassembly = max(c.MaxReassembly, c.MaxMessageSize)
	if c.ControlQueueSize == 0 {
		c.ControlQueueSize = DefaultControlQueueSize
	}
	if c.BusyTimeout == 0 {
		c.BusyTimeout = DefaultBusyTimeout
	}
	if c.MaxDepth == 0 {
		c.MaxDepth = DefaultMaxDepth
	}
	if c.SendQueueSize == 0 {
		c.SendQueueSize = DefaultSendQueueSize
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	c.Logger = c.Logger.With("component", "quicnet", "node", c.Name)
	if c.Handler == nil {
		c.Handler = HandlerFuncs{}
	}
	return c
}

var (
	errEmptyName = errors.New("empty")
	errLongName  = errors.New("longer than 255 bytes")
	errNameUTF8  = errors.New("not valid UTF-8")
	errNameChar  = errors.New("has a space or control character")
)

// validName checks a node or cluster name.
func validName(s string) error {
	switch {
	case s == "":
		return errEmptyName
	case len(s) > MaxNameLen:
		return errLongName
	case !utf8.ValidString(s):
		return errNameUTF8
	}
	for _, r := range s {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return errNameChar
		}
	}
	return nil
}

// validAddr checks a host:port address as carried by hellos and gossip.
func validAddr(s string) error {
	if len(s) > MaxNameLen {
		return errLongName
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return err
	}
	if host == "" {
		return errors.New("no host")
	}
	if p, err := strconv.ParseUint(port, 10, 16); err != nil || p == 0 {
		return fmt.Errorf("bad port %q", port)
	}
	return nil
}
