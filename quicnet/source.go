package quicnet

import (
	"bufio"
	"context"
	"fmt"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/quic-go/quic-go"

	"github.com/dlua/dlua/proc"
)

// Sources of functions
//
// A function crosses as the key of its chunk and its place there (see
// proc.CodeCodec). The sender remembers, per peer, the chunks it sent
// (offered); a receiver that does not hold a chunk asks the sender for
// its source, on a stream of its own opened for the request, while its
// reader waits (so that frames keep their order): the request is a
// length-prefixed CBOR array of keys, the answer one length-prefixed
// frame per key, holding the source (empty: unknown). The receiver then
// keeps the chunk (fetched), so it asks once per chunk and peer while it
// keeps it. The sender answers from a goroutine of its own, so a reader
// waiting for a source never waits for the other side's reader.
//
// A source that does not come, or does not match its key, closes the
// connection (ErrNoSource): the frame cannot be delivered, and, as for
// any lost connection, links and monitors across it fire.

const (
	// maxOffered and maxFetched bound the chunks a peer remembers in each
	// direction (the oldest are forgotten first).
	maxOffered = 4096
	maxFetched = 1024
	// maxSourceStreams is how many source requests a peer may have open
	// at once; a reader has one at a time.
	maxSourceStreams = 4
	// maxSourceRequest bounds a request's bytes.
	maxSourceRequest = 64 << 10
)

// chunkSet is a set of at most max chunks by key, forgetting the oldest
// first.
type chunkSet struct {
	m     map[string]proc.Chunk
	order []string
	max   int
}

func newChunkSet(max int) chunkSet { return chunkSet{m: make(map[string]proc.Chunk), max: max} }

func (s *chunkSet) add(c proc.Chunk) {
	k := c.Key()
	if _, ok := s.m[k]; ok {
		return
	}
	if len(s.order) >= s.max {
		delete(s.m, s.order[0])
		s.order = s.order[1:]
	}
	s.m[k] = c
	s.order = append(s.order, k)
}

// resolve returns the chunks of keys: held by this node, kept from this
// peer, or asked for. It runs on p's reader.
func (p *peer) resolve(keys []string) (map[string]proc.Chunk, error) {
	code := p.n.cfg.CodeCodec
	out := make(map[string]proc.Chunk, len(keys))
	var missing []string
	p.mu.Lock()
	for _, k := range keys {
		if c := p.fetched.m[k]; c != nil {
			out[k] = c
		}
	}
	p.mu.Unlock()
	for _, k := range keys {
		if out[k] != nil {
			continue
		}
		if c := code.Chunk(k); c != nil {
			out[k] = c
			continue
		}
		missing = append(missing, k)
	}
	if len(missing) == 0 {
		return out, nil
	}
	got, err := p.fetch(missing)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	for k, c := range got {
		out[k] = c
		p.fetched.add(c)
	}
	p.mu.Unlock()
	return out, nil
}

// fetch asks the peer for the sources of keys and adds them to the
// CodeCodec.
func (p *peer) fetch(keys []string) (map[string]proc.Chunk, error) {
	n := p.n
	ctx, cancel := context.WithTimeout(p.conn.Context(), n.cfg.BusyTimeout)
	defer cancel()
	s, err := p.conn.OpenStreamSync(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: opening a request: %w", ErrNoSource, err)
	}
	defer s.CancelRead(0)
	defer context.AfterFunc(ctx, func() { s.SetDeadline(time.Now()) })()
	bkeys := make([][]byte, len(keys))
	for i, k := range keys {
		bkeys[i] = []byte(k)
	}
	req, err := n.codec.enc.Marshal(bkeys)
	if err != nil {
		return nil, err
	}
	if _, err := s.Write(appendFrame(nil, req)); err != nil {
		return nil, fmt.Errorf("%w: sending a request: %w", ErrNoSource, err)
	}
	s.Close()
	br := bufio.NewReaderSize(s, readBufferSize)
	out := make(map[string]proc.Chunk, len(keys))
	total := 0
	for _, k := range keys {
		src, _, err := readFrame(br, nil, n.cfg.MaxMessageSize-total)
		if err != nil {
			return nil, fmt.Errorf("%w: reading a source: %w", ErrNoSource, ctxErr(ctx, err))
		}
		if len(src) == 0 {
			return nil, fmt.Errorf("%w: %s does not know a chunk it sent", ErrNoSource, p.info.Name)
		}
		total += len(src)
		c, err := n.cfg.CodeCodec.AddChunk(k, src)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNoSource, err)
		}
		out[k] = c
	}
	return out, nil
}

// serveSources answers the peer's source requests until the connection
// ends.
func (p *peer) serveSources() {
	defer p.n.wg.Done()
	for {
		s, err := p.conn.AcceptStream(p.conn.Context())
		if err != nil {
			return
		}
		p.n.wg.Add(1) // legal while Close waits: this loop holds a count
		go p.serveSource(s)
	}
}

// serveSource answers one source request.
func (p *peer) serveSource(s *quic.Stream) {
	n := p.n
	defer n.wg.Done()
	defer p.recoverPanic("source request")
	defer s.Close()
	s.SetDeadline(time.Now().Add(n.cfg.BusyTimeout))
	br := bufio.NewReaderSize(s, 4<<10)
	req, _, err := readFrame(br, nil, maxSourceRequest)
	if err != nil {
		s.CancelRead(0)
		return
	}
	var keys [][]byte
	if err := n.keysDec.Unmarshal(req, &keys); err != nil {
		p.badFrame(&FrameError{Peer: p.info.Name, Size: len(req), Decode: true, Err: fmt.Errorf("%w: source request: %w", ErrMalformed, err)})
		return
	}
	for _, k := range keys {
		var src []byte
		p.mu.Lock()
		c := p.offered.m[string(k)]
		p.mu.Unlock()
		if c == nil && n.cfg.CodeCodec != nil {
			c = n.cfg.CodeCodec.Chunk(string(k))
		}
		if c != nil {
			src = c.Source()
		}
		if _, err := s.Write(appendFrame(nil, src)); err != nil {
			n.log.Debug("source request not answered", "peer", p.info.Name, "reason", err)
			return
		}
	}
}

// keysDecMode decodes a source request: an array of byte strings.
func keysDecMode() (cbor.DecMode, error) {
	return cbor.DecOptions{
		MaxNestedLevels:  4,
		MaxArrayElements: maxSourceRequest,
		IndefLength:      cbor.IndefLengthForbidden,
		TagsMd:           cbor.TagsForbidden,
	}.DecMode()
}
