package proc

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

type lifeState uint8

const (
	alive   lifeState = iota
	exiting           // killed by a signal; the body has not returned yet
	exited
)

// Status is what a process is doing, as inspection reports it.
type Status uint32

const (
	Running Status = iota // executing its body
	Waiting               // blocked in Receive or Sleep
	Exited                // ended
)

func (s Status) String() string {
	switch s {
	case Running:
		return "running"
	case Waiting:
		return "waiting"
	default:
		return "exited"
	}
}

// Entry is one message in a mailbox. Local is a slot for the owner: a host
// may cache there its own form of V (e.g. V converted to a Lua value) so
// that a message passed over by one selective receive is not converted
// again by the next. Only the owning process touches Local.
type Entry struct {
	V     Value
	Local any
	size  int64 // as SpawnOpts.Size measured it, with MaxMailboxBytes
}

// Process is one process of a Node. Methods that act as the process
// (Receive, Link, Monitor, TrapExit, ...) must be called only by its body,
// on its own goroutine; PID, Data and the inspection methods are safe
// anywhere.
type Process struct {
	node       *Node
	pid        PID
	parent     PID
	initial    string
	maxMailbox int
	maxBytes   int64
	maxInstr   uint64
	size       func(Value) int64
	data       any
	name       string // guarded by node.names

	// Mailbox: senders append to inbox under mu and wake the owner.
	mu      sync.Mutex
	inbox   []Entry
	bytes   int64 // of the messages in inbox and queue, with maxBytes
	waiting bool
	wake    chan struct{}

	// Owner-only queue of messages taken from inbox; queue[head:] wait.
	// Only the owner changes it, under mu so that inspection may read it;
	// the owner reads it without locking.
	queue    []Entry
	head     int
	queued   atomic.Int64  // len(queue)-head, published for inspection and limits
	scanning bool          // a Receive is calling its match function
	received atomic.Uint64 // messages taken from the inbox, ever

	// Relations and life, guarded by mu.
	links    map[PID]struct{}
	monitors map[Ref]PID // monitors on this process: ref -> watcher
	watching map[Ref]PID // this process's monitors: ref -> target
	// monitor_node calls per node name, until that node goes down
	nodeMonitors map[string]int
	trapExit     bool
	state        lifeState
	exitReason   Value // the signal's reason once exiting, the final one once exited
	done         chan struct{}

	killed       atomic.Bool
	status       atomic.Uint32
	instructions atomic.Uint64
	memory       atomic.Int64
}

// PID returns the process's pid.
func (p *Process) PID() PID { return p.pid }

// Node returns the node the process runs on.
func (p *Process) Node() *Node { return p.node }

// Data returns SpawnOpts.Data.
func (p *Process) Data() any { return p.data }

// Killed reports whether an exit signal has ended the process. Once true,
// the body should return: its result is ignored.
func (p *Process) Killed() bool { return p.killed.Load() }

// SetStats publishes the host's counters for inspection: Lua VM
// instructions executed and an estimate of the heap in bytes.
func (p *Process) SetStats(instructions uint64, memory int64) {
	p.instructions.Store(instructions)
	p.memory.Store(memory)
}

func (p *Process) run(body Body) {
	defer p.node.wg.Done()
	var reason Value = Killed // if the body calls runtime.Goexit
	defer func() { p.exit(reason) }()
	reason = p.call(body)
}

// call runs the body and turns a panic into an exit reason.
func (p *Process) call(body Body) (reason Value) {
	defer func() {
		if r := recover(); r != nil {
			p.node.log.Error("process panicked", "pid", p.pid, "panic", r)
			reason = fmt.Sprint(r)
		}
	}()
	return body(p)
}

// exit runs once the body has returned: the process leaves the table, its
// name is freed, then its links and monitors fire.
func (p *Process) exit(reason Value) {
	n := p.node
	p.mu.Lock()
	if p.state == exiting {
		reason = p.exitReason
	}
	p.state = exited
	p.exitReason = reason
	links, monitors, watching := p.links, p.monitors, p.watching
	p.links, p.monitors, p.watching, p.nodeMonitors = nil, nil, nil, nil
	p.inbox = nil
	if p.done != nil {
		close(p.done)
	}
	p.mu.Unlock()
	p.status.Store(uint32(Exited))
	p.mu.Lock()
	p.queue, p.head = nil, 0
	p.mu.Unlock()
	p.queued.Store(0)
	n.messages.Add(p.received.Load())
	switch reason {
	case MemoryLimit, InstructionLimit, MailboxLimit:
		n.limitKills.Add(1)
	}

	n.names.Lock()
	name := p.name
	if name != "" {
		delete(n.names.m, name)
	}
	n.names.Unlock()
	n.remember(p, name, links, watching, reason)
	n.procs.Delete(p.pid.ID)
	n.live.Add(-1)
	n.releaseGlobals(p.pid)

	for pid := range links {
		n.exitSignal(p.pid, pid, reason, true)
	}
	for ref, watcher := range monitors {
		n.down(watcher, ref, p.pid, reason)
	}
	for ref, target := range watching {
		if n.isRemote(target) {
			if r := n.getRemote(); r != nil {
				_ = r.Demonitor(p.pid, target, ref)
			}
			continue
		}
		if t := n.lookup(target); t != nil {
			t.mu.Lock()
			delete(t.monitors, ref)
			t.mu.Unlock()
		}
	}
	if n.log.Enabled(context.Background(), slog.LevelDebug) {
		n.log.Debug("process exited", "pid", p.pid, "reason", reason)
	}
}

func (p *Process) doneCh() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done == nil {
		p.done = make(chan struct{})
		if p.state == exited {
			close(p.done)
		}
	}
	return p.done
}

// killLocked ends the process with reason, at its next chance.
func (p *Process) killLocked(reason Value) {
	if p.state != alive {
		return
	}
	p.state = exiting
	p.exitReason = reason
	p.killed.Store(true)
	p.wakeLocked()
}

func (p *Process) wakeLocked() {
	p.waiting = false
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// deliver puts e in the mailbox, unless the process is ending.
func (p *Process) deliver(e Entry) {
	if p.maxBytes > 0 {
		e.size = p.size(e.V)
	}
	p.mu.Lock()
	if p.state == alive {
		p.enqueueLocked(e)
	}
	p.mu.Unlock()
}

func (p *Process) enqueueLocked(e Entry) {
	if p.maxMailbox > 0 && len(p.inbox)+int(p.queued.Load()) >= p.maxMailbox {
		p.killLocked(MailboxLimit)
		return
	}
	if p.maxBytes > 0 {
		if p.bytes+e.size > p.maxBytes {
			p.killLocked(MemoryLimit)
			return
		}
		p.bytes += e.size
	}
	p.inbox = append(p.inbox, e)
	if p.waiting {
		p.wakeLocked()
	}
}

// Send delivers v to pid from this process. It fails only for a message
// to another node that the transport cannot carry (too big for that
// node, say); a message to a dead pid or a node that is not connected is
// lost silently.
func (p *Process) Send(to PID, v Value) error {
	if to == p.pid {
		p.deliver(Entry{V: v})
		return nil
	}
	if t := p.node.lookup(to); t != nil {
		t.deliver(Entry{V: v})
		return nil
	}
	return p.node.sendRemote(p.pid, to, v)
}

// Receive takes the oldest message for which match returns true (the
// oldest of all when match is nil) and leaves the others in order. It waits
// up to timeout for one to arrive: a negative timeout waits forever, zero
// only looks. It returns ErrTimeout when none matched, ErrKilled when the
// process has been killed. match runs on the caller's goroutine with no lock
// held; if it panics, the mailbox is left as it was; if it calls Receive,
// that call fails with ErrNestedReceive.
func (p *Process) Receive(timeout time.Duration, match func(*Entry) bool) (Entry, error) {
	if p.scanning {
		return Entry{}, ErrNestedReceive
	}
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	scan := p.head
	for {
		if p.killed.Load() {
			return Entry{}, ErrKilled
		}
		for i := scan; i < len(p.queue); i++ {
			if match == nil || p.matches(match, &p.queue[i]) {
				e := p.queue[i]
				p.removeAt(i)
				return e, nil
			}
		}
		scan = len(p.queue)
		if p.refill(timeout != 0) {
			continue
		}
		if timeout == 0 {
			return Entry{}, ErrTimeout
		}
		if timeout > 0 && timer == nil {
			timer = time.NewTimer(timeout)
		}
		if !p.block(timer) {
			return Entry{}, ErrTimeout
		}
	}
}

// matches calls match, refusing any Receive it makes: the queue must not
// change under the scan.
func (p *Process) matches(match func(*Entry) bool, e *Entry) bool {
	p.scanning = true
	defer func() { p.scanning = false }()
	return match(e)
}

// block waits for a wake-up (a message or a kill). It returns false when
// the timer fired first.
func (p *Process) block(timer *time.Timer) bool {
	p.status.Store(uint32(Waiting))
	defer p.status.Store(uint32(Running))
	if timer == nil {
		<-p.wake
		return true
	}
	select {
	case <-p.wake:
		return true
	case <-timer.C:
		return false
	}
}

// refill moves the inbox to the queue. It reports whether it moved
// anything; when it did not and wait is set, the process is marked waiting
// so that the next sender wakes it.
func (p *Process) refill(wait bool) bool {
	p.mu.Lock()
	if len(p.inbox) == 0 {
		p.waiting = wait
		p.mu.Unlock()
		return false
	}
	p.received.Store(p.received.Load() + uint64(len(p.inbox)))
	p.queue = append(p.queue, p.inbox...)
	clear(p.inbox)
	p.inbox = p.inbox[:0]
	p.waiting = false
	p.queued.Store(int64(len(p.queue) - p.head))
	p.mu.Unlock()
	return true
}

func (p *Process) removeAt(i int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bytes -= p.queue[i].size
	if i == p.head {
		p.queue[i] = Entry{}
		p.head++
	} else {
		copy(p.queue[i:], p.queue[i+1:])
		p.queue[len(p.queue)-1] = Entry{}
		p.queue = p.queue[:len(p.queue)-1]
	}
	if p.head == len(p.queue) {
		p.queue, p.head = p.queue[:0], 0
	}
	p.queued.Store(int64(len(p.queue) - p.head))
}

// Sleep waits for d, or until the process is killed (then ErrKilled).
// Messages that arrive meanwhile stay in the mailbox.
func (p *Process) Sleep(d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		if p.killed.Load() {
			return ErrKilled
		}
		p.mu.Lock()
		p.waiting = true
		p.mu.Unlock()
		if !p.block(timer) {
			return nil
		}
	}
}

// TrapExit sets whether exit signals arrive as messages, and returns the
// previous setting.
func (p *Process) TrapExit(on bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	was := p.trapExit
	p.trapExit = on
	return was
}

// Link links the process with pid: when either ends, the other receives an
// exit signal. Linking with a process that does not exist (or is on a node
// this one cannot reach) sends this process an exit signal with reason
// "noproc" (or "noconnection") at once.
func (p *Process) Link(pid PID) {
	if pid == p.pid {
		return
	}
	p.mu.Lock()
	p.addLink(pid)
	p.mu.Unlock()
	reason := Value(NoConnection)
	if t := p.node.lookup(pid); t != nil {
		t.mu.Lock()
		ok := t.state != exited
		if ok {
			t.addLink(p.pid)
		}
		t.mu.Unlock()
		if ok {
			return
		}
		reason = NoProc
	} else if !p.node.isRemote(pid) {
		reason = NoProc
	} else if r := p.node.getRemote(); r != nil && r.Link(p.pid, pid) == nil {
		return // NodeDown, if it comes, finds the link
	}
	p.node.exitSignal(pid, p.pid, reason, true)
}

// Unlink removes the link with pid, if any.
func (p *Process) Unlink(pid PID) {
	p.mu.Lock()
	_, linked := p.links[pid]
	delete(p.links, pid)
	p.mu.Unlock()
	if p.node.isRemote(pid) {
		if r := p.node.getRemote(); r != nil && linked {
			_ = r.Unlink(p.pid, pid)
		}
		return
	}
	if t := p.node.lookup(pid); t != nil {
		t.mu.Lock()
		delete(t.links, p.pid)
		t.mu.Unlock()
	}
}

func (p *Process) addLink(pid PID) {
	if p.links == nil {
		p.links = make(map[PID]struct{}, 1)
	}
	p.links[pid] = struct{}{}
}

func (p *Process) addWatch(ref Ref, pid PID) {
	if p.watching == nil {
		p.watching = make(map[Ref]PID, 1)
	}
	p.watching[ref] = pid
}

// Monitor starts watching pid: when it ends, this process receives
// {tag="DOWN", ref=ref, pid=pid, reason=...}. A pid that is not alive gives
// DOWN at once with "noproc" (or "noconnection" for an unreachable node).
func (p *Process) Monitor(pid PID) Ref {
	n := p.node
	ref := n.NewRef()
	if t := n.lookup(pid); t != nil {
		t.mu.Lock()
		ok := t.state != exited
		if ok {
			if t.monitors == nil {
				t.monitors = make(map[Ref]PID, 1)
			}
			t.monitors[ref] = p.pid
		}
		t.mu.Unlock()
		if ok {
			p.mu.Lock()
			p.addWatch(ref, pid)
			p.mu.Unlock()
			return ref
		}
	}
	reason := Value(NoProc)
	if n.isRemote(pid) {
		reason = NoConnection
		if r := n.getRemote(); r != nil {
			p.mu.Lock()
			p.addWatch(ref, pid)
			p.mu.Unlock()
			if r.Monitor(p.pid, pid, ref) == nil {
				return ref // NodeDown, if it comes, finds the monitor
			}
			p.mu.Lock()
			_, still := p.watching[ref] // else NodeDown delivered DOWN
			delete(p.watching, ref)
			p.mu.Unlock()
			if !still {
				return ref
			}
		}
	}
	p.deliver(Entry{V: downMessage(ref, pid, reason)})
	return ref
}

// Demonitor stops a monitor. A DOWN message already in the mailbox stays.
// It reports whether the monitor was active.
func (p *Process) Demonitor(ref Ref) bool {
	p.mu.Lock()
	target, ok := p.watching[ref]
	delete(p.watching, ref)
	p.mu.Unlock()
	if !ok {
		return false
	}
	if p.node.isRemote(target) {
		if r := p.node.getRemote(); r != nil {
			_ = r.Demonitor(p.pid, target, ref)
		}
		return true
	}
	if t := p.node.lookup(target); t != nil {
		t.mu.Lock()
		delete(t.monitors, ref)
		t.mu.Unlock()
	}
	return true
}

// Exit sends an exit signal with reason to pid (to itself too, as Erlang's
// exit/2 does).
func (p *Process) Exit(pid PID, reason Value) {
	p.node.exitSignal(p.pid, pid, reason, false)
}

// MailboxLen returns how many messages wait in the mailbox.
func (p *Process) MailboxLen() int {
	p.mu.Lock()
	n := len(p.inbox)
	p.mu.Unlock()
	return n + int(p.queued.Load())
}
