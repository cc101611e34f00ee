package proc

import (
	"errors"
	"fmt"
	"time"
)

// SpawnRequest is what one node asks another to spawn: plain values that
// travel between nodes. The host of the receiving node turns it into a
// Body and SpawnOpts (see [Spawner]).
type SpawnRequest struct {
	// Fn is the function to run: a *Func, or a "module.function" string.
	Fn Value
	// Args are its arguments.
	Args []Value
	// Link links the new process with the spawner before it runs.
	Link bool
	// Monitor makes the spawner monitor the new process before it runs.
	Monitor bool
	// Name registers the new process under this name on its node.
	Name string
	// Limits are the host's limits and permissions for the new process
	// (the spawner's, narrowed by its options), as plain values. The
	// receiving host narrows them further against its own defaults.
	Limits Value
}

// Spawner builds the body of a process that another node asked for. from
// is the spawning process. The returned SpawnOpts' Link, Monitor and Name
// are set from req by the node; an error refuses the spawn and its text
// reaches the spawner.
type Spawner func(from PID, req SpawnRequest) (Body, SpawnOpts, error)

// SetSpawner installs the host's hook for spawns that other nodes ask for.
// Without one, such requests are refused.
func (n *Node) SetSpawner(s Spawner) {
	if s == nil {
		n.spawner.Store(nil)
		return
	}
	n.spawner.Store(&s)
}

// RemoteSpawnTimeout bounds how long SpawnOn waits for the other node.
var RemoteSpawnTimeout = 10 * time.Second

// spawnWait is a spawner waiting for the reply to its request.
type spawnWait struct {
	node          string
	link, monitor bool
	done          chan spawnResult // buffered: one result
}

type spawnResult struct {
	pid PID
	err error
}

// SpawnOn asks the node called node to spawn req on behalf of p and waits
// for its answer (at most RemoteSpawnTimeout). With req.Link and
// req.Monitor the link and the monitor are in place before the new
// process runs, and the returned ref is the monitor's. A node that is not
// connected, a refusal or a timeout give an error.
func (p *Process) SpawnOn(node string, req SpawnRequest) (PID, Ref, error) {
	n := p.node
	if node == n.name {
		return PID{}, Ref{}, errors.New("proc: SpawnOn needs another node")
	}
	r := n.getRemote()
	if r == nil || !n.connected(node) {
		return PID{}, Ref{}, fmt.Errorf("node %s is not connected", node)
	}
	ref := n.NewRef()
	w := &spawnWait{node: node, link: req.Link, monitor: req.Monitor, done: make(chan spawnResult, 1)}
	n.spawns.Store(ref, w)
	if err := r.Spawn(p.pid, node, ref, req); err != nil {
		n.spawns.Delete(ref)
		if lost(err) != nil {
			return PID{}, Ref{}, fmt.Errorf("spawn on node %s: %w", node, err)
		}
		return PID{}, Ref{}, fmt.Errorf("node %s is not connected", node)
	}
	timer := time.NewTimer(RemoteSpawnTimeout)
	defer timer.Stop()
	var res spawnResult
wait:
	for {
		p.mu.Lock()
		p.waiting = true
		p.mu.Unlock()
		select {
		case res = <-w.done:
			break wait
		case <-timer.C:
		case <-p.wake:
			if !p.killed.Load() {
				continue
			}
		}
		if _, ok := n.spawns.LoadAndDelete(ref); ok {
			if p.killed.Load() {
				return PID{}, Ref{}, ErrKilled
			}
			return PID{}, Ref{}, fmt.Errorf("spawn on node %s timed out", node)
		}
		res = <-w.done // the reply came meanwhile: take it
		break
	}
	if res.err != nil {
		return PID{}, Ref{}, res.err
	}
	if !req.Monitor {
		ref = Ref{}
	}
	return res.pid, ref, nil
}

// RemoteSpawn starts the process that from, on another node, asks for
// under ref, and calls reply with its pid (or why there is none) before
// the new process runs, so the reply precedes any signal of the process.
func (n *Node) RemoteSpawn(from PID, ref Ref, req SpawnRequest, reply func(PID, error)) {
	sp := n.spawner.Load()
	if sp == nil {
		reply(PID{}, fmt.Errorf("node %s does not accept remote spawns", n.name))
		return
	}
	body, opts, err := (*sp)(from, req)
	if err != nil {
		reply(PID{}, err)
		return
	}
	opts.Link, opts.Monitor, opts.Name = req.Link, req.Monitor, req.Name
	_, _, err = n.spawn(nil, opts, body, &remoteParent{pid: from, ref: ref, started: func(pid PID) { reply(pid, nil) }})
	if err != nil {
		reply(PID{}, err)
	}
}

// RemoteSpawnReply applies the answer of another node to the spawn request
// ref of the local process to: pid is the new process, or reason (a
// string) says why there is none. The link and monitor asked for are set
// up here, in the order of the other node's signals, so a DOWN or exit of
// the new process that follows finds them. A reply nobody waits for any
// more (timed out) kills the orphan.
func (n *Node) RemoteSpawnReply(to PID, ref Ref, pid PID, reason Value) {
	v, ok := n.spawns.LoadAndDelete(ref)
	if !ok {
		if !pid.IsZero() {
			if r := n.getRemote(); r != nil {
				_ = r.Exit(to, pid, Kill, false)
			}
		}
		return
	}
	w := v.(*spawnWait)
	if pid.IsZero() {
		msg := fmt.Sprint(reason)
		if reason == nil {
			msg = "refused"
		}
		w.done <- spawnResult{err: fmt.Errorf("spawn on node %s: %s", w.node, msg)}
		return
	}
	set := false
	if p := n.lookup(to); p != nil {
		p.mu.Lock()
		if set = p.state == alive; set {
			if w.link {
				p.addLink(pid)
			}
			if w.monitor {
				p.addWatch(ref, pid)
			}
		}
		p.mu.Unlock()
	}
	if !set { // the spawner is gone: undo its side on the new process
		if r := n.getRemote(); r != nil {
			if w.link {
				_ = r.Exit(to, pid, NoProc, true)
			}
			if w.monitor {
				_ = r.Demonitor(to, pid, ref)
			}
		}
	}
	w.done <- spawnResult{pid: pid}
}

// failSpawns ends the waits for replies from the node called name.
func (n *Node) failSpawns(name string) {
	n.spawns.Range(func(k, v any) bool {
		w := v.(*spawnWait)
		if w.node == name {
			if _, ok := n.spawns.LoadAndDelete(k); ok {
				w.done <- spawnResult{err: fmt.Errorf("spawn on node %s: noconnection", name)}
			}
		}
		return true
	})
}
