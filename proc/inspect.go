package proc

import (
	"maps"
	"slices"
	"sync"
	"time"
)

// Info describes one process, as inspection sees it.
type Info struct {
	PID          PID
	Parent       PID
	Name         string
	Status       Status
	TrapExit     bool
	Links        []PID
	Monitors     []PID // processes this one monitors
	MonitoredBy  []PID // processes that monitor this one
	Mailbox      int
	Received     uint64 // messages taken from the mailbox's inbox, ever
	Instructions uint64
	Memory       int64 // bytes, the host's estimate
	Initial      string
	Reason       Value // exit reason, for an exited process

	// The process's limits (zero: none): SpawnOpts.MaxMailbox,
	// MaxMailboxBytes and MaxInstructions.
	MaxMailbox      int
	MaxMailboxBytes int64
	MaxInstructions uint64
}

// Info describes pid: a live process, or one of the last exited ones
// (Config.History). It reports false for a pid it does not know.
func (n *Node) Info(pid PID) (Info, bool) {
	if p := n.lookup(pid); p != nil {
		return p.info(), true
	}
	n.history.Lock()
	defer n.history.Unlock()
	if i, ok := n.history.at[pid]; ok {
		return n.history.ring[i], true
	}
	return Info{}, false
}

// Processes describes every live process, in pid order. It costs one short
// lock per process; nothing is kept up to date for it in between.
func (n *Node) Processes() []Info {
	out := make([]Info, 0, n.Count())
	n.procs.Range(func(_, v any) bool {
		out = append(out, v.(*Process).info())
		return true
	})
	slices.SortFunc(out, func(a, b Info) int { return cmpID(a.PID.ID, b.PID.ID) })
	return out
}

func cmpID(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (p *Process) info() Info {
	in := Info{
		PID:          p.pid,
		Parent:       p.parent,
		Initial:      p.initial,
		Instructions: p.instructions.Load(),
		Memory:       p.memory.Load(),
		Received:     p.received.Load(),
		Status:       Status(p.status.Load()),

		MaxMailbox:      p.maxMailbox,
		MaxMailboxBytes: p.maxBytes,
		MaxInstructions: p.maxInstr,
	}
	p.node.names.RLock()
	in.Name = p.name
	p.node.names.RUnlock()
	p.mu.Lock()
	in.TrapExit = p.trapExit
	in.Links = sortedPIDs(maps.Keys(p.links))
	in.Monitors = sortedPIDs(maps.Values(p.watching))
	in.MonitoredBy = sortedPIDs(maps.Values(p.monitors))
	in.Mailbox = len(p.inbox) + int(p.queued.Load())
	if p.state == exited {
		in.Status = Exited
		in.Reason = p.exitReason
	}
	p.mu.Unlock()
	return in
}

func sortedPIDs(seq func(func(PID) bool)) []PID {
	s := slices.Collect(seq)
	slices.SortFunc(s, func(a, b PID) int {
		if a.Node != b.Node {
			if a.Node < b.Node {
				return -1
			}
			return 1
		}
		return cmpID(a.ID, b.ID)
	})
	return s
}

// remember keeps the description of an exited process for Info.
func (n *Node) remember(p *Process, name string, links map[PID]struct{}, watching map[Ref]PID, reason Value) {
	h := &n.history
	if h.max == 0 {
		return
	}
	in := Info{
		PID: p.pid, Parent: p.parent, Name: name, Initial: p.initial, Status: Exited, Reason: reason,
		Instructions: p.instructions.Load(), Memory: p.memory.Load(),
		Links: sortedPIDs(maps.Keys(links)), Monitors: sortedPIDs(maps.Values(watching)),
	}
	h.Lock()
	defer h.Unlock()
	if len(h.ring) < h.max {
		h.at[p.pid] = len(h.ring)
		h.ring = append(h.ring, in)
		return
	}
	delete(h.at, h.ring[h.next].PID)
	h.ring[h.next] = in
	h.at[p.pid] = h.next
	h.next = (h.next + 1) % h.max
}

// Stats are a node's totals.
type Stats struct {
	Processes  int    // live now
	Spawned    uint64 // ever
	Messages   uint64 // received by processes, ever
	Memory     int64  // the hosts' estimates, summed over live processes
	LimitKills uint64 // processes ended by max_memory, max_instructions or max_mailbox
}

// Stats returns the node's totals. It visits every live process.
func (n *Node) Stats() Stats {
	st := Stats{Spawned: n.spawned.Load(), Messages: n.messages.Load(), LimitKills: n.limitKills.Load()}
	n.procs.Range(func(_, v any) bool {
		p := v.(*Process)
		st.Processes++
		st.Messages += p.received.Load()
		st.Memory += p.memory.Load()
		return true
	})
	return st
}

// Messages returns up to max of the messages waiting in pid's mailbox,
// oldest first, and whether pid is a live process. The values are shared
// with the mailbox: do not change them.
func (n *Node) Messages(pid PID, max int) ([]Value, bool) {
	p := n.lookup(pid)
	if p == nil {
		return nil, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == exited { // between its exit and its removal from the table
		return nil, false
	}
	var out []Value
	for i := p.head; i < len(p.queue) && len(out) < max; i++ {
		out = append(out, p.queue[i].V)
	}
	for i := 0; i < len(p.inbox) && len(out) < max; i++ {
		out = append(out, p.inbox[i].V)
	}
	return out, true
}

// LogLine is a line of output of a process.
type LogLine struct {
	Seq  uint64 // 1, 2, ... in the order the node received the lines
	Time time.Time
	PID  PID
	Text string
}

type logRing struct {
	sync.Mutex
	max   int
	lines []LogLine
	next  int
	seq   uint64
}

// Log records a line of output of pid (print, log) for Logs. It keeps the
// last Config.LogLines lines.
func (n *Node) Log(pid PID, text string) {
	r := &n.logs
	if r.max == 0 {
		return
	}
	now := time.Now()
	r.Lock()
	defer r.Unlock()
	r.seq++
	line := LogLine{Seq: r.seq, Time: now, PID: pid, Text: text}
	if len(r.lines) < r.max {
		r.lines = append(r.lines, line)
		return
	}
	r.lines[r.next] = line
	r.next = (r.next + 1) % r.max
}

// Logs returns the kept lines with Seq > after, oldest first, at most max
// of them (the newest max when more are kept).
func (n *Node) Logs(after uint64, max int) []LogLine {
	r := &n.logs
	r.Lock()
	defer r.Unlock()
	var out []LogLine
	for i := range r.lines {
		l := r.lines[(r.next+i)%len(r.lines)]
		if l.Seq > after {
			out = append(out, l)
		}
	}
	if len(out) > max {
		out = out[len(out)-max:]
	}
	return out
}
