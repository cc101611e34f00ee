package quicnet

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/quic-go/quic-go"
)

// maxSpareBuffer is the largest write or read buffer a peer keeps for
// reuse; bigger ones (after a big frame) are dropped.
const maxSpareBuffer = 1 << 20

// peer is an admitted connection: a writer goroutine that sends the
// queued frames, and a reader goroutine that decodes the peer's frames and
// calls the Handler.
type peer struct {
	n      *Node
	info   Peer
	conn   *quic.Conn
	stream *quic.Stream
	br     *bufio.Reader
	old    *peer // the connection this one replaces; set before start

	wake       chan struct{} // cap 1: the writer has work
	writerDone chan struct{}
	done       chan struct{} // reader and writer ended, NodeDown delivered

	mu       sync.Mutex
	buf      []byte        // queued frames, length-prefixed
	spare    []byte        // the writer's last buffer, for reuse
	room     chan struct{} // closed when the writer takes buf; nil if nobody waits
	stopped  bool          // no more frames are queued
	draining bool          // the writer sends what is queued, then FIN
	err      error         // why the connection ended, if this side knows first
	pings    map[uint64]chan struct{}
}

func (n *Node) newPeer(info Peer, conn *quic.Conn, s *quic.Stream, br *bufio.Reader) *peer {
	return &peer{
		n: n, info: info, conn: conn, stream: s, br: br,
		wake:       make(chan struct{}, 1),
		writerDone: make(chan struct{}),
		done:       make(chan struct{}),
		pings:      make(map[uint64]chan struct{}),
	}
}

// enqueue queues one frame body, waiting while the queue is full.
func (p *peer) enqueue(ctx context.Context, body []byte) error {
	limit := p.n.cfg.SendQueueSize
	p.mu.Lock()
	for {
		if p.stopped {
			p.mu.Unlock()
			return fmt.Errorf("%w: %s", ErrNotConnected, p.info.Name)
		}
		if len(p.buf) == 0 || len(p.buf)+headerLen+len(body) <= limit {
			break
		}
		if p.room == nil {
			p.room = make(chan struct{})
		}
		room := p.room
		p.mu.Unlock()
		select {
		case <-room:
		case <-ctx.Done():
			return ctx.Err()
		}
		p.mu.Lock()
	}
	wasEmpty := len(p.buf) == 0
	p.buf = appendFrame(p.buf, body)
	p.mu.Unlock()
	if wasEmpty {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// enqueueControl queues one frame body at once, past SendQueueSize if
// need be: the frames that a peer's reader sends (pongs, and the replies
// of the proc wiring) must never wait for room, or two nodes whose queues
// are full could each block the reader that would drain the other's (see
// "Back-pressure" in doc.go). The frame joins the same queue as the
// others, so the order of frames to the peer is kept.
func (p *peer) enqueueControl(body []byte) error {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return fmt.Errorf("%w: %s", ErrNotConnected, p.info.Name)
	}
	wasEmpty := len(p.buf) == 0
	p.buf = appendFrame(p.buf, body)
	p.mu.Unlock()
	if wasEmpty {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// writeLoop sends the queued frames, all that wait in one write.
func (p *peer) writeLoop() {
	defer p.n.wg.Done()
	defer close(p.writerDone)
	connDone := p.conn.Context().Done()
	for {
		select {
		case <-p.wake:
		case <-connDone:
			return
		}
		p.mu.Lock()
		buf := p.buf
		p.buf, p.spare = p.spare[:0], nil
		if p.room != nil {
			close(p.room)
			p.room = nil
		}
		p.mu.Unlock()
		if len(buf) > 0 {
			if _, err := p.stream.Write(buf); err != nil {
				p.close(err, codeShutdown, "write failed")
				return
			}
		}
		p.mu.Lock()
		if cap(buf) <= maxSpareBuffer {
			p.spare = buf[:0]
		}
		finish := p.draining && len(p.buf) == 0
		p.mu.Unlock()
		if finish {
			p.stream.Close() // FIN: the peer reads EOF after our last frame
			return
		}
	}
}

// drain stops new frames, and has the writer send what is queued and then
// close its side of the stream.
func (p *peer) drain() {
	p.mu.Lock()
	if p.err == nil {
		p.err = ErrClosed
	}
	p.stopped = true
	p.draining = true
	if p.room != nil {
		close(p.room)
		p.room = nil
	}
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// close ends the connection; err is the reason NodeDown reports, unless
// another was recorded first.
func (p *peer) close(err error, code quic.ApplicationErrorCode, msg string) {
	p.mu.Lock()
	if p.err == nil {
		p.err = err
	}
	p.stopped = true
	if p.room != nil {
		close(p.room)
		p.room = nil
	}
	p.mu.Unlock()
	p.conn.CloseWithError(code, msg)
}

// readLoop delivers NodeUp, then the peer's frames, then NodeDown.
func (p *peer) readLoop() {
	n := p.n
	defer n.wg.Done()
	if p.old != nil {
		<-p.old.done
	}
	n.cfg.Handler.HandleNodeEvent(NodeEvent{Kind: NodeUp, Peer: p.info})
	err := p.readFrames()
	var ae *quic.ApplicationError
	switch {
	case errors.Is(err, io.EOF):
		err = ErrPeerShutdown
	case errors.As(err, &ae) && ae.Remote && ae.ErrorCode == codeShutdown:
		err = fmt.Errorf("%w: %w", ErrPeerShutdown, err)
	}
	p.close(err, codeShutdown, "shutdown") // keeps an earlier reason
	<-p.writerDone
	p.mu.Lock()
	reason := p.err
	p.mu.Unlock()
	n.mu.Lock()
	if n.peers[p.info.Name] == p {
		delete(n.peers, p.info.Name)
	}
	delete(n.conns, p.conn)
	n.mu.Unlock()
	n.log.Info("quicnet: node down", "node", p.info.Name, "reason", reason)
	n.cfg.Handler.HandleNodeEvent(NodeEvent{Kind: NodeDown, Peer: p.info, Err: reason})
	close(p.done)
}

// readFrames reads and dispatches frames until the connection ends or a
// frame is bad; it returns the transport's error, or records a
// *FrameError as the reason and closes the connection.
func (p *peer) readFrames() error {
	n := p.n
	var buf []byte
	for {
		body, size, err := readFrame(p.br, buf, n.cfg.MaxFrameSize)
		if err != nil {
			if errors.Is(err, ErrFrameTooBig) {
				p.badFrame(&FrameError{Peer: p.info.Name, Size: size, Decode: true, Err: err})
			}
			return err
		}
		f, kind, err := n.codec.decodeFrame(body)
		if err == nil {
			err = p.checkPIDs(f)
		}
		if err != nil {
			fe := &FrameError{Peer: p.info.Name, Kind: kind, Size: size, Decode: true, Err: err}
			p.badFrame(fe)
			return fe
		}
		if cap(body) <= maxSpareBuffer {
			buf = body[:0]
		} else {
			buf = nil
		}
		switch f.Kind {
		case KindPing:
			if body, err := n.codec.encodeFrame(&Frame{Kind: KindPong, Seq: f.Seq}); err == nil {
				_ = p.enqueueControl(body) // fails only when p is gone
			}
		case KindPong:
			p.mu.Lock()
			ch := p.pings[f.Seq]
			delete(p.pings, f.Seq)
			p.mu.Unlock()
			if ch != nil {
				close(ch)
			}
		case KindNodes:
			n.learn(f.Nodes)
		default:
			n.cfg.Handler.HandleFrame(p.info, f)
		}
	}
}

// checkPIDs checks that From lives on the peer and To on this node.
func (p *peer) checkPIDs(f *Frame) error {
	if !f.From.IsZero() && (f.From.Node != p.info.Name || f.From.Creation != p.info.Creation) {
		return fmt.Errorf("%w: from %v (creation %d)", ErrForeign, f.From, f.From.Creation)
	}
	if !f.To.IsZero() && f.To.Node != p.n.cfg.Name {
		return fmt.Errorf("%w: to %v", ErrForeign, f.To)
	}
	return nil
}

// badFrame logs a bad frame and closes the connection.
func (p *peer) badFrame(fe *FrameError) {
	p.n.log.Warn("quicnet: closing connection: bad frame", "node", p.info.Name, "reason", fe)
	p.close(fe, codeProtocol, "bad frame")
}
