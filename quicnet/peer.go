package quicnet

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/dlua/dlua/proc"
)

// maxBatch is the largest buffer of small frames the writer sends in one
// write and keeps for reuse; bigger frames travel as their own segments.
const maxBatch = 256 << 10

// writeChunk is the most the writer hands QUIC at once: each write must
// make progress within BusyTimeout, or the peer counts as not reading.
const writeChunk = 256 << 10

// class says how a frame waits for room in a peer's send queue.
type class uint8

const (
	// classPayload frames (messages, spawn requests) wait while
	// SendQueueSize bytes are queued.
	classPayload class = iota
	// classControl frames (signals, replies) wait while SendQueueSize +
	// ControlQueueSize bytes are queued.
	classControl
	// classReader frames (pongs, busy answers) are sent by a peer's
	// reader and never wait: past SendQueueSize + ControlQueueSize the
	// peer is disconnected, since it does not read what it asked for.
	classReader
)

// peer is an admitted connection: a writer goroutine that sends the
// queued frames, a reader goroutine that decodes the peer's frames and
// calls the Handler, and a goroutine that answers the peer's requests for
// sources (source.go).
type peer struct {
	n      *Node
	info   Peer
	conn   *quic.Conn
	stream *quic.Stream
	br     *bufio.Reader
	old    *peer // the connection this one replaces; set before start
	// maxMessage is the largest message the peer accepts, maxFrame the
	// largest frame this node sends it (the smaller of both sides').
	maxMessage int
	maxFrame   int

	wake       chan struct{} // cap 1: the writer has work
	writerDone chan struct{}
	done       chan struct{} // reader and writer ended, NodeDown delivered
	gossiped   chan struct{} // closed once the peer's first nodes frame is handled

	mu       sync.Mutex
	segs     [][]byte      // queued frames, length-prefixed, in order
	queued   int           // bytes in segs
	spare    []byte        // the writer's last batch buffer, for reuse
	batch    []byte        // the start of the newest batch buffer
	room     chan struct{} // closed when the writer takes segs; nil if nobody waits
	stopped  bool          // no more frames are queued
	draining bool          // the writer sends what is queued, then FIN
	err      error         // why the connection ended, if this side knows first
	pings    map[uint64]chan struct{}
	offered  chunkSet // chunks sent to the peer, which it may ask for
	fetched  chunkSet // chunks the peer gave this node
	gossipOK bool     // gossiped is closed
	told     []string // the nodes of the peer's first nodes frame; set before gossiped closes
}

func (n *Node) newPeer(h *hello, conn *quic.Conn, s *quic.Stream, br *bufio.Reader) *peer {
	return &peer{
		n: n, info: Peer{Name: h.Node, Creation: h.Creation, Addr: h.Addr, Hidden: h.Hidden},
		conn: conn, stream: s, br: br,
		maxMessage: int(min(h.MaxMessage, maxMessageSize)),
		maxFrame:   min(int(h.MaxFrame), n.cfg.MaxFrameSize),
		wake:       make(chan struct{}, 1),
		writerDone: make(chan struct{}),
		done:       make(chan struct{}),
		gossiped:   make(chan struct{}),
		pings:      make(map[uint64]chan struct{}),
		offered:    newChunkSet(maxOffered),
		fetched:    newChunkSet(maxFetched),
	}
}

// limit returns the queued bytes past which frames of class c wait.
func (p *peer) limit(c class) int {
	if c == classPayload {
		return p.n.cfg.SendQueueSize
	}
	return p.n.cfg.SendQueueSize + p.n.cfg.ControlQueueSize
}

// enqueue queues one frame body (split into fragments if it is bigger
// than a frame may be), waiting for room as its class says. chunks are
// the chunks of the functions in it, which the peer may then ask for.
func (p *peer) enqueue(ctx context.Context, body []byte, chunks []proc.Chunk, c class) error {
	if len(body) > p.maxMessage {
		return fmt.Errorf("%w: a message of %d bytes, and node %s takes at most %d", ErrFrameTooBig, len(body), p.info.Name, p.maxMessage)
	}
	size := framedSize(len(body), p.maxFrame)
	limit := p.limit(c)
	p.mu.Lock()
	for {
		if p.stopped {
			p.mu.Unlock()
			return fmt.Errorf("%w: %s", ErrNotConnected, p.info.Name)
		}
		if p.queued == 0 || p.queued+size <= limit {
			break
		}
		if c == classReader {
			p.mu.Unlock()
			p.n.log.Warn("closing connection: peer not reading", "peer", p.info.Name, "queued", p.queued)
			p.close(fmt.Errorf("%w: %d bytes queued", ErrBusy, p.queued), codeBusy, "not reading")
			return fmt.Errorf("%w: %s", ErrNotConnected, p.info.Name)
		}
		if p.room == nil {
			p.room = make(chan struct{})
		}
		room := p.room
		p.mu.Unlock()
		if hook := p.n.onQueueFull; hook != nil {
			hook(p.info.Name, c)
		}
		select {
		case <-room:
		case <-ctx.Done():
			return ctx.Err()
		}
		p.mu.Lock()
	}
	for _, ch := range chunks {
		p.offered.add(ch)
	}
	wasEmpty := p.queued == 0
	p.appendFramed(body)
	p.queued += size
	p.mu.Unlock()
	if wasEmpty {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// appendFramed adds body to the queue, length-prefixed, as one frame or
// as fragments. Small frames share a batch buffer; a big body is queued
// by reference, not copied. p.mu is held.
func (p *peer) appendFramed(body []byte) {
	maxFrame := p.maxFrame
	if len(body) <= maxFrame && len(body) < maxBatch/4 {
		var last []byte
		if n := len(p.segs); n > 0 {
			last = p.segs[n-1]
		}
		if last != nil && p.isBatch(last) && len(last)+headerLen+len(body) <= cap(last) {
			p.segs[len(p.segs)-1] = appendFrame(last, body)
			return
		}
		buf := p.spare
		p.spare = nil
		if buf == nil || cap(buf) < headerLen+len(body) {
			buf = make([]byte, 0, max(4<<10, min(maxBatch, 4*(headerLen+len(body)))))
		}
		buf = appendFrame(buf[:0], body)
		p.batch = buf[:1]
		p.segs = append(p.segs, buf)
		return
	}
	if len(body) <= maxFrame {
		h := binary.BigEndian.AppendUint32(make([]byte, 0, headerLen), uint32(len(body)))
		p.segs = append(p.segs, h, body)
		return
	}
	p.segs = appendFragments(p.segs, body, maxFrame)
}

// writeLoop sends the queued frames.
func (p *peer) writeLoop() {
	defer p.n.wg.Done()
	defer close(p.writerDone)
	defer p.recoverPanic("writer")
	connDone := p.conn.Context().Done()
	for {
		select {
		case <-p.wake:
		case <-connDone:
			return
		}
		p.mu.Lock()
		segs := p.segs
		p.segs, p.queued = nil, 0
		if p.room != nil {
			close(p.room)
			p.room = nil
		}
		p.mu.Unlock()
		for _, seg := range segs {
			if err := p.write(seg); err != nil {
				return
			}
		}
		p.mu.Lock()
		if n := len(segs); n > 0 && p.isBatch(segs[n-1]) && cap(segs[n-1]) <= maxBatch {
			p.spare, p.batch = segs[n-1][:0], nil
		}
		finish := p.draining && p.queued == 0
		p.mu.Unlock()
		if finish {
			p.stream.Close() // FIN: the peer reads EOF after our last frame
			return
		}
	}
}

// write writes b in chunks, each of which must go out within
// BusyTimeout; a peer that holds them back longer is disconnected.
func (p *peer) write(b []byte) error {
	busy := p.n.cfg.BusyTimeout
	for len(b) > 0 {
		k := min(len(b), writeChunk)
		p.stream.SetWriteDeadline(time.Now().Add(busy))
		if _, err := p.stream.Write(b[:k]); err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				err = fmt.Errorf("%w: nothing written for %v", ErrBusy, busy)
				p.n.log.Warn("closing connection: peer not reading", "peer", p.info.Name, "reason", err)
				p.close(err, codeBusy, "not reading")
				return err
			}
			p.close(err, codeShutdown, "write failed")
			return err
		}
		b = b[k:]
	}
	return nil
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

// markGossiped records that the peer's first nodes frame was handled.
func (p *peer) markGossiped() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.gossipOK {
		p.gossipOK = true
		close(p.gossiped)
	}
}

// isBatch reports whether seg is the newest batch buffer (not a body
// queued by reference, which must not be written to). p.mu is held.
func (p *peer) isBatch(seg []byte) bool {
	return len(seg) > 0 && len(p.batch) > 0 && &seg[0] == &p.batch[0]
}
