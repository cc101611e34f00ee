package quicnet

import (
	"errors"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/quic-go/quic-go"
)

// maxSpareBuffer is the largest read buffer a reader keeps for reuse;
// bigger ones (after a big frame) are dropped.
const maxSpareBuffer = 1 << 20

// readLoop delivers NodeUp, then the peer's frames, then NodeDown.
func (p *peer) readLoop() {
	n := p.n
	defer n.wg.Done()
	if p.old != nil {
		<-p.old.done
	}
	err := p.safely("reader", func() error {
		n.cfg.Handler.HandleNodeEvent(NodeEvent{Kind: NodeUp, Peer: p.info})
		return p.readFrames()
	})
	var ae *quic.ApplicationError
	switch {
	case errors.Is(err, io.EOF):
		err = ErrPeerShutdown
	case errors.As(err, &ae) && ae.Remote && ae.ErrorCode == codeShutdown:
		err = fmt.Errorf("%w: %w", ErrPeerShutdown, err)
	case errors.As(err, &ae) && ae.Remote && ae.ErrorCode == codeBusy:
		err = fmt.Errorf("%w: the peer found this node not reading: %w", ErrBusy, err)
	}
	p.close(err, codeShutdown, "shutdown") // keeps an earlier reason
	<-p.writerDone
	p.markGossiped()
	p.mu.Lock()
	reason := p.err
	p.mu.Unlock()
	n.mu.Lock()
	if n.peers[p.info.Name] == p {
		delete(n.peers, p.info.Name)
	}
	delete(n.conns, p.conn)
	n.changedLocked()
	n.mu.Unlock()
	if expectedDown(reason) {
		n.log.Info("node down", "peer", p.info.Name, "reason", reason)
	} else {
		n.log.Warn("node down", "peer", p.info.Name, "reason", reason)
	}
	p.safely("node down handler", func() error {
		n.cfg.Handler.HandleNodeEvent(NodeEvent{Kind: NodeDown, Peer: p.info, Err: reason})
		return nil
	})
	close(p.done)
}

// expectedDown reports whether a connection ended as connections do: a
// peer or this node shutting down, a replaced connection.
func expectedDown(err error) bool {
	return errors.Is(err, ErrPeerShutdown) || errors.Is(err, ErrClosed) || errors.Is(err, ErrReplaced)
}

// readFrames reads and dispatches frames until the connection ends or a
// frame is bad; it returns the transport's error, or records a
// *FrameError as the reason and closes the connection.
func (p *peer) readFrames() error {
	n := p.n
	var buf []byte
	var r reassembly
	defer func() {
		if r.buf != nil {
			n.reasm.release(r.want)
		}
	}()
	for {
		body, size, err := readFrame(p.br, buf, n.cfg.MaxFrameSize)
		if err != nil {
			if errors.Is(err, ErrFrameTooBig) {
				p.badFrame(&FrameError{Peer: p.info.Name, Size: size, Decode: true, Err: err})
			}
			return err
		}
		msg, reassembled := body, false
		if len(body) > 0 && body[0] == fragTag {
			whole, err := p.fragment(&r, body)
			if err != nil {
				fe := &FrameError{Peer: p.info.Name, Size: size, Decode: true, Err: err}
				if errors.Is(err, ErrMalformed) || errors.Is(err, ErrFrameTooBig) {
					p.badFrame(fe)
					return fe
				}
				return err // the connection ended while waiting
			}
			if whole == nil {
				buf = keep(body)
				continue
			}
			msg, size, reassembled = whole, len(whole), true
		} else if r.buf != nil {
			fe := &FrameError{Peer: p.info.Name, Size: size, Decode: true, Err: fmt.Errorf("%w: a frame inside a message's fragments", ErrMalformed)}
			p.badFrame(fe)
			return fe
		}
		f, kind, err := n.codec.decodeFrame(msg, p.resolve)
		if reassembled {
			n.reasm.release(len(msg))
		} else {
			buf = keep(body)
		}
		if err == nil {
			err = p.checkPIDs(f)
		}
		if err != nil {
			fe := &FrameError{Peer: p.info.Name, Kind: kind, Size: size, Decode: true, Err: err}
			p.badFrame(fe)
			return fe
		}
		p.dispatch(f)
	}
}

// keep returns body's buffer for the next read, unless it is big.
func keep(body []byte) []byte {
	if cap(body) <= maxSpareBuffer {
		return body[:0]
	}
	return nil
}

// dispatch handles one frame of the peer.
func (p *peer) dispatch(f *Frame) {
	n := p.n
	switch f.Kind {
	case KindPing:
		if body, err := n.codec.encodeInternal(&Frame{Kind: KindPong, Seq: f.Seq}); err == nil {
			_ = p.enqueue(n.ctx, body, nil, classReader) // fails only when p is gone
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
		switch {
		case n.cfg.Hidden:
			n.noteAddrs(f.Nodes)
			return
		case p.info.Hidden:
			n.answerNodes(p)
			return
		}
		p.mu.Lock()
		if !p.gossipOK {
			for _, na := range f.Nodes {
				p.told = append(p.told, na.Name)
			}
		}
		p.mu.Unlock()
		n.learn(f.Nodes)
		p.markGossiped()
	default:
		n.cfg.Handler.HandleFrame(p.info, f)
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
	p.n.log.Warn("closing connection: bad frame", "peer", p.info.Name, "reason", fe)
	p.close(fe, codeProtocol, "bad frame")
}

// safely runs f, turning a panic into closing the connection: a bug in
// handling one peer's data must not take the node down.
func (p *peer) safely(what string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = p.panicked(what, r)
		}
	}()
	return f()
}

// recoverPanic is safely for a goroutine's deferred call.
func (p *peer) recoverPanic(what string) {
	if r := recover(); r != nil {
		p.panicked(what, r)
	}
}

func (p *peer) panicked(what string, r any) error {
	err := fmt.Errorf("%w: %s: %v", ErrPanic, what, r)
	p.n.log.Error("closing connection: panic", "peer", p.info.Name, "reason", err, "stack", string(debug.Stack()))
	p.close(err, codeProtocol, "internal error")
	return err
}
