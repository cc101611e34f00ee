package proc

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// Global names (proc.global): one name, one owner, across the cluster.
//
// The protocol is deliberately simple:
//
//   - The arbiter of every name is the connected node whose name sorts
//     first, this node included (see [Node.GlobalArbiter]). Only the arbiter
//     decides; its own table is the authoritative one.
//   - Every node keeps a replica, name -> pid, from which GlobalWhereIs
//     answers locally, without the network.
//   - Register and unregister go to the arbiter: a local call when this
//     node is the arbiter, else a global_register / global_unregister frame
//     with a ref, whose global_reply the caller waits for (at most
//     GlobalTimeout). The arbiter decides (a name held by another pid:
//     false), records the change, sends it as global_sync to every
//     connected node, and then replies. Decisions and their broadcasts are
//     serialized on the arbiter, so every replica sees them in the same
//     order.
//   - "Returns once the whole cluster agrees" means: the arbiter has
//     decided, and its global_sync was queued on the ordered per-peer
//     stream to every connected node before its reply. So the caller's own
//     replica is updated when register returns, the arbiter's table holds
//     the name, and any later message from the arbiter's node is seen after
//     the sync. A message the caller's node sends to a third node takes
//     another stream, so it may (rarely, by one hop) overtake the sync:
//     whereis there may still answer nil for that moment.
//   - When a process that owns a name exits, its own node tells the arbiter
//     (global_unregister with the owner's pid and no ref: freed only if that
//     pid still holds it). A sync that gives a name to a local pid already
//     dead triggers the same notice, so a process that dies while its
//     registration is in flight does not keep the name.
//   - When a node goes down, every node drops from its replica the names
//     owned by that node's pids (no messages needed: each learns it itself).
//   - When a node comes up, every node sends it its whole replica as a
//     merging global_sync: names it does not know yet are added, known ones
//     kept, entries whose pid lives on a node it is not connected to are
//     skipped (the owner's node sends them when it connects). This covers a
//     new node that becomes the arbiter itself.
//
// Limits: during membership changes two nodes may briefly pick different
// arbiters, and a partition that heals may leave one name with two owners
// on different sides; the merge keeps the entry a node already had. A
// request whose arbiter goes down fails with an error.

// GlobalTimeout bounds how long a global register or unregister waits for
// the arbiter.
var GlobalTimeout = 10 * time.Second

// globalTable is a node's replica of the global names.
type globalTable struct {
	sync.RWMutex
	m     map[string]PID
	local int // entries owned by pids of this node
}

// globalState is a node's side of the global names.
type globalState struct {
	table globalTable
	// arb orders the decisions taken by this node as arbiter with their
	// broadcasts.
	arb sync.Mutex
	// waits: request ref -> *globalWait
	waits sync.Map
}

type globalWait struct {
	node string
	done chan globalResult // buffered: one result
}

type globalResult struct {
	ok  bool
	err error
}

func (t *globalTable) setLocked(self, name string, pid PID) {
	if old, ok := t.m[name]; ok && old.Node == self {
		t.local--
	}
	if t.m == nil {
		t.m = make(map[string]PID)
	}
	t.m[name] = pid
	if pid.Node == self {
		t.local++
	}
}

func (t *globalTable) deleteLocked(self, name string) {
	if old, ok := t.m[name]; ok {
		if old.Node == self {
			t.local--
		}
		delete(t.m, name)
	}
}

// GlobalWhereIs returns the pid holding the global name, from this node's
// replica.
func (n *Node) GlobalWhereIs(name string) (PID, bool) {
	n.global.table.RLock()
	pid, ok := n.global.table.m[name]
	n.global.table.RUnlock()
	return pid, ok
}

// GlobalNames returns a copy of this node's replica of the global names.
func (n *Node) GlobalNames() map[string]PID {
	n.global.table.RLock()
	defer n.global.table.RUnlock()
	m := make(map[string]PID, len(n.global.table.m))
	for k, v := range n.global.table.m {
		m[k] = v
	}
	return m
}

// GlobalArbiter returns the node that decides global names: the connected
// node whose name sorts first, this one included.
func (n *Node) GlobalArbiter() string {
	arb := n.name
	for _, name := range n.Nodes() {
		if name < arb {
			arb = name
		}
	}
	return arb
}

// GlobalRegister gives the global name to pid, asking the arbiter. It
// reports false when another pid holds the name (or pid is known dead).
// An error means the arbiter could not be reached or did not answer.
func (p *Process) GlobalRegister(name string, pid PID) (bool, error) {
	if name == "" {
		return false, ErrBadName
	}
	return p.globalCall(name, pid, true)
}

// GlobalUnregister frees the global name, whoever holds it, through the
// arbiter. It reports whether the name was held.
func (p *Process) GlobalUnregister(name string) (bool, error) {
	if name == "" {
		return false, ErrBadName
	}
	return p.globalCall(name, PID{}, false)
}

// globalCall runs a register (or unregister) through the arbiter and waits
// for its decision.
func (p *Process) globalCall(name string, pid PID, register bool) (bool, error) {
	n := p.node
	arb := n.GlobalArbiter()
	if arb == n.name {
		return n.globalDecide(name, pid, register), nil
	}
	r := n.getRemote()
	if r == nil {
		return false, fmt.Errorf("node %s is not connected", arb)
	}
	ref := n.NewRef()
	w := &globalWait{node: arb, done: make(chan globalResult, 1)}
	n.global.waits.Store(ref, w)
	var err error
	if register {
		err = r.GlobalRegister(arb, p.pid, ref, name, pid)
	} else {
		err = r.GlobalUnregister(arb, p.pid, ref, name, pid)
	}
	if err != nil {
		n.global.waits.Delete(ref)
		return false, fmt.Errorf("node %s is not connected", arb)
	}
	timer := time.NewTimer(GlobalTimeout)
	defer timer.Stop()
	for {
		p.mu.Lock()
		p.waiting = true
		p.mu.Unlock()
		select {
		case res := <-w.done:
			return res.ok, res.err
		case <-timer.C:
		case <-p.wake:
			if !p.killed.Load() {
				continue
			}
		}
		if _, ok := n.global.waits.LoadAndDelete(ref); ok {
			if p.killed.Load() {
				return false, ErrKilled
			}
			return false, fmt.Errorf("global name arbiter %s timed out", arb)
		}
		res := <-w.done // the reply came meanwhile
		return res.ok, res.err
	}
}

// globalDecide is the arbiter's decision on a register (pid gets name
// unless another pid holds it) or an unregister (name is freed if held by
// pid, or by anyone for a zero pid). A change is recorded and sent as
// global_sync to every connected node before it returns.
func (n *Node) globalDecide(name string, pid PID, register bool) bool {
	g := &n.global
	g.arb.Lock()
	var nodes []string
	r := n.getRemote()
	if r != nil {
		nodes = r.Nodes()
	}
	g.table.Lock()
	cur, taken := g.table.m[name]
	switch {
	case register && taken:
		g.table.Unlock()
		g.arb.Unlock()
		return cur == pid
	case register:
		if n.IsLocal(pid) && n.lookup(pid) == nil || !n.IsLocal(pid) && (pid.Node == n.name || !contains(nodes, pid.Node)) {
			g.table.Unlock()
			g.arb.Unlock()
			return false // dead, or of a node nobody here knows
		}
		g.table.setLocked(n.name, name, pid)
	case !taken || !pid.IsZero() && cur != pid:
		g.table.Unlock()
		g.arb.Unlock()
		return false
	default:
		g.table.deleteLocked(n.name, name)
	}
	g.table.Unlock()
	for _, node := range nodes {
		if register {
			_ = r.GlobalSync(node, map[string]PID{name: pid}, nil, false)
		} else {
			_ = r.GlobalSync(node, nil, []string{name}, false)
		}
	}
	g.arb.Unlock()
	if register && n.IsLocal(pid) && n.lookup(pid) == nil {
		n.globalOwnerGone(name, pid) // it died meanwhile
	}
	return true
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// globalOwnerGone tells the arbiter that the local pid, which held name,
// has exited.
func (n *Node) globalOwnerGone(name string, pid PID) {
	arb := n.GlobalArbiter()
	if arb == n.name {
		n.globalDecide(name, pid, false)
		return
	}
	if r := n.getRemote(); r != nil {
		_ = r.GlobalUnregister(arb, pid, Ref{}, name, pid)
	}
}

// releaseGlobals frees the global names of a local process that has
// exited (and is no longer in the process table).
func (n *Node) releaseGlobals(pid PID) {
	g := &n.global
	g.table.RLock()
	var names []string
	if g.table.local > 0 {
		for name, owner := range g.table.m {
			if owner == pid {
				names = append(names, name)
			}
		}
	}
	g.table.RUnlock()
	for _, name := range names {
		n.globalOwnerGone(name, pid)
	}
}

// The methods below are the inbound side of the global names: the
// transport calls them for the global frames of other nodes.

// RemoteGlobalRegister decides, as arbiter, the request ref of from to
// give name to pid, and calls reply with the decision after the change
// has been sent to every node.
func (n *Node) RemoteGlobalRegister(from PID, ref Ref, name string, pid PID, reply func(ok bool)) {
	reply(name != "" && n.globalDecide(name, pid, true))
}

// RemoteGlobalUnregister decides, as arbiter, to free name if pid holds it
// (anyone, for a zero pid). With a non-zero ref, from waits: reply is
// called with the decision.
func (n *Node) RemoteGlobalUnregister(from PID, ref Ref, name string, pid PID, reply func(ok bool)) {
	ok := n.globalDecide(name, pid, false)
	if ref != (Ref{}) && reply != nil {
		reply(ok)
	}
}

// RemoteGlobalReply applies the arbiter's answer to the request ref.
func (n *Node) RemoteGlobalReply(ref Ref, ok bool) {
	if v, found := n.global.waits.LoadAndDelete(ref); found {
		v.(*globalWait).done <- globalResult{ok: ok}
	}
}

// RemoteGlobalSync applies a global_sync from the node called node: the
// names in del are removed, those in set given to their pids. With merge
// (the table a node sends when it comes up), names already known are kept
// and pids of nodes that are not connected skipped.
func (n *Node) RemoteGlobalSync(node string, set map[string]PID, del []string, merge bool) {
	var nodes []string
	if merge {
		nodes = n.Nodes()
	}
	g := &n.global
	var dead []string
	g.table.Lock()
	for _, name := range del {
		g.table.deleteLocked(n.name, name)
	}
	for name, pid := range set {
		if merge {
			if _, known := g.table.m[name]; known {
				continue
			}
			if pid.Node == n.name && !n.IsLocal(pid) || pid.Node != n.name && !contains(nodes, pid.Node) {
				continue
			}
		}
		g.table.setLocked(n.name, name, pid)
		if n.IsLocal(pid) && n.lookup(pid) == nil {
			dead = append(dead, name)
		}
	}
	g.table.Unlock()
	for _, name := range dead {
		n.globalOwnerGone(name, set[name])
	}
}

// globalNodeUp sends the new peer this node's whole replica (merging).
func (n *Node) globalNodeUp(name string) {
	r := n.getRemote()
	if r == nil {
		return
	}
	all := n.GlobalNames()
	if len(all) == 0 {
		return
	}
	_ = r.GlobalSync(name, all, nil, true)
}

// globalNodeDown drops the names owned by the pids of the incarnation
// creation of the node called name and fails the requests waiting for it.
func (n *Node) globalNodeDown(name string, creation uint32) {
	g := &n.global
	g.table.Lock()
	for k, pid := range g.table.m {
		if pid.Node == name && pid.Creation == creation {
			g.table.deleteLocked(n.name, k)
		}
	}
	g.table.Unlock()
	g.waits.Range(func(k, v any) bool {
		w := v.(*globalWait)
		if w.node == name {
			if _, ok := g.waits.LoadAndDelete(k); ok {
				w.done <- globalResult{err: errors.New("global name arbiter " + name + ": noconnection")}
			}
		}
		return true
	})
}
