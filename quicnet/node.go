package quicnet

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/quic-go/quic-go"
)

// Application error codes of CONNECTION_CLOSE.
const (
	codeShutdown  quic.ApplicationErrorCode = 0 // normal close
	codeRefused   quic.ApplicationErrorCode = 1 // handshake refused
	codeProtocol  quic.ApplicationErrorCode = 2 // bad frame
	codeDuplicate quic.ApplicationErrorCode = 3 // another connection won
	codeBusy      quic.ApplicationErrorCode = 4 // the peer did not read
)

// maxHandshakes bounds the incoming connections in handshake at once, and
// maxHandshakesPerAddr those from one IP address; more are refused at
// once. Every connection attempt first proves its source address with a
// QUIC Retry, so an address counted here is one the peer can receive at.
const (
	maxHandshakes        = 64
	maxHandshakesPerAddr = 8
)

// readBufferSize is the size of each connection's read buffer.
const readBufferSize = 64 << 10

type nodeState uint8

const (
	stateNew nodeState = iota
	stateRunning
	stateDraining
	stateClosed
)

// Node is one node of a cluster: it listens on one UDP socket (one
// quic.Transport for listening and dialling), admits peers that prove the
// cluster cookie, keeps one connection to each, and carries frames
// between them. Its methods are safe for concurrent use.
type Node struct {
	cfg        Config
	log        *slog.Logger
	codec      *codec
	helloDec   cbor.DecMode
	keysDec    cbor.DecMode
	reasm      *budget
	tlsServer  *tls.Config
	tlsClient  *tls.Config
	quicServer *quic.Config
	quicClient *quic.Config

	// wrapConn, if set by a test before Start, wraps the UDP socket;
	// listenPacket, if set, replaces it (an in-memory network).
	wrapConn     func(net.PacketConn) net.PacketConn
	listenPacket func() (net.PacketConn, error)
	// onQueueFull, if set by a test before Start, is called when a frame
	// waits for room in a peer's queue.
	onQueueFull func(peer string, c class)

	// ctx ends when the node closes; it bounds every goroutine's work.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	hsSem  chan struct{}
	seq    atomic.Uint64
	closed chan struct{} // closed when Close has finished

	mu      sync.Mutex
	state   nodeState
	udp     net.PacketConn
	tr      *quic.Transport
	ln      *quic.Listener
	addr    string // advertised
	peers   map[string]*peer
	pending map[string]*outgoing // dials past the hello, by peer name
	dialing map[string]bool      // dials asked for by gossip, by peer name
	dialQ   []NodeAddr           // gossip dials not started yet
	dialers int                  // goroutines working through dialQ
	hsAddr  map[string]int       // incoming handshakes by source IP
	conns   map[*quic.Conn]struct{}
	changed chan struct{}     // closed and replaced when peers or dials change
	addrs   map[string]string // a hidden node's directory: name -> address
	answers int               // nodes frames a hidden node received
}

// outgoing is a dial whose peer's name is known and that is not yet
// admitted.
type outgoing struct {
	name       string
	superseded bool // an incoming connection from the same node won
}

// New returns a node configured by cfg; it does nothing until Start.
// It returns a *ConfigError listing every problem of cfg.
func New(cfg Config) (*Node, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	c, err := newCodec(cfg.MaxMessageSize, cfg.MaxDepth, cfg.CodeCodec)
	if err != nil {
		return nil, err
	}
	keysDec, err := keysDecMode()
	if err != nil {
		return nil, err
	}
	helloDec, err := cbor.DecOptions{
		DupMapKey:          cbor.DupMapKeyEnforcedAPF,
		MaxNestedLevels:    4,
		MaxArrayElements:   16,
		MaxMapPairs:        16,
		IndefLength:        cbor.IndefLengthForbidden,
		TagsMd:             cbor.TagsForbidden,
		ByteStringToString: cbor.ByteStringToStringAllowed,
	}.DecMode()
	if err != nil {
		return nil, err
	}
	cert, err := newCertificate(cfg.Name)
	if err != nil {
		return nil, fmt.Errorf("quicnet: certificate: %w", err)
	}
	n := &Node{
		cfg:      cfg,
		log:      cfg.Logger,
		codec:    c,
		helloDec: helloDec,
		keysDec:  keysDec,
		reasm:    newBudget(cfg.MaxReassembly),
		hsSem:    make(chan struct{}, maxHandshakes),
		closed:   make(chan struct{}),
		peers:    make(map[string]*peer),
		pending:  make(map[string]*outgoing),
		dialing:  make(map[string]bool),
		hsAddr:   make(map[string]int),
		conns:    make(map[*quic.Conn]struct{}),
		changed:  make(chan struct{}),
		addrs:    make(map[string]string),
	}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	n.tlsServer = &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{ALPN},
		GetConfigForClient: func(hi *tls.ClientHelloInfo) (*tls.Config, error) {
			if !slices.Contains(hi.SupportedProtos, ALPN) {
				err := fmt.Errorf("%w: ALPN %q not offered (offered %q)", ErrVersion, ALPN, hi.SupportedProtos)
				n.log.Warn("peer refused", "addr", hi.Conn.RemoteAddr().String(), "reason", err)
				return nil, err
			}
			return nil, nil
		},
	}
	n.tlsClient = &tls.Config{
		MinVersion: tls.VersionTLS13,
		NextProtos: []string{ALPN},
		ServerName: "dlua",
		// Certificates are ephemeral and self-signed: the trust anchor is
		// the cookie proof bound to this TLS session (see doc.go).
		InsecureSkipVerify: true,
	}
	base := quic.Config{
		HandshakeIdleTimeout:  cfg.HandshakeTimeout,
		MaxIdleTimeout:        cfg.IdleTimeout,
		KeepAlivePeriod:       cfg.KeepAlivePeriod,
		MaxIncomingUniStreams: -1,
	}
	n.quicServer, n.quicClient = new(quic.Config), new(quic.Config)
	*n.quicServer, *n.quicClient = base, base
	// The dialer opens the frame stream; either side opens a stream for
	// each request for sources (source.go).
	n.quicServer.MaxIncomingStreams = 1 + maxSourceStreams
	n.quicClient.MaxIncomingStreams = maxSourceStreams
	return n, nil
}

// Name returns the node's name.
func (n *Node) Name() string { return n.cfg.Name }

// Creation returns the node's incarnation number.
func (n *Node) Creation() uint32 { return n.cfg.Creation }

// Addr returns the bound UDP address, or nil before Start.
func (n *Node) Addr() net.Addr {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.udp == nil {
		return nil
	}
	return n.udp.LocalAddr()
}

// Start binds the listen address and starts admitting peers. ctx is only
// checked: the node runs until Close or Shutdown.
func (n *Node) Start(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	switch n.state {
	case stateRunning:
		return errors.New("quicnet: node already started")
	case stateDraining, stateClosed:
		return ErrClosed
	}
	udp, err := n.listen()
	if err != nil {
		return fmt.Errorf("quicnet: listen %s: %w", n.cfg.Listen, err)
	}
	pc := udp
	if n.wrapConn != nil {
		pc = n.wrapConn(udp)
	}
	tr := &quic.Transport{
		Conn: pc,
		// A Retry for every connection attempt: an address that holds
		// a handshake slot is one that can receive (see maxHandshakes).
		VerifySourceAddress: func(net.Addr) bool { return true },
	}
	ln, err := tr.Listen(n.tlsServer, n.quicServer)
	if err != nil {
		tr.Close()
		udp.Close()
		return fmt.Errorf("quicnet: listen %s: %w", n.cfg.Listen, err)
	}
	n.udp, n.tr, n.ln = udp, tr, ln
	n.addr = n.cfg.Advertise
	if n.addr == "" {
		n.addr = udp.LocalAddr().String()
	}
	n.state = stateRunning
	n.wg.Add(1)
	go n.acceptLoop(ln)
	n.log.Info("node started", "addr", n.addr)
	return nil
}

// listen opens the node's UDP socket.
func (n *Node) listen() (net.PacketConn, error) {
	if n.listenPacket != nil {
		return n.listenPacket()
	}
	ua, err := net.ResolveUDPAddr("udp", n.cfg.Listen)
	if err != nil {
		return nil, err
	}
	return net.ListenUDP("udp", ua)
}

// Join connects to the node at addr (host:port) and returns it once it is
// admitted; the cluster's other nodes are then learnt by gossip and
// connected in the background. Joining a node that is already connected
// returns it without a new connection. Errors are *HandshakeError.
func (n *Node) Join(ctx context.Context, addr string) (Peer, error) {
	return n.dial(ctx, addr, "")
}

// Nodes returns the names of the connected peers that are not hidden,
// sorted.
func (n *Node) Nodes() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	names := make([]string, 0, len(n.peers))
	for name, p := range n.peers {
		if !p.info.Hidden {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// Peers returns the connected peers, hidden ones included, sorted by name.
func (n *Node) Peers() []Peer {
	n.mu.Lock()
	defer n.mu.Unlock()
	ps := make([]Peer, 0, len(n.peers))
	for _, p := range n.peers {
		ps = append(ps, p.info)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
	return ps
}

// Send encodes f and queues it for the peer named node. It returns once f
// is queued (it blocks only while Config.SendQueueSize bytes already wait
// for that peer). Frames queued for one peer are sent in the order of
// their Send calls. f.From, if set, must be a pid of this node and f.To,
// if set, a pid of node. Sending to a peer that is gone returns
// ErrNotConnected; an unencodable frame returns a *FrameError.
func (n *Node) Send(ctx context.Context, node string, f *Frame) error {
	return n.send(ctx, node, f, classPayload)
}

// send is Send for frames of class c (see class).
func (n *Node) send(ctx context.Context, node string, f *Frame, c class) error {
	if f.Kind.internal() {
		return &FrameError{Peer: node, Kind: f.Kind, Err: fmt.Errorf("%w: %v frames are internal", ErrUnsendable, f.Kind)}
	}
	p, err := n.lookup(node)
	if err != nil {
		return err
	}
	if !f.From.IsZero() && (f.From.Node != n.cfg.Name || f.From.Creation != n.cfg.Creation) {
		return &FrameError{Peer: node, Kind: f.Kind, Err: fmt.Errorf("%w: from %v", ErrForeign, f.From)}
	}
	if !f.To.IsZero() && f.To.Node != node {
		return &FrameError{Peer: node, Kind: f.Kind, Err: fmt.Errorf("%w: to %v", ErrForeign, f.To)}
	}
	body, chunks, err := n.codec.encodeFrame(f)
	if err != nil {
		return &FrameError{Peer: node, Kind: f.Kind, Err: err}
	}
	if err := p.enqueue(ctx, body, chunks, c); err != nil {
		if errors.Is(err, ErrFrameTooBig) {
			return &FrameError{Peer: node, Kind: f.Kind, Size: len(body), Err: err}
		}
		return err
	}
	return nil
}

// Ping sends a ping to the peer named node and returns the round-trip
// time once its pong is back.
func (n *Node) Ping(ctx context.Context, node string) (time.Duration, error) {
	p, err := n.lookup(node)
	if err != nil {
		return 0, err
	}
	seq := n.seq.Add(1)
	body, err := n.codec.encodeInternal(&Frame{Kind: KindPing, Seq: seq})
	if err != nil {
		return 0, err
	}
	ch := make(chan struct{})
	p.mu.Lock()
	p.pings[seq] = ch
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.pings, seq)
		p.mu.Unlock()
	}()
	start := time.Now()
	if err := p.enqueue(ctx, body, nil, classControl); err != nil {
		return 0, err
	}
	select {
	case <-ch:
		return time.Since(start), nil
	case <-p.done:
		return 0, fmt.Errorf("%w: %s", ErrNotConnected, node)
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// lookup returns the connected peer named node.
func (n *Node) lookup(node string) (*peer, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	switch n.state {
	case stateNew:
		return nil, ErrNotStarted
	case stateDraining, stateClosed:
		return nil, ErrClosed
	}
	p := n.peers[node]
	if p == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotConnected, node)
	}
	return p, nil
}

// Shutdown closes the node gracefully: it stops admitting peers and
// sending, flushes what is queued for each peer, and waits until the peers
// have closed their connections or ctx ends; then it closes everything
// like Close. It returns ctx's error if ctx ended first.
func (n *Node) Shutdown(ctx context.Context) error {
	n.mu.Lock()
	if n.state != stateRunning {
		n.mu.Unlock()
		return n.Close()
	}
	n.state = stateDraining
	ln := n.ln
	peers := make([]*peer, 0, len(n.peers))
	for _, p := range n.peers {
		peers = append(peers, p)
	}
	n.mu.Unlock()
	ln.Close()
	for _, p := range peers {
		p.drain()
	}
	var err error
wait:
	for _, p := range peers {
		select {
		case <-p.done:
		case <-ctx.Done():
			err = ctx.Err()
			break wait
		}
	}
	n.Close()
	return err
}

// Close closes every connection at once (peers see the close; frames
// still queued are dropped), delivers NodeDown for every peer, and returns
// after every goroutine of the node has ended. Closing a closed node does
// nothing.
func (n *Node) Close() error {
	n.mu.Lock()
	if n.state == stateClosed {
		n.mu.Unlock()
		<-n.closed
		return nil
	}
	n.state = stateClosed
	ln, tr, udp := n.ln, n.tr, n.udp
	peers := make([]*peer, 0, len(n.peers))
	for _, p := range n.peers {
		peers = append(peers, p)
	}
	conns := make([]*quic.Conn, 0, len(n.conns))
	for c := range n.conns {
		conns = append(conns, c)
	}
	n.mu.Unlock()

	n.cancel()
	if ln != nil {
		ln.Close()
	}
	for _, p := range peers {
		p.close(ErrClosed, codeShutdown, "shutdown")
	}
	for _, c := range conns {
		c.CloseWithError(codeShutdown, "shutdown")
	}
	n.wg.Wait()
	if tr != nil {
		tr.Close()
	}
	if udp != nil {
		udp.Close()
	}
	close(n.closed)
	n.log.Info("node closed")
	return nil
}

// track records a connection so that Close closes it; false if the node
// is closing.
func (n *Node) track(c *quic.Conn) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.state != stateRunning {
		return false
	}
	n.conns[c] = struct{}{}
	return true
}

func (n *Node) untrack(c *quic.Conn) {
	n.mu.Lock()
	delete(n.conns, c)
	n.mu.Unlock()
}

// acceptLoop admits incoming connections until the listener closes.
func (n *Node) acceptLoop(ln *quic.Listener) {
	defer n.wg.Done()
	for {
		c, err := ln.Accept(n.ctx)
		if err != nil {
			return
		}
		host := hostOf(c.RemoteAddr())
		if !n.takeHandshake(host) {
			n.log.Warn("peer refused", "addr", c.RemoteAddr().String(), "reason", "too many handshakes in progress")
			c.CloseWithError(codeRefused, "busy")
			continue
		}
		if !n.track(c) {
			n.releaseHandshake(host)
			c.CloseWithError(codeShutdown, "shutdown")
			return
		}
		n.wg.Add(1) // legal while Close waits: this loop holds a count
		go func() {
			defer n.wg.Done()
			defer n.releaseHandshake(host)
			n.accept(c)
		}()
	}
}

// hostOf returns the IP address of addr, or addr itself.
func hostOf(addr net.Addr) string {
	if ua, ok := addr.(*net.UDPAddr); ok {
		return ua.IP.String()
	}
	return addr.String()
}

// takeHandshake counts an incoming handshake from host, if the node and
// host have room for one.
func (n *Node) takeHandshake(host string) bool {
	select {
	case n.hsSem <- struct{}{}:
	default:
		return false
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.hsAddr[host] >= maxHandshakesPerAddr {
		<-n.hsSem
		return false
	}
	n.hsAddr[host]++
	return true
}

func (n *Node) releaseHandshake(host string) {
	n.mu.Lock()
	if n.hsAddr[host]--; n.hsAddr[host] <= 0 {
		delete(n.hsAddr, host)
	}
	n.mu.Unlock()
	<-n.hsSem
}

// changedLocked wakes the waiters for a change of peers or dials. n.mu
// is held.
func (n *Node) changedLocked() {
	close(n.changed)
	n.changed = make(chan struct{})
}

// hidden reports whether the connected peer called node is hidden.
func (n *Node) hidden(node string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	p := n.peers[node]
	return p != nil && p.info.Hidden
}
