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
// once QUIC and TLS 1.3 are up (ALPN "dlua/2" on both sides):
//
//	dialer → acceptor   hello{version, cluster, name, creation, addr,
//	                          compiler, max message, max frame, hidden}
//	acceptor → dialer   hello{...}            (or close: wrong cluster,
//	                                           version, compiler)
//	dialer → acceptor   proof(role dialer)
//	acceptor → dialer   proof(role acceptor)  (or close: bad proof, duplicate)
//
// The acceptor proves last, so that a stranger learns nothing it could
// test cookies against. Each message is a length-prefixed CBOR map.

// myHello returns this node's hello.
func (n *Node) myHello() *hello {
	n.mu.Lock()
	defer n.mu.Unlock()
	h := &hello{
		Version: ProtocolVersion, Cluster: n.cfg.Cluster, Node: n.cfg.Name, Creation: n.cfg.Creation, Addr: n.addr,
		MaxMessage: uint64(n.cfg.MaxMessageSize), MaxFrame: uint32(n.cfg.MaxFrameSize), Hidden: n.cfg.Hidden,
	}
	if n.cfg.CodeCodec != nil {
		h.Compiler = n.cfg.CodeCodec.Compiler()
	}
	return h
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
	if mine := n.myHello().Compiler; h.Compiler != "" && mine != "" && h.Compiler != mine {
		return fmt.Errorf("%w: peer has %q, this node %q", ErrCompiler, h.Compiler, mine)
	}
	if h.MaxFrame < minFrameSize || h.MaxMessage < uint64(h.MaxFrame) {
		return fmt.Errorf("%w: frame limit %d, message limit %d", ErrBadHello, h.MaxFrame, h.MaxMessage)
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
	case errors.Is(err, ErrCompiler):
		return "another Lua compiler"
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
		if err := peerError(err); errors.Is(err, ErrDuplicate) {
			return n.awaitPeer(ctx, addr, nil)
		}
		return fail(ctxErr(ctx, peerError(err)))
	}
	if err := n.checkHello(theirs, conn.RemoteAddr()); err != nil {
		return fail(err)
	}
	if want != "" && theirs.Node != want {
		return fail(fmt.Errorf("%w: expected node %q, found %q", ErrBadHello, want, theirs.Node))
	}
	out := &outgoing{name: theirs.Node}
	if err := n.registerOutgoing(out, theirs); err != nil {
		if errors.Is(err, ErrDuplicate) {
			// Connected, or being connected by another dial: the other
			// one is the connection, this one goes quietly.
			conn.CloseWithError(codeDuplicate, "already connected")
			n.untrack(conn)
			return n.awaitPeer(ctx, addr, theirs)
		}
		return fail(err)
	}
	defer n.unregisterOutgoing(out)

	if err := n.writeMsg(s, &proofMsg{MAC: proof(n.cfg.Cookie, exp, mine, theirs, n.cfg.Cluster, roleDialer)}); err != nil {
		return fail(peerError(err))
	}
	var pm proofMsg
	if err := n.readMsg(br, &pm); err != nil {
		if err := peerError(err); errors.Is(err, ErrDuplicate) {
			conn.CloseWithError(codeDuplicate, "duplicate connection")
			n.untrack(conn)
			return n.awaitPeer(ctx, addr, theirs)
		}
		return fail(ctxErr(ctx, peerError(err)))
	}
	if !hmac.Equal(pm.MAC, proof(n.cfg.Cookie, exp, mine, theirs, n.cfg.Cluster, roleAcceptor)) {
		err := fmt.Errorf("%w: the peer's proof does not match", ErrAuth)
		n.log.Warn("peer refused", "addr", addr, "peer", theirs.Node, "reason", err)
		return fail(err)
	}
	s.SetDeadline(time.Time{})
	p := n.newPeer(theirs, conn, s, br)
	if err := n.admitOutgoing(out, p); err != nil {
		if errors.Is(err, ErrDuplicate) {
			conn.CloseWithError(codeDuplicate, refuseReason(err))
			n.untrack(conn)
			return n.awaitPeer(ctx, addr, theirs)
		}
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
		err = ctxErr(ctx, peerError(err))
		if errors.Is(err, ErrDuplicate) {
			// Two nodes dialled each other at once: expected, and
			// settled the same way on both sides.
			n.log.Debug("duplicate connection dropped", "addr", addr, "peer", node, "reason", err)
		} else {
			n.log.Warn("peer refused", "addr", addr, "peer", node, "reason", err)
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
	p := n.newPeer(theirs, conn, s, br)
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
// connected, or being dialled, it returns ErrDuplicate.
func (n *Node) registerOutgoing(out *outgoing, h *hello) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.state != stateRunning {
		return ErrClosed
	}
	if ex := n.peers[h.Node]; ex != nil && ex.info.Creation == h.Creation {
		return ErrDuplicate
	}
	if n.pending[h.Node] != nil {
		return ErrDuplicate
	}
	n.pending[h.Node] = out
	return nil
}

// awaitPeer is the end of a dial that lost to another connection with the
// same node (a dial of this node's, or the peer's dial of this node): it
// waits until that connection is admitted, and returns it. want, if known,
// is the peer's hello.
func (n *Node) awaitPeer(ctx context.Context, addr string, want *hello) (Peer, error) {
	for {
		n.mu.Lock()
		var found *peer
		for _, p := range n.peers {
			if want != nil && p.info.Name == want.Node && p.info.Creation == want.Creation ||
				want == nil && p.info.Addr == addr {
				found = p
			}
		}
		changed, state := n.changed, n.state
		n.mu.Unlock()
		switch {
		case found != nil:
			return found.info, nil
		case state != stateRunning:
			return Peer{}, &HandshakeError{Addr: addr, Err: ErrClosed}
		}
		select {
		case <-changed:
		case <-ctx.Done():
			name := ""
			if want != nil {
				name = want.Node
			}
			return Peer{}, &HandshakeError{Addr: addr, Node: name, Err: fmt.Errorf("%w: the other connection was not admitted (%w)", ErrDuplicate, ctx.Err())}
		}
	}
}

func (n *Node) unregisterOutgoing(out *outgoing) {
	n.mu.Lock()
	if n.pending[out.name] == out {
		delete(n.pending, out.name)
		n.changedLocked()
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
	n.wg.Add(3)
	n.changedLocked()
}

// started runs p's goroutines, closes the connection it replaces, and
// tells the other peers about it.
func (n *Node) started(p *peer) {
	go p.writeLoop()
	go p.readLoop()
	go p.serveSources()
	if p.old != nil {
		p.old.close(ErrReplaced, codeDuplicate, "replaced")
	}
	n.log.Info("node up", "peer", p.info.Name, "addr", p.info.Addr, "hidden", p.info.Hidden)
	n.gossip(p)
}
