package proc

import (
	"errors"
	"slices"
)

// Remote is what a Node needs from the transport that joins it to other
// nodes: each method carries one signal to the node of its target pid (or
// to the named node). The transport (quicnet) implements it; the node
// calls it from the goroutine of the process that acts, so signals from
// one process to another keep their order. Methods must not call back
// into the Node synchronously.
//
// An error that wraps ErrNoConnection means the signal could not be queued
// because the target's node is not connected: Send, SendName, Exit,
// Unlink, Demonitor and Down are then dropped silently, as Erlang drops
// them; Link and Monitor fire at once with "noconnection". Any other
// error of Send, SendName or Spawn means the message cannot be carried
// (too big for the receiving node, say): it is returned to the sender.
type Remote interface {
	// Send delivers v to the process to on another node.
	Send(from, to PID, v Value) error
	// SendName delivers v to the process registered as name on node.
	SendName(from PID, name, node string, v Value) error
	// Exit is an exit signal from from to to. viaLink marks the signal of
	// a linked process that ended; the receiver drops the link.
	Exit(from, to PID, reason Value, viaLink bool) error
	// Link links from with to.
	Link(from, to PID) error
	// Unlink removes the link between from and to.
	Unlink(from, to PID) error
	// Monitor makes from monitor to under ref.
	Monitor(from, to PID, ref Ref) error
	// Demonitor removes the monitor ref of from on to.
	Demonitor(from, to PID, ref Ref) error
	// Down tells the watcher to that from, which it monitored under ref,
	// ended with reason.
	Down(from, to PID, ref Ref, reason Value) error
	// Spawn asks node to spawn req on behalf of from; ref identifies the
	// request (and is the monitor's ref with req.Monitor). The other node
	// calls RemoteSpawn, whose reply comes back to this node's
	// RemoteSpawnReply in order with the other signals of that node.
	Spawn(from PID, node string, ref Ref, req SpawnRequest) error
	// GlobalRegister asks node, the arbiter of global names, to give name
	// to pid on behalf of from; ref identifies the request. The arbiter
	// calls RemoteGlobalRegister, whose decision comes back to this
	// node's RemoteGlobalReply.
	GlobalRegister(node string, from PID, ref Ref, name string, pid PID) error
	// GlobalUnregister asks node, the arbiter, to free name if pid holds
	// it (anyone, for a zero pid). With a zero ref no reply is wanted (the
	// notice that the owner from has exited).
	GlobalUnregister(node string, from PID, ref Ref, name string, pid PID) error
	// GlobalReply answers the request ref of the process to.
	GlobalReply(to PID, ref Ref, ok bool) error
	// GlobalSync sends node changes of the global names: del are removed,
	// set given to their pids; merge marks a whole table sent on node up
	// (see RemoteGlobalSync).
	GlobalSync(node string, set map[string]PID, del []string, merge bool) error
	// Nodes returns the names of the connected nodes.
	Nodes() []string
}

// remoteBox holds a Remote behind an atomic pointer.
type remoteBox struct{ r Remote }

// SetRemote connects the node to other nodes through r. Call it before
// processes use other nodes; nil disconnects.
func (n *Node) SetRemote(r Remote) {
	if r == nil {
		n.remote.Store(nil)
		return
	}
	n.remote.Store(&remoteBox{r})
}

// getRemote returns the transport, or nil for a node on its own.
func (n *Node) getRemote() Remote {
	if b := n.remote.Load(); b != nil {
		return b.r
	}
	return nil
}

// Creation returns the node's incarnation number, carried by its pids.
func (n *Node) Creation() uint32 { return n.creation }

// Nodes returns the names of the connected nodes, sorted; none for a node
// without a Remote.
func (n *Node) Nodes() []string {
	r := n.getRemote()
	if r == nil {
		return nil
	}
	names := r.Nodes()
	slices.Sort(names)
	return names
}

// connected reports whether the node called name is connected.
func (n *Node) connected(name string) bool {
	r := n.getRemote()
	return r != nil && slices.Contains(r.Nodes(), name)
}

// isRemote reports whether pid lives on another node. A pid of an earlier
// incarnation of this node is not remote: it is dead.
func (n *Node) isRemote(pid PID) bool { return pid.Node != n.name }

// sendRemote delivers v to a pid that is not a live local process. It
// returns the transport's error for a message that cannot be carried.
func (n *Node) sendRemote(from, to PID, v Value) error {
	if !n.isRemote(to) {
		return nil
	}
	if r := n.getRemote(); r != nil {
		return lost(r.Send(from, to, v))
	}
	return nil
}

// lost drops the error of a signal to a node that is not connected.
func lost(err error) error {
	if errors.Is(err, ErrNoConnection) {
		return nil
	}
	return err
}

// SendName delivers v to the process registered as name on node (this
// node or another), as proc.send({name, node}, v) does. A name nobody
// holds, or a node that is not connected, loses the message silently; a
// message the transport cannot carry is an error.
func (p *Process) SendName(name, node string, v Value) error {
	n := p.node
	if node == n.name {
		_ = n.SendName(name, v)
		return nil
	}
	if r := n.getRemote(); r != nil {
		return lost(r.SendName(p.pid, name, node, v))
	}
	return nil
}

// MonitorNode makes the process receive {tag="nodedown", node=name} when
// the node called name goes down; at once if it is not connected. Each
// call delivers one message. Monitoring this node itself does nothing.
func (p *Process) MonitorNode(name string) {
	n := p.node
	if name == n.name {
		return
	}
	p.mu.Lock()
	if p.state != alive {
		p.mu.Unlock()
		return
	}
	if p.nodeMonitors == nil {
		p.nodeMonitors = make(map[string]int, 1)
	}
	p.nodeMonitors[name]++
	p.mu.Unlock()
	if n.connected(name) {
		return // NodeDown, if it comes, finds the monitor
	}
	p.mu.Lock()
	if p.nodeMonitors[name] > 0 { // NodeDown did not take it meanwhile
		if p.nodeMonitors[name]--; p.nodeMonitors[name] == 0 {
			delete(p.nodeMonitors, name)
		}
		if p.state == alive {
			p.enqueueLocked(Entry{V: nodedownMessage(name)})
		}
	}
	p.mu.Unlock()
}

// nodedownMessage is what monitor_node delivers.
func nodedownMessage(name string) *Table {
	return &Table{Hash: []Field{{fieldTag, nodedownTag}, {"node", name}}}
}

// The methods below are the inbound side of a Remote: the transport calls
// them for the signals that other nodes send to this one. from is a pid of
// the sending node, to a pid of this one. They never call the Remote for
// the same signal again (no forwarding), only to answer (noproc).

// RemoteSend delivers v, sent by from on another node, to the local
// process to.
func (n *Node) RemoteSend(from, to PID, v Value) {
	if p := n.lookup(to); p != nil {
		p.deliver(Entry{V: v})
	}
}

// RemoteSendName delivers v, sent by from on another node, to the local
// process registered as name; nobody holding it loses the message.
func (n *Node) RemoteSendName(from PID, name string, v Value) {
	_ = n.SendName(name, v)
}

// RemoteExit applies an exit signal from a process of another node to
// the local process to. With viaLink it is the signal of a linked process
// that ended: it is dropped unless the link still exists, and removes it.
func (n *Node) RemoteExit(from, to PID, reason Value, viaLink bool) {
	n.exitSignal(from, to, reason, viaLink)
}

// RemoteLink links the local process to with from on another node. A
// process that is not alive answers with a link exit "noproc".
func (n *Node) RemoteLink(from, to PID) {
	if t := n.lookup(to); t != nil {
		t.mu.Lock()
		ok := t.state == alive
		if ok {
			t.addLink(from)
		}
		t.mu.Unlock()
		if ok {
			return
		}
	}
	if r := n.getRemote(); r != nil {
		_ = r.Exit(to, from, NoProc, true)
	}
}

// RemoteUnlink removes the link between the local process to and from.
func (n *Node) RemoteUnlink(from, to PID) {
	if t := n.lookup(to); t != nil {
		t.mu.Lock()
		delete(t.links, from)
		t.mu.Unlock()
	}
}

// RemoteMonitor makes from, on another node, monitor the local process to
// under ref. A process that is not alive answers with DOWN "noproc".
func (n *Node) RemoteMonitor(from, to PID, ref Ref) {
	if t := n.lookup(to); t != nil {
		t.mu.Lock()
		ok := t.state == alive
		if ok {
			if t.monitors == nil {
				t.monitors = make(map[Ref]PID, 1)
			}
			t.monitors[ref] = from
		}
		t.mu.Unlock()
		if ok {
			return
		}
	}
	if r := n.getRemote(); r != nil {
		_ = r.Down(to, from, ref, NoProc)
	}
}

// RemoteDemonitor removes the monitor ref of from on the local process to.
func (n *Node) RemoteDemonitor(from, to PID, ref Ref) {
	if t := n.lookup(to); t != nil {
		t.mu.Lock()
		if t.monitors[ref] == from {
			delete(t.monitors, ref)
		}
		t.mu.Unlock()
	}
}

// RemoteDown tells the local watcher to that from, on another node,
// ended with reason. It is dropped unless the monitor ref is still active.
func (n *Node) RemoteDown(from, to PID, ref Ref, reason Value) {
	p := n.lookup(to)
	if p == nil {
		return
	}
	p.mu.Lock()
	if target, ok := p.watching[ref]; ok && target == from {
		delete(p.watching, ref)
		if p.state == alive {
			p.enqueueLocked(Entry{V: downMessage(ref, from, reason)})
		}
	}
	p.mu.Unlock()
}

// NodeUp tells the node that the node called name is connected.
func (n *Node) NodeUp(name string) {
	n.log.Info("node up", "node", name)
	n.globalNodeUp(name)
}

// NodeDown tells the node that the incarnation creation of the node
// called name is gone: every link to a process of that incarnation fires
// with "noconnection", every monitor of one delivers DOWN "noconnection",
// monitors that its processes held on local ones are dropped, and every
// monitor_node for name delivers {tag="nodedown", node=name}. The
// transport calls it after the last signal from that incarnation. Pids of
// another incarnation are left alone: when a restarted node replaces its
// old connection, links and monitors already made to the new incarnation
// must not fire with the old one's NodeDown.
func (n *Node) NodeDown(name string, creation uint32) {
	if name == n.name {
		return
	}
	n.log.Info("node down", "node", name, "creation", creation)
	n.failSpawns(name)
	n.globalNodeDown(name, creation)
	n.procs.Range(func(_, v any) bool {
		n.nodeDownFor(v.(*Process), name, creation)
		return true
	})
}

// nodeDownFor applies NodeDown(name, creation) to one process.
func (n *Node) nodeDownFor(p *Process, name string, creation uint32) {
	of := func(pid PID) bool { return pid.Node == name && pid.Creation == creation }
	var links []PID
	p.mu.Lock()
	for pid := range p.links {
		if of(pid) {
			links = append(links, pid)
		}
	}
	for ref, target := range p.watching {
		if of(target) {
			delete(p.watching, ref)
			if p.state == alive {
				p.enqueueLocked(Entry{V: downMessage(ref, target, NoConnection)})
			}
		}
	}
	for ref, watcher := range p.monitors {
		if of(watcher) {
			delete(p.monitors, ref)
		}
	}
	if c := p.nodeMonitors[name]; c > 0 {
		delete(p.nodeMonitors, name)
		for range c {
			if p.state == alive {
				p.enqueueLocked(Entry{V: nodedownMessage(name)})
			}
		}
	}
	p.mu.Unlock()
	for _, pid := range links {
		n.exitSignal(pid, p.pid, NoConnection, true)
	}
}
