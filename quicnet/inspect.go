package quicnet

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dlua/dlua/proc"
)

// Inspection: a console joins the cluster as a node that hosts no
// processes ([InspectClient]) and asks a node for its state, or for an
// action, with inspect_request frames (Name: the operation, Args: its
// arguments, Ref: the request); the node answers each with an
// inspect_reply frame (same Ref; Msg: the result, or Reason: an error
// message, with Opts "noproc" when the error is about an unknown
// process). quicnet carries the frames and correlates them; what the
// operations mean is the [Inspector]'s business. Any admitted peer may
// inspect: it has proven the cookie.

// MaxInspectInFlight bounds the inspect requests a node serves at once;
// further requests are answered at once with the error "busy".
const MaxInspectInFlight = 16

// InspectTimeout bounds the serving of one inspect request.
const InspectTimeout = 30 * time.Second

// Inspector answers inspect requests. from is the asking peer. It runs in
// a goroutine of its own, under a ctx that ends after InspectTimeout or
// when the node closes.
type Inspector interface {
	Inspect(ctx context.Context, from Peer, op string, args []proc.Value) (proc.Value, error)
}

// InspectorFunc adapts a function to an Inspector.
type InspectorFunc func(ctx context.Context, from Peer, op string, args []proc.Value) (proc.Value, error)

// Inspect calls f.
func (f InspectorFunc) Inspect(ctx context.Context, from Peer, op string, args []proc.Value) (proc.Value, error) {
	return f(ctx, from, op, args)
}

// ServeInspect makes n answer inspect requests with in. It must be called
// before n.Start (after Bind, for a bound node): it wraps n's Handler, and
// frames of other kinds still go to that Handler.
func ServeInspect(n *Node, in Inspector) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.state != stateNew {
		return errors.New("quicnet: ServeInspect after Start")
	}
	n.cfg.Handler = &inspectServer{next: n.cfg.Handler, n: n, in: in, sem: make(chan struct{}, MaxInspectInFlight)}
	return nil
}

type inspectServer struct {
	next Handler
	n    *Node
	in   Inspector
	sem  chan struct{}
}

func (s *inspectServer) HandleNodeEvent(ev NodeEvent) { s.next.HandleNodeEvent(ev) }

func (s *inspectServer) HandleFrame(from Peer, f *Frame) {
	switch f.Kind {
	case KindInspectRequest:
	case KindInspectReply:
		return // this node asks nothing
	default:
		s.next.HandleFrame(from, f)
		return
	}
	select {
	case s.sem <- struct{}{}:
	default:
		// On the reader: never wait for room (a peer that does not read
		// its answers is disconnected instead).
		_ = s.n.send(s.n.ctx, from.Name, &Frame{Kind: KindInspectReply, Ref: f.Ref, Reason: "busy"}, classReader)
		return
	}
	s.n.wg.Add(1) // legal while Close waits: the peer's reader holds a count
	go func() {
		defer s.n.wg.Done()
		defer func() { <-s.sem }()
		ctx, cancel := context.WithTimeout(s.n.ctx, InspectTimeout)
		defer cancel()
		v, err := s.inspect(ctx, from, f)
		r := &Frame{Kind: KindInspectReply, Ref: f.Ref, Msg: v}
		if err != nil {
			r = &Frame{Kind: KindInspectReply, Ref: f.Ref, Reason: err.Error()}
			if errors.Is(err, proc.ErrNoProc) {
				r.Opts = "noproc"
			}
		}
		if err := s.n.Send(ctx, from.Name, r); err != nil {
			var fe *FrameError
			if errors.As(err, &fe) { // e.g. too big: say so instead
				_ = s.n.Send(ctx, from.Name, &Frame{Kind: KindInspectReply, Ref: f.Ref, Reason: err.Error()})
			}
		}
	}()
}

// inspect runs the Inspector, turning a panic into an error answer.
func (s *inspectServer) inspect(ctx context.Context, from Peer, f *Frame) (v proc.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.n.log.Error("inspect request panicked", "peer", from.Name, "op", f.Name, "reason", r, "stack", string(debug.Stack()))
			v, err = nil, fmt.Errorf("%w: %v", ErrPanic, r)
		}
	}()
	return s.in.Inspect(ctx, from, f.Name, f.Args)
}

// InspectClient is a hidden node that hosts no processes and inspects others:
// the console's end of the cluster. It refuses spawn, global name and
// inspect requests, and drops other signals.
type InspectClient struct {
	n   *Node
	seq atomic.Uint64

	mu      sync.Mutex
	pending map[uint64]*inspectCall
}

type inspectCall struct {
	node string
	ch   chan *Frame // gets the reply, or nil when the node went down
}

// NewInspectClient returns an inspecting node configured by cfg
// (cfg.Handler must be nil; the node is hidden). Start it and Join the
// node to inspect.
func NewInspectClient(cfg Config) (*InspectClient, error) {
	if cfg.Handler != nil {
		return nil, errors.New("quicnet: NewInspectClient sets the Handler itself")
	}
	c := &InspectClient{pending: make(map[uint64]*inspectCall)}
	cfg.Handler = c
	cfg.Hidden = true
	n, err := New(cfg)
	if err != nil {
		return nil, err
	}
	c.n = n
	return c, nil
}

// Node returns the client's node.
func (c *InspectClient) Node() *Node { return c.n }

// Inspect asks node for op with args and waits for the answer. An error
// the node answers wraps proc.ErrNoProc when it is about an unknown
// process; a node that goes down before answering gives ErrNotConnected.
func (c *InspectClient) Inspect(ctx context.Context, node, op string, args ...proc.Value) (proc.Value, error) {
	id := c.seq.Add(1)
	call := &inspectCall{node: node, ch: make(chan *Frame, 1)}
	c.mu.Lock()
	c.pending[id] = call
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
	}()
	ref := proc.Ref{Node: c.n.Name(), ID: id, Creation: c.n.Creation()}
	if _, err := c.n.Connect(ctx, node); err != nil {
		return nil, err
	}
	if err := c.n.Send(ctx, node, &Frame{Kind: KindInspectRequest, Ref: ref, Name: op, Args: args}); err != nil {
		return nil, err
	}
	select {
	case r := <-call.ch:
		if r == nil {
			return nil, fmt.Errorf("%w: %s", ErrNotConnected, node)
		}
		if r.Reason != nil {
			msg := fmt.Sprint(r.Reason)
			if r.Opts == "noproc" {
				return nil, fmt.Errorf("%s: %w", msg, proc.ErrNoProc)
			}
			return nil, errors.New(msg)
		}
		return r.Msg, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// HandleFrame implements Handler.
func (c *InspectClient) HandleFrame(from Peer, f *Frame) {
	switch f.Kind {
	case KindInspectReply:
		if f.Ref.Node != c.n.Name() || f.Ref.Creation != c.n.Creation() {
			return
		}
		c.mu.Lock()
		call := c.pending[f.Ref.ID]
		c.mu.Unlock()
		if call != nil && call.node == from.Name {
			select {
			case call.ch <- f:
			default:
			}
		}
	case KindInspectRequest: // another console, asking every node
		_ = c.n.send(c.n.ctx, from.Name, &Frame{Kind: KindInspectReply, Ref: f.Ref, Reason: "not a process host"}, classReader)
	case KindSpawnRequest:
		_ = c.n.send(c.n.ctx, from.Name, &Frame{Kind: KindSpawnReply, To: f.From, Ref: f.Ref, Reason: "not a process host"}, classReader)
	case KindGlobalRegister, KindGlobalUnregister:
		if f.Ref != (proc.Ref{}) {
			_ = c.n.send(c.n.ctx, from.Name, &Frame{Kind: KindGlobalReply, To: f.From, Ref: f.Ref, Reason: "refused"}, classReader)
		}
	}
}

// HandleNodeEvent implements Handler: a node that goes down fails the
// requests waiting for it.
func (c *InspectClient) HandleNodeEvent(ev NodeEvent) {
	if ev.Kind != NodeDown {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, call := range c.pending {
		if call.node == ev.Peer.Name {
			select {
			case call.ch <- nil:
			default:
			}
		}
	}
}
