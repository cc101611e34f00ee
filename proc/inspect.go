package proc

import (
	"maps"
	"slices"
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
	Instructions uint64
	Memory       int64 // bytes, the host's estimate
	Initial      string
	Reason       Value // exit reason, for an exited process
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
		Status:       Status(p.status.Load()),
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
