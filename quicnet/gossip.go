package quicnet

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Gossip: once a peer is admitted, this node tells it of the other nodes
// it is connected to (always, with an empty list too, so that a joining
// node knows when it has heard of them all), and tells the other peers of
// it; a node dials every node it hears of and is not connected to.
// Hidden nodes take no part: they are told of nobody and nobody is told
// of them. Dials run on at most maxDialers goroutines, from a queue of at
// most maxDialQueue nodes (a peer that gossips more is not believed past
// that).
const (
	maxDialers   = 8
	maxDialQueue = 1024
)

// gossip tells p of every other peer, and every other peer of p.
func (n *Node) gossip(p *peer) {
	if n.cfg.Hidden || p.info.Hidden {
		return
	}
	n.mu.Lock()
	var others []*peer
	list := []NodeAddr{}
	for _, q := range n.peers {
		if q != p && !q.info.Hidden {
			others = append(others, q)
			list = append(list, NodeAddr{Name: q.info.Name, Addr: q.info.Addr})
		}
	}
	n.mu.Unlock()
	n.sendInternal(p, &Frame{Kind: KindNodes, Nodes: list})
	about := &Frame{Kind: KindNodes, Nodes: []NodeAddr{{Name: p.info.Name, Addr: p.info.Addr}}}
	for _, q := range others {
		n.sendInternal(q, about)
	}
}

// sendInternal queues an internal frame, waiting for room no longer than
// the node lives (a peer that does not read is disconnected meanwhile).
func (n *Node) sendInternal(p *peer, f *Frame) {
	body, err := n.codec.encodeInternal(f)
	if err != nil {
		n.log.Error("encode internal frame", "kind", f.Kind, "reason", err)
		return
	}
	_ = p.enqueue(n.ctx, body, nil, classControl) // fails only when p or the node is gone
}

// learn queues dials to the nodes that gossip told of and that are not
// connected. It is called from a peer's reader goroutine.
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
		if len(n.dialQ) >= maxDialQueue {
			n.log.Warn("gossip: too many nodes to dial, ignoring some", "queued", len(n.dialQ))
			break
		}
		n.dialing[na.Name] = true
		n.dialQ = append(n.dialQ, na)
	}
	for n.dialers < maxDialers && len(n.dialQ) > n.dialers {
		n.dialers++
		n.wg.Add(1) // legal while Close waits: the calling reader holds a count
		go n.dialWorker()
	}
	n.changedLocked()
}

// dialWorker dials the queued nodes until none is left.
func (n *Node) dialWorker() {
	defer n.wg.Done()
	for {
		n.mu.Lock()
		if len(n.dialQ) == 0 || n.state != stateRunning {
			n.dialers--
			n.mu.Unlock()
			return
		}
		na := n.dialQ[0]
		n.dialQ = n.dialQ[1:]
		n.mu.Unlock()
		n.gossipDial(na)
		n.mu.Lock()
		delete(n.dialing, na.Name)
		n.changedLocked()
		n.mu.Unlock()
	}
}

// gossipDial dials one node learnt by gossip; a panic is logged, not
// fatal.
func (n *Node) gossipDial(na NodeAddr) {
	defer func() {
		if r := recover(); r != nil {
			n.log.Error("gossip dial panicked", "peer", na.Name, "reason", r)
		}
	}()
	_, err := n.dial(n.ctx, na.Addr, na.Name)
	if err != nil && n.ctx.Err() == nil && !errors.Is(err, ErrDuplicate) {
		n.log.Warn("could not connect to a node learnt by gossip", "peer", na.Name, "addr", na.Addr, "reason", err)
	}
}

// JoinMesh joins the node at addr, like Join, and then waits until this
// node is connected to every node that the joined node told of when it
// admitted this one, or their dials have failed. If ctx ends first, it
// returns the joined peer and an error wrapping ErrMeshTimeout that
// names the missing nodes; the node stays joined and goes on connecting.
// A hidden node does not wait: it connects to no other node.
func (n *Node) JoinMesh(ctx context.Context, addr string) (Peer, error) {
	p, err := n.Join(ctx, addr)
	if err != nil || n.cfg.Hidden {
		return p, err
	}
	n.mu.Lock()
	pp := n.peers[p.Name]
	n.mu.Unlock()
	if pp == nil {
		return p, nil // gone again: nothing to wait for
	}
	select {
	case <-pp.gossiped:
	case <-ctx.Done():
		return p, fmt.Errorf("%w: no word from %s of its nodes (%w)", ErrMeshTimeout, p.Name, ctx.Err())
	}
	pp.mu.Lock()
	want := pp.told
	pp.mu.Unlock()
	for {
		n.mu.Lock()
		var missing []string
		for _, name := range want {
			if n.peers[name] == nil && (n.dialing[name] || n.pending[name] != nil) {
				missing = append(missing, name)
			}
		}
		changed := n.changed
		n.mu.Unlock()
		if len(missing) == 0 {
			return p, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			slices.Sort(missing)
			return p, fmt.Errorf("%w: %s not connected yet (%w)", ErrMeshTimeout, strings.Join(missing, ", "), ctx.Err())
		}
	}
}

// A hidden node is told of no other node, but may ask: a nodes frame from
// a hidden peer asks for the receiver's nodes, and the answer (a nodes
// frame to the hidden node) fills its directory, from which Connect
// dials.

// answerNodes answers a hidden peer's question for this node's nodes.
func (n *Node) answerNodes(p *peer) {
	n.mu.Lock()
	list := []NodeAddr{}
	for _, q := range n.peers {
		if !q.info.Hidden {
			list = append(list, NodeAddr{Name: q.info.Name, Addr: q.info.Addr})
		}
	}
	n.mu.Unlock()
	body, err := n.codec.encodeInternal(&Frame{Kind: KindNodes, Nodes: list})
	if err == nil {
		_ = p.enqueue(n.ctx, body, nil, classReader)
	}
}

// noteAddrs records the addresses a peer told a hidden node of.
func (n *Node) noteAddrs(nodes []NodeAddr) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, na := range nodes {
		if len(n.addrs) < maxDialQueue || n.addrs[na.Name] != "" {
			n.addrs[na.Name] = na.Addr
		}
	}
	n.answers++
	n.changedLocked()
}

// Connect returns the connected peer called name, connecting to it
// first if need be: a node of the cluster dials it at the address gossip
// gave; a hidden node asks its peers where it is. It fails if ctx ends
// first.
func (n *Node) Connect(ctx context.Context, name string) (Peer, error) {
	asked, answers := false, 0 // the answers that tell all asked peers have answered
	for {
		n.mu.Lock()
		p, addr, changed, state, got := n.peers[name], n.addrs[name], n.changed, n.state, n.answers
		var peers []*peer
		if addr == "" && !asked {
			for _, q := range n.peers {
				peers = append(peers, q)
			}
		}
		n.mu.Unlock()
		switch {
		case p != nil:
			return p.info, nil
		case state != stateRunning:
			return Peer{}, ErrClosed
		case addr != "":
			return n.dial(ctx, addr, name)
		case asked && got >= answers:
			return Peer{}, fmt.Errorf("%w: no peer knows %s", ErrNotConnected, name)
		}
		if !asked && n.cfg.Hidden {
			for _, q := range peers {
				n.sendInternal(q, &Frame{Kind: KindNodes})
			}
			asked, answers = true, got+len(peers)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return Peer{}, fmt.Errorf("%w: %s (%w)", ErrNotConnected, name, ctx.Err())
		}
	}
}
