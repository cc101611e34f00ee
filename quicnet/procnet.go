package quicnet

import (
	"context"
	"errors"
	"fmt"

	"github.com/dlua/dlua/proc"
)

// Bind makes a Node that carries the signals of the proc node pn: it sets
// cfg's Name and Creation to pn's, installs a Handler that applies
// incoming frames to pn (and tells it of nodes coming and going), and sets
// itself as pn's [proc.Remote]. cfg.Handler must be nil. The caller then
// starts the node (Start, Join) and, when done, shuts pn down before the
// node, so that the last exit signals reach the peers.
func Bind(pn *proc.Node, cfg Config) (*Node, error) {
	if cfg.Handler != nil {
		return nil, errors.New("quicnet: Bind sets the Handler itself")
	}
	cfg.Name = pn.Name()
	cfg.Creation = pn.Creation()
	w := &wiring{pn: pn}
	cfg.Handler = w
	n, err := New(cfg)
	if err != nil {
		return nil, err
	}
	w.qn = n
	pn.SetRemote(w)
	return n, nil
}

// wiring is both sides of Bind: a proc.Remote that turns signals into
// frames, and a Handler that turns frames into calls on the proc node.
type wiring struct {
	pn *proc.Node
	qn *Node
}

// send queues f for node; a node that is not connected (or hidden)
// gives ErrNotConnected, which proc treats as a lost signal (or
// "noconnection" for link and monitor); a frame that cannot cross gives
// a *FrameError, which reaches the sending process. The frames that
// carry a process's payload (send, send_name, spawn_request) wait for
// room under SendQueueSize, every other one under SendQueueSize +
// ControlQueueSize (see "Back-pressure" in doc.go).
func (w *wiring) send(node string, f *Frame) error {
	if w.qn.hidden(node) {
		return fmt.Errorf("%w: %s is a hidden node", ErrNotConnected, node)
	}
	err := w.qn.send(context.Background(), node, f, classOf(f.Kind))
	var fe *FrameError
	if errors.As(err, &fe) && errors.Is(err, ErrFrameTooBig) && isSignal(f.Kind) {
		// A link or monitor must still fire: the signal crosses with a
		// reason that says what became of the one too big to cross.
		g := *f
		g.Reason = fmt.Sprintf("%s reason of %d bytes, too big for node %s", f.Kind, fe.Size, node)
		err = w.qn.send(context.Background(), node, &g, classOf(f.Kind))
	}
	return err
}

// isSignal reports whether frames of kind k are exit signals or DOWNs,
// whose reason may be any value.
func isSignal(k Kind) bool { return k == KindExit || k == KindLinkExit || k == KindDown }

// classOf returns the class of frames of kind k in the peer's send queue.
func classOf(k Kind) class {
	switch k {
	case KindSend, KindSendName, KindSpawnRequest:
		return classPayload
	}
	return classControl
}

func (w *wiring) Send(from, to proc.PID, v proc.Value) error {
	return w.send(to.Node, &Frame{Kind: KindSend, From: from, To: to, Msg: v})
}

func (w *wiring) SendName(from proc.PID, name, node string, v proc.Value) error {
	return w.send(node, &Frame{Kind: KindSendName, From: from, Name: name, Msg: v})
}

func (w *wiring) Exit(from, to proc.PID, reason proc.Value, viaLink bool) error {
	k := KindExit
	if viaLink {
		k = KindLinkExit
	}
	return w.send(to.Node, &Frame{Kind: k, From: from, To: to, Reason: reason})
}

func (w *wiring) Link(from, to proc.PID) error {
	return w.send(to.Node, &Frame{Kind: KindLink, From: from, To: to})
}

func (w *wiring) Unlink(from, to proc.PID) error {
	return w.send(to.Node, &Frame{Kind: KindUnlink, From: from, To: to})
}

func (w *wiring) Monitor(from, to proc.PID, ref proc.Ref) error {
	return w.send(to.Node, &Frame{Kind: KindMonitor, From: from, To: to, Ref: ref})
}

func (w *wiring) Demonitor(from, to proc.PID, ref proc.Ref) error {
	return w.send(to.Node, &Frame{Kind: KindDemonitor, From: from, To: to, Ref: ref})
}

func (w *wiring) Down(from, to proc.PID, ref proc.Ref, reason proc.Value) error {
	return w.send(to.Node, &Frame{Kind: KindDown, From: from, To: to, Ref: ref, Reason: reason})
}

func (w *wiring) Spawn(from proc.PID, node string, ref proc.Ref, req proc.SpawnRequest) error {
	opts := &proc.Table{Hash: []proc.Field{{Key: "link", Val: req.Link}, {Key: "monitor", Val: req.Monitor}}}
	if req.Name != "" {
		opts.Hash = append(opts.Hash, proc.Field{Key: "name", Val: req.Name})
	}
	if req.Limits != nil {
		opts.Hash = append(opts.Hash, proc.Field{Key: "limits", Val: req.Limits})
	}
	return w.send(node, &Frame{Kind: KindSpawnRequest, From: from, Ref: ref, Msg: req.Fn, Args: req.Args, Opts: opts})
}

// spawnRequest reads a spawn_request frame back into a proc.SpawnRequest.
func spawnRequest(f *Frame) proc.SpawnRequest {
	req := proc.SpawnRequest{Fn: f.Msg, Args: f.Args}
	if t, ok := f.Opts.(*proc.Table); ok {
		req.Link, _ = t.Get("link").(bool)
		req.Monitor, _ = t.Get("monitor").(bool)
		req.Name, _ = t.Get("name").(string)
		req.Limits = t.Get("limits")
	}
	return req
}

func (w *wiring) GlobalRegister(node string, from proc.PID, ref proc.Ref, name string, pid proc.PID) error {
	return w.send(node, &Frame{Kind: KindGlobalRegister, From: from, Ref: ref, Name: name, PID: pid})
}

func (w *wiring) GlobalUnregister(node string, from proc.PID, ref proc.Ref, name string, pid proc.PID) error {
	return w.send(node, &Frame{Kind: KindGlobalUnregister, From: from, Ref: ref, Name: name, PID: pid})
}

func (w *wiring) GlobalReply(to proc.PID, ref proc.Ref, ok bool) error {
	f := &Frame{Kind: KindGlobalReply, To: to, Ref: ref}
	if !ok {
		f.Reason = "refused"
	}
	return w.send(to.Node, f)
}

// GlobalSync sends a global_sync frame: Msg is a table name -> pid of the
// names set, Args the names removed, Opts "merge" for a whole table sent
// on node up.
func (w *wiring) GlobalSync(node string, set map[string]proc.PID, del []string, merge bool) error {
	t := &proc.Table{Hash: make([]proc.Field, 0, len(set))}
	for name, pid := range set {
		t.Hash = append(t.Hash, proc.Field{Key: name, Val: pid})
	}
	f := &Frame{Kind: KindGlobalSync, Msg: t}
	for _, name := range del {
		f.Args = append(f.Args, name)
	}
	if merge {
		f.Opts = "merge"
	}
	return w.send(node, f)
}

// globalSync reads a global_sync frame back; entries of the wrong types
// are skipped.
func globalSync(f *Frame) (set map[string]proc.PID, del []string, merge bool) {
	set = make(map[string]proc.PID)
	if t, ok := f.Msg.(*proc.Table); ok {
		for _, fl := range t.Hash {
			name, ok1 := fl.Key.(string)
			pid, ok2 := fl.Val.(proc.PID)
			if ok1 && ok2 && name != "" && !pid.IsZero() {
				set[name] = pid
			}
		}
	}
	for _, a := range f.Args {
		if name, ok := a.(string); ok {
			del = append(del, name)
		}
	}
	return set, del, f.Opts == "merge"
}

func (w *wiring) Nodes() []string { return w.qn.Nodes() }

// HandleFrame applies a peer's frame to the proc node. quicnet has checked
// that From lives on the peer and To on this node.
func (w *wiring) HandleFrame(from Peer, f *Frame) {
	if from.Hidden {
		w.qn.log.Debug("signal from a hidden node dropped", "peer", from.Name, "kind", f.Kind.String())
		return
	}
	pn := w.pn
	switch f.Kind {
	case KindSend:
		pn.RemoteSend(f.From, f.To, f.Msg)
	case KindSendName:
		pn.RemoteSendName(f.From, f.Name, f.Msg)
	case KindExit:
		pn.RemoteExit(f.From, f.To, f.Reason, false)
	case KindLinkExit:
		pn.RemoteExit(f.From, f.To, f.Reason, true)
	case KindLink:
		pn.RemoteLink(f.From, f.To)
	case KindUnlink:
		pn.RemoteUnlink(f.From, f.To)
	case KindMonitor:
		pn.RemoteMonitor(f.From, f.To, f.Ref)
	case KindDemonitor:
		pn.RemoteDemonitor(f.From, f.To, f.Ref)
	case KindDown:
		pn.RemoteDown(f.From, f.To, f.Ref, f.Reason)
	case KindSpawnRequest:
		// The reply is queued before the new process runs, so it reaches
		// the spawner before any signal of that process.
		pn.RemoteSpawn(f.From, f.Ref, spawnRequest(f), func(pid proc.PID, err error) {
			r := &Frame{Kind: KindSpawnReply, To: f.From, Ref: f.Ref, PID: pid}
			if err != nil {
				r.Reason = err.Error()
			}
			_ = w.send(from.Name, r)
		})
	case KindSpawnReply:
		pn.RemoteSpawnReply(f.To, f.Ref, f.PID, f.Reason)
	case KindGlobalRegister:
		// The arbiter's sync reaches every node, this one included, before
		// the reply, on the same ordered stream.
		pn.RemoteGlobalRegister(f.From, f.Ref, f.Name, f.PID, func(ok bool) {
			_ = w.GlobalReply(f.From, f.Ref, ok)
		})
	case KindGlobalUnregister:
		pn.RemoteGlobalUnregister(f.From, f.Ref, f.Name, f.PID, func(ok bool) {
			_ = w.GlobalReply(f.From, f.Ref, ok)
		})
	case KindGlobalReply:
		pn.RemoteGlobalReply(f.Ref, f.Reason == nil)
	case KindGlobalSync:
		set, del, merge := globalSync(f)
		pn.RemoteGlobalSync(from.Name, set, del, merge)
	default:
		w.qn.log.Debug("frame not handled", "peer", from.Name, "kind", f.Kind.String())
	}
}

// HandleNodeEvent tells the proc node of a peer coming or going.
func (w *wiring) HandleNodeEvent(ev NodeEvent) {
	if ev.Peer.Hidden {
		return // proc knows nothing of hidden nodes
	}
	switch ev.Kind {
	case NodeUp:
		w.pn.NodeUp(ev.Peer.Name)
	case NodeDown:
		w.pn.NodeDown(ev.Peer.Name, ev.Peer.Creation)
	}
}
