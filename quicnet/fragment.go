package quicnet

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
)

// Big messages
//
// A frame body bigger than Config.MaxFrameSize crosses as fragments,
// queued together so that nothing comes between them on the stream (the
// order of frames to a peer is kept). Each fragment is a frame of its
// own, whose body starts with fragTag, a byte that no CBOR item starts
// with:
//
//	fragTag 1  uint64 (big-endian) length of the whole body  first part
//	fragTag 2  next part
//
// The receiver checks the length against its MaxMessageSize (the sender
// checked it against the MaxMessage of the receiver's hello first, so an
// honest peer never sends more), takes that many bytes from the node's
// reassembly budget (Config.MaxReassembly, shared by all peers: a peer
// whose message does not fit waits, and flow control slows it down),
// and decodes the body once its last part is in.

const (
	fragTag   = 0xff // the CBOR "break" code: never the first byte of an item
	fragFirst = 1
	fragNext  = 2

	fragFirstHeader = 2 + 8
	fragNextHeader  = 2
)

// framedSize is the number of bytes a body of n bytes takes in the
// queue, fragmented for frames of at most maxFrame bytes.
func framedSize(n, maxFrame int) int {
	if n <= maxFrame {
		return headerLen + n
	}
	first := maxFrame - fragFirstHeader
	per := maxFrame - fragNextHeader
	rest := n - first
	frags := 1 + (rest+per-1)/per
	return n + frags*headerLen + fragFirstHeader + (frags-1)*fragNextHeader
}

// appendFragments appends body to segs as fragments; the parts refer to
// body, which must not change afterwards.
func appendFragments(segs [][]byte, body []byte, maxFrame int) [][]byte {
	first := maxFrame - fragFirstHeader
	h := make([]byte, 0, headerLen+fragFirstHeader)
	h = binary.BigEndian.AppendUint32(h, uint32(fragFirstHeader+first))
	h = append(h, fragTag, fragFirst)
	h = binary.BigEndian.AppendUint64(h, uint64(len(body)))
	segs = append(segs, h, body[:first])
	per := maxFrame - fragNextHeader
	for rest := body[first:]; len(rest) > 0; {
		k := min(per, len(rest))
		h := make([]byte, 0, headerLen+fragNextHeader)
		h = binary.BigEndian.AppendUint32(h, uint32(fragNextHeader+k))
		h = append(h, fragTag, fragNext)
		segs = append(segs, h, rest[:k])
		rest = rest[k:]
	}
	return segs
}

// reassembly is a message being received from one peer.
type reassembly struct {
	buf  []byte // the parts so far
	want int    // the whole body's length
}

// fragment handles a fragment frame from p (body starts with fragTag).
// It returns the whole body once the last part is in, else nil.
func (p *peer) fragment(r *reassembly, body []byte) ([]byte, error) {
	n := p.n
	if len(body) < fragNextHeader {
		return nil, fmt.Errorf("%w: short fragment", ErrMalformed)
	}
	switch body[1] {
	case fragFirst:
		if r.buf != nil {
			return nil, fmt.Errorf("%w: a message starts inside another", ErrMalformed)
		}
		if len(body) < fragFirstHeader {
			return nil, fmt.Errorf("%w: short fragment", ErrMalformed)
		}
		total := binary.BigEndian.Uint64(body[2:10])
		part := body[fragFirstHeader:]
		if total > uint64(n.cfg.MaxMessageSize) {
			return nil, fmt.Errorf("%w: a message of %d bytes, limit %d", ErrFrameTooBig, total, n.cfg.MaxMessageSize)
		}
		if int(total) <= len(part) {
			return nil, fmt.Errorf("%w: a message of %d bytes in fragments", ErrMalformed, total)
		}
		if err := n.reasm.acquire(p.conn.Context(), int(total)); err != nil {
			return nil, err
		}
		r.want = int(total)
		r.buf = make([]byte, 0, total)
		r.buf = append(r.buf, part...)
		return nil, nil
	case fragNext:
		if r.buf == nil {
			return nil, fmt.Errorf("%w: a fragment outside a message", ErrMalformed)
		}
		part := body[fragNextHeader:]
		if len(part) == 0 || len(r.buf)+len(part) > r.want {
			return nil, fmt.Errorf("%w: fragments longer than their message", ErrMalformed)
		}
		r.buf = append(r.buf, part...)
		if len(r.buf) < r.want {
			return nil, nil
		}
		whole := r.buf
		r.buf = nil
		return whole, nil
	}
	return nil, fmt.Errorf("%w: unknown fragment type %d", ErrMalformed, body[1])
}

// budget is a node's reassembly budget: bytes that messages being
// received may take. Its methods are safe for concurrent use.
type budget struct {
	mu    sync.Mutex
	free  int
	freed chan struct{} // closed when bytes are released; nil if nobody waits
}

func newBudget(n int) *budget { return &budget{free: n} }

// acquire takes n bytes, waiting until they are free or ctx ends.
func (b *budget) acquire(ctx context.Context, n int) error {
	b.mu.Lock()
	for b.free < n {
		if b.freed == nil {
			b.freed = make(chan struct{})
		}
		freed := b.freed
		b.mu.Unlock()
		select {
		case <-freed:
		case <-ctx.Done():
			return ctx.Err()
		}
		b.mu.Lock()
	}
	b.free -= n
	b.mu.Unlock()
	return nil
}

// release gives n bytes back.
func (b *budget) release(n int) {
	b.mu.Lock()
	b.free += n
	if b.freed != nil {
		close(b.freed)
		b.freed = nil
	}
	b.mu.Unlock()
}
