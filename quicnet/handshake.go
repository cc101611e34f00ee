package quicnet

import (
	"bufio"
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/quic-go/quic-go"
)

// The handshake, on the one bidirectional stream that the dialer opens
// once QUIC and TLS 1.3 are up (ALPN "dlua/1" on both sides):
//
//	dialer → acceptor   hello{version, cluster, name, creation, addr}
//	acceptor → dialer   hello{...}            (or close: wrong cluster, version)
//	dialer → acceptor   proof(role dialer)
//	acceptor → dialer   proof(role acceptor)  (or close: bad proof, duplicate)
//
// The acceptor proves last, so that a stranger learns nothing it could
// test cookies against. Each message is a length-prefixed CBOR map.

// myHello returns this node's hello.
func (n *Node) myHello() *hello {
	n.mu.Lock()
	defer n.mu.Unlock()
	return &hello{Version: ProtocolVersion, Cluster: n.cfg.Cluster, Node: n.cfg.Name, Creation: n.cfg.Creation, Addr: n.addr}
}

// checkHello validates a peer's hello; it fixes h.Addr's unspecified host
// with the address the peer was seen at.
func (n *Node) checkHello(h *hello, remote net.Addr) error {
	if h.Version != ProtocolVersion {
		return fmt.Errorf("%w: peer speaks %d, this node %d", ErrVersion, h.Version, ProtocolVersion)
	}
	if h.Cluster != n.cfg.Cluster {
		return fmt.Errorf("%w: peer is in %q, this node in %q", ErrCluster, h.Cluster, n.cfg.Cluster)
	}
	if err := validName(h.Node); err != nil {
		return fmt.Errorf("%w: node name: %w", ErrBadHello, err)
	}
	if h.Node == n.cfg.Name {
		return ErrSelf
	}
	if h.Creation == 0 {
		return fmt.Errorf("%w: creation 0", ErrBadHello)
	}
	if err := validAddr(h.Addr); err != nil {
		return fmt.Errorf("%w: address: %w", ErrBadHello, err)
	}
	host, port, _ := net.SplitHostPort(h.Addr)
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		if ua, ok := remote.(*net.UDPAddr); ok {
			h.Addr = net.JoinHostPort(ua.IP.String(), port)
		}
	}
	return nil
}

// writeMsg writes one handshake message.
func (n *Node) writeMsg(s *quic.Stream, v any) error {
	b, err := n.codec.enc.Marshal(v)
	if err != nil {
		return err
	}
	_, err = s.Write(appendFrame(make([]byte, 0, headerLen+len(b)), b))
	return err
}

// readMsg reads one handshake message into v.
func (n *Node) readMsg(br *bufio.Reader, v any) error {
	b, _, err := readFrame(br, nil, maxHandshakeMsg)
	if err != nil {
		return err
	}
	if err := n.helloDec.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w: %w", ErrBadHello, err)
	}
	return nil
}

// exporter returns the TLS session's secret that proofs are bound to.
func exporter(c *quic.Conn) ([]byte, error) {
	cs := c.ConnectionState().TLS
	if cs.NegotiatedProtocol != ALPN {
		return nil, fmt.Errorf("%w: ALPN %q", ErrVersion, cs.NegotiatedProtocol)
	}
	return cs.ExportKeyingMaterial(exporterLabel, nil, 32)
}

// peerError turns an error read from a connection the peer closed into
// ErrRefused or ErrDuplicate with the peer's reason.
func peerError(err error) error {
	var ae *quic.ApplicationError
	if errors.As(err, &ae) && ae.Remote {
		switch ae.ErrorCode {
		case codeDuplicate:
			return fmt.Errorf("%w: %s", ErrDuplicate, ae.ErrorMessage)
		case codeRefused:
			return fmt.Errorf("%w: %s", ErrRefused, ae.ErrorMessage)
		case codeShutdown:
			return fmt.Errorf("%w: peer shutting down", ErrRefused)
		}
	}
	return err
}

// refuseReason is the reason given to a refused peer: enough to fix a
// configuration, nothing about the cookie.
func refuseReason(err error) string {
	switch {
	case errors.Is(err, ErrCluster):
		return "wrong cluster"
	case errors.Is(err, ErrVersion):
		return "unsupported version"
	case errors.Is(err, ErrAuth):
		return "authentication failed"
	case errors.Is(err, ErrSelf):
		return "same node name"
	case errors.Is(err, ErrDuplicate):
		return "duplicate connection"
	case errors.Is(err, ErrClosed):
		return "shutting down"
	}
	return "handshake failed"
}

func closeCode(err error) quic.ApplicationErrorCode {
	switch {
	case errors.Is(err, ErrDuplicate):
		return codeDuplicate
	case errors.Is(err, ErrClosed):
		return codeShutdown
	}
	return codeRefused
}

// dial connects to addr and runs the dialer's side of the handshake. want,
// if set, is the name the peer must have (a dial that gossip asked for).
func (n *Node) dial(ctx context.Context, addr, want string) (Peer, error) {
	n.mu.Lock()
	state, tr := n.state, n.tr
	n.mu.Unlock()
	switch state {
	case stateNew:
		return Peer{}, ErrNotStarted
	case stateDraining, stateClosed:
		return Peer{}, ErrClosed
	}
	hsErr := func(node string, err error) error { return &HandshakeError{Addr: addr, Node: node, Err: err} }
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return Peer{}, hsErr("", err)
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.HandshakeTimeout)
	defer cancel()
	defer context.AfterFunc(n.ctx, cancel)()

	conn, err := tr.Dial(ctx, ua, n.tlsClient, n.quicClient)
	if err != nil {
		return Peer{}, hsErr("", err)
	}
	if !n.track(conn) {
		conn.CloseWithError(codeShutdown, "shutdown")
		return Peer{}, hsErr("", ErrClosed)
	}
	admitted := false
	var theirs *hello
	fail := func(err error) (Peer, error) {
		if !admitted {
			conn.CloseWithError(closeCode(err), refuseReason(err))
			n.untrack(conn)
		}
		node := ""
		if theirs != nil {
			node = theirs.Node
		}
		return Peer{}, hsErr(node, err)
	}
	exp, err := exporter(conn)
	if err != nil {
		return fail(err)
	}
	s, err := conn.OpenStreamSync(ctx)
	if err != nil {
		return fail(err)
	}
	// When ctx ends (timeout, Close, the caller), reads and writes fail;
	// ctxErr then reports ctx's error.
	defer context.AfterFunc(ctx, func() { s.SetDeadline(time.Now()) })()

	mine := n.myHello()
	if err := n.writeMsg(s, mine); err != nil {
		return fail(peerError(err))
	}
	br := bufio.NewReaderSize(s, readBufferSize)
	theirs = new(hello)
	if err := n.readMsg(br, theirs); err != nil {
		return fail(ctxErr(ctx, peerError(err)))
	}
	if err := n.checkHello(theirs, conn.RemoteAddr()); err != nil {
		return fail(err)
	}
	if want != "" && theirs.Node != want {
		return fail(fmt.Errorf("%w: expected node %q, found %q", ErrBadHello, want, theirs.Node))
	}
	out := &outgoing{name: theirs.Node}
	if existing, err := n.registerOutgoing(out, theirs); err != nil {
		if errors.Is(err, ErrDuplicate) && existing.Name != "" {
			conn.CloseWithError(codeDuplicate, "already connected")
			n.untrack(conn)
			return existing, nil
		}
		return fail(err)
	}
	defer n.unregisterOutgoing(out)

	if err := n.writeMsg(s, &proofMsg{MAC: proof(n.cfg.Cookie, exp, mine, theirs, n.cfg.Cluster, roleDialer)}); err != nil {
		return fail(peerError(err))
	}
	var pm proofMsg
	if err := n.readMsg(br, &pm); err != nil {
		return fail(ctxErr(ctx, peerError(err)))
	}
	if !hmac.Equal(pm.MAC, proof(n.cfg.Cookie, exp, mine, theirs, n.cfg.Cluster, roleAcceptor)) {
		err := fmt.Errorf("%w: the peer's proof does not match", ErrAuth)
		n.log.Warn("quicnet: peer refused", "addr", addr, "node", theirs.Node, "reason", err)
		return fail(err)
	}
	s.SetDeadline(time.Time{})
	p := n.newPeer(Peer{Name: theirs.Node, Creation: theirs.Creation, Addr: theirs.Addr}, conn, s, br)
	if err := n.admitOutgoing(out, p); err != nil {
		return fail(err)
	}
	admitted = true
	n.started(p)
	return p.info, nil
}

// ctxErr prefers the context's error (a timeout) to the error it caused.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%w)", ctx.Err(), err)
	}
	return err
}

// accept runs the acceptor's side of the handshake on an incoming
// connection. A refused peer is logged and closed.
func (n *Node) accept(conn *quic.Conn) {
	ctx, cancel := context.WithTimeout(n.ctx, n.cfg.HandshakeTimeout)
	defer cancel()
	addr := conn.RemoteAddr().String()
	var theirs *hello
	refuse := func(err error) {
		node := ""
		if theirs != nil {
			node = theirs.Node
		}
		err = ctxErr(ctx, err)
		if errors.Is(err, ErrDuplicate) {
			n.log.Info("quicnet: duplicate connection dropped", "addr", addr, "node", node, "reason", err)
		} else {
			n.log.Warn("quicnet: peer refused", "addr", addr, "node", node, "reason", err)
		}
		conn.CloseWithError(closeCode(err), refuseReason(err))
		n.untrack(conn)
	}
	exp, err := exporter(conn)
	if err != nil {
		refuse(err)
		return
	}
	s, err := conn.AcceptStream(ctx)
	if err != nil {
		refuse(err)
		return
	}
	// When ctx ends (timeout, Close, the caller), reads and writes fail;
	// ctxErr then reports ctx's error.
	defer context.AfterFunc(ctx, func() { s.SetDeadline(time.Now()) })()
	br := bufio.NewReaderSize(s, readBufferSize)
	theirs = new(hello)
	if err := n.readMsg(br, theirs); err != nil {
		theirs = nil
		refuse(err)
		return
	}
	if err := n.checkHello(theirs, conn.RemoteAddr()); err != nil {
		refuse(err)
		return
	}
	mine := n.myHello()
	if err := n.writeMsg(s, mine); err != nil {
		refuse(err)
		return
	}
	var pm proofMsg
	if err := n.readMsg(br, &pm); err != nil {
		refuse(err)
		return
	}
	if !hmac.Equal(pm.MAC, proof(n.cfg.Cookie, exp, theirs, mine, n.cfg.Cluster, roleDialer)) {
		refuse(fmt.Errorf("%w: wrong cookie", ErrAuth))
		return
	}
	p := n.newPeer(Peer{Name: theirs.Node, Creation: theirs.Creation, Addr: theirs.Addr}, conn, s, br)
	if err := n.admitIncoming(p); err != nil {
		refuse(err)
		return
	}
	// Admitted: frames queued for p wait in its buffer until the writer
	// starts, after the proof.
	err = n.writeMsg(s, &proofMsg{MAC: proof(n.cfg.Cookie, exp, theirs, mine, n.cfg.Cluster, roleAcceptor)})
	if err != nil {
		p.close(err, codeProtocol, "handshake failed")
	}
	s.SetDeadline(time.Time{})
	n.started(p)
}

// registerOutgoing notes a dial past the hello. If the peer is already
// connected it returns that peer and ErrDuplicate.
func (n *Node) registerOutgoing(out *outgoing, h *hello) (Peer, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.state != stateRunning {
		return Peer{}, ErrClosed
	}
	if ex := n.peers[h.Node]; ex != nil && ex.info.Creation == h.Creation {
		return ex.info, ErrDuplicate
	}
	if n.pending[h.Node] != nil {
		return Peer{Name: h.Node, Creation: h.Creation, Addr: h.Addr}, ErrDuplicate
	}
	n.pending[h.Node] = out
	return Peer{}, nil
}

func (n *Node) unregisterOutgoing(out *outgoing) {
	n.mu.Lock()
	if n.pending[out.name] == out {
		delete(n.pending, out.name)
	}
	n.mu.Unlock()
}

// admitOutgoing admits a dialled peer whose proof checked out.
func (n *Node) admitOutgoing(out *outgoing, p *peer) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.state != stateRunning {
		return ErrClosed
	}
	if out.superseded {
		return fmt.Errorf("%w: the connection from %s won", ErrDuplicate, p.info.Name)
	}
	if ex := n.peers[p.info.Name]; ex != nil {
		if ex.info.Creation == p.info.Creation {
			return ErrDuplicate
		}
		p.old = ex
	}
	n.install(p)
	return nil
}

// admitIncoming decides whether an incoming peer whose proof checked out
// is admitted. With a connection to the same node already there (or being
// dialled), the connection dialled by the node with the smaller name wins,
// on both sides alike; a new incarnation always replaces the old.
func (n *Node) admitIncoming(p *peer) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.state != stateRunning {
		return ErrClosed
	}
	name := p.info.Name
	wins := name < n.cfg.Name
	if ex := n.peers[name]; ex != nil {
		if ex.info.Creation == p.info.Creation && !wins {
			return fmt.Errorf("%w: already connected", ErrDuplicate)
		}
		p.old = ex
	}
	if out := n.pending[name]; out != nil {
		if !wins {
			return fmt.Errorf("%w: this node is connecting to %s", ErrDuplicate, name)
		}
		out.superseded = true
	}
	n.install(p)
	return nil
}

// install makes p the peer of its name and counts its goroutines. n.mu is
// held and the node is running.
func (n *Node) install(p *peer) {
	n.peers[p.info.Name] = p
	n.wg.Add(2)
}

// started runs p's goroutines, closes the connection it replaces, and
// tells the other peers about it.
func (n *Node) started(p *peer) {
	go p.writeLoop()
	go p.readLoop()
	if p.old != nil {
		p.old.close(ErrReplaced, codeDuplicate, "replaced")
	}
	n.log.Info("quicnet: node up", "node", p.info.Name, "addr", p.info.Addr)
	n.gossip(p)
}

// gossip tells p of every other peer, and every other peer of p.
func (n *Node) gossip(p *peer) {
	n.mu.Lock()
	var others []*peer
	var list []NodeAddr
	for _, q := range n.peers {
		if q != p {
			others = append(others, q)
			list = append(list, NodeAddr{Name: q.info.Name, Addr: q.info.Addr})
		}
	}
	n.mu.Unlock()
	if len(list) > 0 {
		n.sendInternal(p, &Frame{Kind: KindNodes, Nodes: list})
	}
	about := &Frame{Kind: KindNodes, Nodes: []NodeAddr{{Name: p.info.Name, Addr: p.info.Addr}}}
	for _, q := range others {
		n.sendInternal(q, about)
	}
}

// sendInternal queues an internal frame without blocking on a full queue
// for longer than the node lives.
func (n *Node) sendInternal(p *peer, f *Frame) {
	body, err := n.codec.encodeFrame(f)
	if err != nil {
		n.log.Error("quicnet: encode internal frame", "kind", f.Kind, "reason", err)
		return
	}
	p.enqueue(n.ctx, body) // fails only when p or the node is gone
}

// learn dials the nodes that gossip told of and that are not connected.
// It is called from a peer's reader goroutine.
func (n *Node) learn(nodes []NodeAddr) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.state != stateRunning {
		return
	}
	for _, na := range nodes {
		if na.Name == n.cfg.Name || n.peers[na.Name] != nil || n.pending[na.Name] != nil || n.dialing[na.Name] {
			continue
		}
		n.dialing[na.Name] = true
		n.wg.Add(1) // legal while Close waits: the calling reader holds a count
		go func() {
			defer n.wg.Done()
			_, err := n.dial(n.ctx, na.Addr, na.Name)
			if err != nil && n.ctx.Err() == nil {
				n.log.Warn("quicnet: could not connect to a node learnt by gossip", "node", na.Name, "addr", na.Addr, "reason", err)
			}
			n.mu.Lock()
			delete(n.dialing, na.Name)
			n.mu.Unlock()
		}()
	}
}
