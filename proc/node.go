package proc

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Config configures a Node. The zero Config is valid.
type Config struct {
	// Name is the node's name, carried by every pid it makes. Zero: "local".
	Name string
	// Creation tells this incarnation of the node from earlier ones with
	// the same name. Zero: derived from the start time.
	Creation uint32
	// Logger receives the node's events. Nil discards them.
	Logger *slog.Logger
	// History is how many exited processes Info still describes.
	// Zero: 256. Negative: none.
	History int
	// LogLines is how many lines of process output Logs keeps.
	// Zero: 1000. Negative: none.
	LogLines int
}

// Body is the code of a process. It runs on the process's own goroutine and
// its result is the exit reason (see [Normal]). A body that panics ends the
// process with the panic's value as reason; the node goes on.
type Body func(p *Process) Value

// SpawnOpts are the options of Spawn. The zero value spawns an unlinked,
// unnamed process with no mailbox limit.
type SpawnOpts struct {
	// Link links the new process with the spawner, before it runs.
	Link bool
	// Monitor makes the spawner monitor the new process, before it runs.
	Monitor bool
	// Name registers the new process under this name before Spawn returns.
	Name string
	// MaxMailbox ends the process with "mailbox_limit" when more than this
	// many messages wait in its mailbox. Zero: no limit.
	MaxMailbox int
	// MaxMailboxBytes ends the process with "memory_limit" when the
	// messages waiting in its mailbox pass this many bytes, as Size
	// measures them. Zero: no limit.
	MaxMailboxBytes int64
	// Size measures a message for MaxMailboxBytes; it runs on the sender's
	// goroutine. Required with MaxMailboxBytes.
	Size func(Value) int64
	// MaxInstructions is the host's instruction budget of the process, for
	// inspection only: the host enforces it. Zero: none.
	MaxInstructions uint64
	// Initial describes the body for inspection, e.g. "worker.lua:12".
	Initial string
	// Data is the host's own per-process data, returned by Process.Data.
	Data any
}

// Node is the process table of one node. Its methods are safe for
// concurrent use.
type Node struct {
	name     string
	creation uint32
	log      *slog.Logger

	nextID  atomic.Uint64
	nextRef atomic.Uint64
	procs   sync.Map // uint64 -> *Process
	live    atomic.Int64
	spawned atomic.Uint64
	// messages received by processes that have exited, and processes
	// ended by a limit
	messages, limitKills atomic.Uint64
	wg                   sync.WaitGroup
	// life orders Spawn against Shutdown: Spawn holds it shared from its
	// check of closing until its process is in the table and counted.
	life    sync.RWMutex
	closing bool

	names struct {
		sync.RWMutex
		m map[string]*Process
	}
	timers struct {
		sync.Mutex
		m map[Ref]*time.Timer
	}
	history struct {
		sync.Mutex
		max  int
		ring []Info
		next int
		at   map[PID]int
	}
	logs logRing

	remote atomic.Pointer[remoteBox] // the transport to other nodes, if any
	// spawner builds the bodies that other nodes ask for (SetSpawner)
	spawner atomic.Pointer[Spawner]
	// spawns waits for the replies of remote spawns: request ref -> waiter
	spawns sync.Map
	// global holds the replica of the global names and the pending
	// requests to their arbiter (global.go)
	global globalState
}

// NewNode returns a node with no processes.
func NewNode(cfg Config) *Node {
	if cfg.Name == "" {
		cfg.Name = "local"
	}
	if cfg.Creation == 0 {
		cfg.Creation = uint32(time.Now().UnixNano()>>10) | 1
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case cfg.History == 0:
		cfg.History = 256
	case cfg.History < 0:
		cfg.History = 0
	}
	switch {
	case cfg.LogLines == 0:
		cfg.LogLines = 1000
	case cfg.LogLines < 0:
		cfg.LogLines = 0
	}
	n := &Node{name: cfg.Name, creation: cfg.Creation, log: cfg.Logger}
	n.names.m = make(map[string]*Process)
	n.timers.m = make(map[Ref]*time.Timer)
	n.history.max = cfg.History
	n.history.at = make(map[PID]int)
	n.logs.max = cfg.LogLines
	return n
}

// Name returns the node's name.
func (n *Node) Name() string { return n.name }

// Count returns the number of live processes.
func (n *Node) Count() int { return int(n.live.Load()) }

// NewRef returns a reference unique to this node incarnation.
func (n *Node) NewRef() Ref {
	return Ref{Node: n.name, ID: n.nextRef.Add(1), Creation: n.creation}
}

// IsLocal reports whether pid belongs to this node incarnation.
func (n *Node) IsLocal(pid PID) bool {
	return pid.Node == n.name && pid.Creation == n.creation
}

// lookup returns the live process of a local pid, or nil.
func (n *Node) lookup(pid PID) *Process {
	if !n.IsLocal(pid) {
		return nil
	}
	if v, ok := n.procs.Load(pid.ID); ok {
		return v.(*Process)
	}
	return nil
}

// Spawn starts body as a new process. spawner is the process that asks, or
// nil for a process with no parent (a root, or one the host starts); Link
// and Monitor need a spawner. The link, the monitor and the name are in
// place before the body runs. It returns the new pid and, with Monitor, the
// monitor's ref.
func (n *Node) Spawn(spawner *Process, opts SpawnOpts, body Body) (PID, Ref, error) {
	return n.spawn(spawner, opts, body, nil)
}

// remoteParent is the spawner of a process that another node asked for
// (see RemoteSpawn): link and monitor refer to it, and started is called
// with the new pid before the body runs.
type remoteParent struct {
	pid     PID
	ref     Ref // the monitor's ref, made by the spawner's node
	started func(PID)
}

func (n *Node) spawn(spawner *Process, opts SpawnOpts, body Body, rp *remoteParent) (PID, Ref, error) {
	if opts.MaxMailboxBytes > 0 && opts.Size == nil {
		return PID{}, Ref{}, errors.New("proc: MaxMailboxBytes needs SpawnOpts.Size")
	}
	n.life.RLock()
	defer n.life.RUnlock()
	if n.closing {
		return PID{}, Ref{}, ErrNodeDown
	}
	p := &Process{
		node:       n,
		pid:        PID{Node: n.name, ID: n.nextID.Add(1), Creation: n.creation},
		initial:    opts.Initial,
		maxMailbox: opts.MaxMailbox,
		maxBytes:   opts.MaxMailboxBytes,
		maxInstr:   opts.MaxInstructions,
		size:       opts.Size,
		data:       opts.Data,
		wake:       make(chan struct{}, 1),
	}
	if spawner != nil {
		p.parent = spawner.pid
	}
	if rp != nil {
		p.parent = rp.pid
	}
	if opts.Name != "" {
		if err := n.register(opts.Name, p); err != nil {
			return PID{}, Ref{}, err
		}
	}
	var ref Ref
	if spawner != nil {
		if opts.Link {
			p.links = map[PID]struct{}{spawner.pid: {}}
			spawner.mu.Lock()
			spawner.addLink(p.pid)
			spawner.mu.Unlock()
		}
		if opts.Monitor {
			ref = n.NewRef()
			p.monitors = map[Ref]PID{ref: spawner.pid}
			spawner.mu.Lock()
			spawner.addWatch(ref, p.pid)
			spawner.mu.Unlock()
		}
	}
	if rp != nil {
		if opts.Link {
			p.links = map[PID]struct{}{rp.pid: {}}
		}
		if opts.Monitor {
			ref = rp.ref
			p.monitors = map[Ref]PID{ref: rp.pid}
		}
	}
	n.procs.Store(p.pid.ID, p)
	n.live.Add(1)
	n.spawned.Add(1)
	n.wg.Add(1)
	if rp != nil && rp.started != nil {
		rp.started(p.pid)
	}
	go p.run(body)
	return p.pid, ref, nil
}

// Send delivers v to pid, on this node or another. Sending to a dead or
// unknown pid does nothing.
func (n *Node) Send(to PID, v Value) {
	if p := n.lookup(to); p != nil {
		p.deliver(Entry{V: v})
		return
	}
	_ = n.sendRemote(PID{}, to, v)
}

// SendName delivers v to the process registered as name.
func (n *Node) SendName(name string, v Value) error {
	pid, ok := n.WhereIs(name)
	if !ok {
		return ErrNotRegistered
	}
	n.Send(pid, v)
	return nil
}

// Exit sends an exit signal with reason to pid, as exit(pid, reason) does
// from a process that is not pid's. A reason of "kill" cannot be trapped.
func (n *Node) Exit(from, to PID, reason Value) {
	n.exitSignal(from, to, reason, false)
}

// exitSignal applies an exit signal from one process to another. A link
// signal is dropped unless the link still exists, and removes it.
func (n *Node) exitSignal(from, to PID, reason Value, viaLink bool) {
	p := n.lookup(to)
	if p == nil {
		if n.isRemote(to) {
			if r := n.getRemote(); r != nil {
				_ = r.Exit(from, to, reason, viaLink)
			}
		}
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state != alive {
		return
	}
	if viaLink {
		if _, ok := p.links[from]; !ok {
			return
		}
		delete(p.links, from)
	}
	action, dieWith := decideExit(p.trapExit, from == to, !viaLink, reason)
	switch action {
	case exitDeliver:
		p.enqueueLocked(Entry{V: exitMessage(from, reason)})
	case exitDie:
		p.killLocked(dieWith)
	}
}

// down ends a monitor: the watcher forgets it and receives DOWN.
func (n *Node) down(watcher PID, ref Ref, pid PID, reason Value) {
	if n.isRemote(watcher) {
		if r := n.getRemote(); r != nil {
			_ = r.Down(pid, watcher, ref, reason)
		}
		return
	}
	if p := n.lookup(watcher); p != nil {
		p.mu.Lock()
		delete(p.watching, ref)
		if p.state == alive {
			p.enqueueLocked(Entry{V: downMessage(ref, pid, reason)})
		}
		p.mu.Unlock()
	}
}

// Register gives pid the name. A name is held by one process; a process
// holds at most one name; the name is freed when the process exits.
func (n *Node) Register(name string, pid PID) error {
	p := n.lookup(pid)
	if p == nil {
		return ErrNoProc
	}
	return n.register(name, p)
}

func (n *Node) register(name string, p *Process) error {
	if name == "" {
		return ErrBadName
	}
	n.names.Lock()
	defer n.names.Unlock()
	if _, taken := n.names.m[name]; taken {
		return ErrNameTaken
	}
	if p.name != "" {
		return ErrAlreadyNamed
	}
	p.mu.Lock()
	dead := p.state == exited
	p.mu.Unlock()
	if dead {
		return ErrNoProc
	}
	n.names.m[name] = p
	p.name = name
	return nil
}

// Unregister frees name. It reports whether the name was held.
func (n *Node) Unregister(name string) bool {
	n.names.Lock()
	defer n.names.Unlock()
	p, ok := n.names.m[name]
	if ok {
		delete(n.names.m, name)
		p.name = ""
	}
	return ok
}

// WhereIs returns the pid registered as name.
func (n *Node) WhereIs(name string) (PID, bool) {
	n.names.RLock()
	p, ok := n.names.m[name]
	n.names.RUnlock()
	if !ok {
		return PID{}, false
	}
	return p.pid, true
}

// SendAfter delivers v to pid after d, unless the timer is cancelled first.
func (n *Node) SendAfter(d time.Duration, to PID, v Value) Ref {
	return n.after(d, func() { n.Send(to, v) })
}

// SendNameAfter delivers v after d to whoever holds name then.
func (n *Node) SendNameAfter(d time.Duration, name string, v Value) Ref {
	return n.after(d, func() { _ = n.SendName(name, v) })
}

func (n *Node) after(d time.Duration, fire func()) Ref {
	ref := n.NewRef()
	n.timers.Lock()
	n.timers.m[ref] = time.AfterFunc(d, func() {
		n.timers.Lock()
		_, live := n.timers.m[ref]
		delete(n.timers.m, ref)
		n.timers.Unlock()
		if live {
			fire()
		}
	})
	n.timers.Unlock()
	return ref
}

// CancelTimer stops a timer of SendAfter. It reports whether the timer was
// still pending: false means the message was sent or the ref is unknown.
func (n *Node) CancelTimer(ref Ref) bool {
	n.timers.Lock()
	t, ok := n.timers.m[ref]
	delete(n.timers.m, ref)
	n.timers.Unlock()
	if ok {
		t.Stop()
	}
	return ok
}

// Shutdown kills every process with reason and waits until their bodies
// have returned, or until ctx is done. Spawn fails from then on.
func (n *Node) Shutdown(ctx context.Context, reason Value) error {
	n.life.Lock()
	n.closing = true
	n.life.Unlock()
	n.timers.Lock()
	for ref, t := range n.timers.m {
		t.Stop()
		delete(n.timers.m, ref)
	}
	n.timers.Unlock()
	n.procs.Range(func(_, v any) bool {
		p := v.(*Process)
		p.mu.Lock()
		p.killLocked(reason)
		p.mu.Unlock()
		return true
	})
	done := make(chan struct{})
	go func() { n.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Wait blocks until pid has exited and returns its exit reason. For a pid
// that has already exited it answers from the history (Config.History);
// for one it does not know it returns ErrNoProc.
func (n *Node) Wait(ctx context.Context, pid PID) (Value, error) {
	p := n.lookup(pid)
	if p == nil {
		if in, ok := n.Info(pid); ok && in.Status == Exited {
			return in.Reason, nil
		}
		return nil, ErrNoProc
	}
	select {
	case <-p.doneCh():
		return p.exitReason, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
