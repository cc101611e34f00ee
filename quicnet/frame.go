package quicnet

import (
	"strconv"

	"github.com/dlua/dlua/proc"
)

// Kind is the kind of a frame. Its value is part of the wire format.
type Kind uint8

// Frame kinds. The comment of each lists the Frame fields it uses; the
// others are zero. Pids in From must live on the sending node and pids in
// To on the receiving node: the receiver checks both (see [ErrForeign]).
const (
	// KindSend delivers Msg from From to the process To.
	KindSend Kind = iota + 1
	// KindSendName delivers Msg from From to the process registered as
	// Name on the receiving node.
	KindSendName
	// KindExit is an exit signal with Reason from From to To
	// (proc.exit(pid, reason)).
	KindExit
	// KindLinkExit tells To that its linked process From ended with
	// Reason: To drops the link and handles the signal.
	KindLinkExit
	// KindLink links From and To.
	KindLink
	// KindUnlink removes the link between From and To.
	KindUnlink
	// KindMonitor makes From monitor To (or the process registered as
	// Name) under Ref.
	KindMonitor
	// KindDemonitor removes the monitor Ref of From on To.
	KindDemonitor
	// KindDown tells To that the process From it monitored under Ref
	// ended with Reason.
	KindDown
	// KindSpawnRequest asks the receiving node to spawn Msg (a *proc.Func,
	// or a "module.function" string) with Args and options Opts on behalf
	// of From; Ref identifies the request.
	KindSpawnRequest
	// KindSpawnReply answers the request Ref of To: PID is the new
	// process, or Reason says why there is none.
	KindSpawnReply
	// KindGlobalRegister asks the receiver, the arbiter of global names,
	// to give the global Name to PID; From asks, Ref identifies the
	// request (see proc/global.go for the protocol).
	KindGlobalRegister
	// KindGlobalUnregister asks the arbiter to free the global Name if PID
	// holds it (anyone, for a zero PID). With a zero Ref no reply is
	// wanted: it is the notice that the owner From has exited.
	KindGlobalUnregister
	// KindGlobalReply answers the request Ref of To: Reason is nil when
	// the receiver agrees, else why not.
	KindGlobalReply
	// KindGlobalSync carries changes of global names: Msg is a
	// *proc.Table of name → pid (names set), Args the names removed, and
	// Opts "merge" for the sender's whole table sent right after NodeUp
	// (known names are then kept).
	KindGlobalSync

	// KindNodes is gossip: Nodes lists the sender's peers. Internal: the
	// receiver connects to the ones it does not know.
	KindNodes
	// KindPing asks for a KindPong with the same Seq. Internal (Node.Ping).
	KindPing
	// KindPong answers a KindPing. Internal.
	KindPong
	// KindInspectRequest asks the receiving node for inspection data or
	// a console action: Name is the operation, Args its arguments, Ref
	// identifies the request (see inspect.go).
	KindInspectRequest
	// KindInspectReply answers the inspect request Ref: Msg is the result,
	// or Reason (a string) says why there is none; Opts "noproc" marks an
	// unknown process.
	KindInspectReply

	kindEnd // one past the last kind
)

var kindNames = [...]string{
	KindSend:             "send",
	KindSendName:         "send_name",
	KindExit:             "exit",
	KindLinkExit:         "link_exit",
	KindLink:             "link",
	KindUnlink:           "unlink",
	KindMonitor:          "monitor",
	KindDemonitor:        "demonitor",
	KindDown:             "down",
	KindSpawnRequest:     "spawn_request",
	KindSpawnReply:       "spawn_reply",
	KindGlobalRegister:   "global_register",
	KindGlobalUnregister: "global_unregister",
	KindGlobalReply:      "global_reply",
	KindGlobalSync:       "global_sync",
	KindNodes:            "nodes",
	KindPing:             "ping",
	KindPong:             "pong",
	KindInspectRequest:   "inspect_request",
	KindInspectReply:     "inspect_reply",
}

// String returns the kind's name, e.g. "send", or "kind(N)" for an
// unknown kind.
func (k Kind) String() string {
	if k > 0 && k < kindEnd {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Valid reports whether k is a kind this version knows.
func (k Kind) Valid() bool { return k > 0 && k < kindEnd }

// internal reports whether frames of kind k are handled by quicnet itself
// and never reach the Handler.
func (k Kind) internal() bool { return k == KindNodes || k == KindPing || k == KindPong }

// Frame is one unit of the wire protocol: a kind and the fields that kind
// uses (see the Kind constants). All Values of a frame (Msg, Args, Opts,
// Reason) are encoded as one graph: a table shared between them, or a
// cycle through them, arrives shared as it was sent.
//
// A Frame handed to Send must not be changed until Send returns; a Frame
// handed to a Handler belongs to it.
type Frame struct {
	Kind Kind
	// From is the sending process.
	From proc.PID
	// To is the receiving process.
	To proc.PID
	// PID is the subject of a spawn reply or a global name operation.
	PID proc.PID
	// Ref is a monitor's ref, or the id of a request and its reply.
	Ref proc.Ref
	// Name is a registered or global name (any bytes).
	Name string
	// Msg is the message, the function to spawn, or global names.
	Msg proc.Value
	// Args are the arguments of a spawn.
	Args []proc.Value
	// Opts are the options of a spawn.
	Opts proc.Value
	// Reason is an exit reason, or why a request failed.
	Reason proc.Value
	// Seq numbers pings and pongs.
	Seq uint64
	// Nodes is the gossip of a KindNodes frame.
	Nodes []NodeAddr
}

// NodeAddr is a node as gossip tells of it.
type NodeAddr struct {
	Name string
	Addr string
}

// Peer is a connected node.
type Peer struct {
	// Name is the peer's node name.
	Name string
	// Creation is the incarnation of the peer; its pids carry it.
	Creation uint32
	// Addr is where the peer can be dialled (its advertised address).
	Addr string
	// Hidden marks a hidden node (Config.Hidden): a console, say.
	Hidden bool
}

// EventKind tells a NodeUp from a NodeDown.
type EventKind uint8

const (
	// NodeUp: a peer was admitted. It comes before any frame of the peer.
	NodeUp EventKind = iota + 1
	// NodeDown: a peer's connection ended. It comes after the last frame
	// of the peer. Err says why.
	NodeDown
)

func (k EventKind) String() string {
	switch k {
	case NodeUp:
		return "nodeup"
	case NodeDown:
		return "nodedown"
	}
	return "event(" + strconv.Itoa(int(k)) + ")"
}

// NodeEvent is a peer coming or going.
type NodeEvent struct {
	Kind EventKind
	Peer Peer
	// Err is why a NodeDown happened: ErrPeerShutdown (the peer closed),
	// ErrClosed (this node closed), ErrReplaced, a *FrameError (the peer
	// sent a bad frame), a *quic.IdleTimeoutError (the peer went silent),
	// or another transport error. Nil for NodeUp.
	Err error
}

// Handler receives what peers send. The proc wiring implements it.
//
// For one peer, calls are made from one goroutine, in order: NodeUp, then
// the peer's frames in the order it sent them, then NodeDown. Calls for
// different peers are concurrent. A handler must return promptly: while it
// runs, that peer's frames wait (and, past the flow-control window, the
// peer's sends block).
type Handler interface {
	// HandleFrame is called for each frame of an admitted peer, except the
	// internal kinds (nodes, ping, pong). f belongs to the handler.
	HandleFrame(from Peer, f *Frame)
	// HandleNodeEvent is called when a peer is admitted or its connection
	// ends.
	HandleNodeEvent(ev NodeEvent)
}

// HandlerFuncs adapts two functions to a Handler. A nil function drops
// what it would receive.
type HandlerFuncs struct {
	Frame func(from Peer, f *Frame)
	Event func(ev NodeEvent)
}

// HandleFrame calls h.Frame, if set.
func (h HandlerFuncs) HandleFrame(from Peer, f *Frame) {
	if h.Frame != nil {
		h.Frame(from, f)
	}
}

// HandleNodeEvent calls h.Event, if set.
func (h HandlerFuncs) HandleNodeEvent(ev NodeEvent) {
	if h.Event != nil {
		h.Event(ev)
	}
}
