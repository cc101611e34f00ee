package quicnet

import (
	"errors"
	"fmt"
	"net"

	"github.com/dlua/dlua/proc"
)

// Sentinel errors. Branch on them with errors.Is: the errors that quicnet
// returns wrap them with context.
var (
	// ErrClosed is returned by the methods of a node that is closed or
	// shutting down. errors.Is(ErrClosed, net.ErrClosed) holds.
	ErrClosed error = closedError{}
	// ErrNotStarted is returned by Join, Send and Ping before Start.
	ErrNotStarted = errors.New("quicnet: node not started")
	// ErrNotConnected is returned by Send and Ping for a node that is not a
	// connected peer. errors.Is(ErrNotConnected, proc.ErrNoConnection)
	// holds.
	ErrNotConnected error = notConnectedError{}

	// ErrAuth: the peer did not prove that it holds the cluster cookie.
	ErrAuth = errors.New("quicnet: cookie proof failed")
	// ErrCluster: the peer belongs to another cluster.
	ErrCluster = errors.New("quicnet: cluster name differs")
	// ErrVersion: the peer speaks another protocol version or ALPN.
	ErrVersion = errors.New("quicnet: unsupported protocol version")
	// ErrCompiler: the peer compiles Lua with another compiler
	// (proc.CodeCodec.Compiler), so functions would not run alike.
	ErrCompiler = errors.New("quicnet: peer has another Lua compiler")
	// ErrBadHello: the peer's hello was malformed (bad node name, address,
	// creation).
	ErrBadHello = errors.New("quicnet: malformed hello")
	// ErrSelf: the peer has this node's own name (a dial to oneself, or a
	// name clash).
	ErrSelf = errors.New("quicnet: peer has this node's name")
	// ErrRefused: the peer closed the connection during the handshake; its
	// reason, if it gave one, is in the wrapping error's text.
	ErrRefused = errors.New("quicnet: refused by peer")
	// ErrDuplicate: a connection to the same node already exists (or wins
	// the tie-break); this one was dropped.
	ErrDuplicate = errors.New("quicnet: duplicate connection")

	// ErrFrameTooBig: a frame is larger than Config.MaxFrameSize, or a
	// message larger than the receiver's MaxMessageSize.
	ErrFrameTooBig = errors.New("quicnet: frame too big")
	// ErrNoSource: a peer sent a function whose chunk's source it could
	// not give (or gave a source that does not match the chunk's key).
	ErrNoSource = errors.New("quicnet: no source for a function's chunk")
	// ErrTooDeep: a value nests tables or functions deeper than
	// Config.MaxDepth.
	ErrTooDeep = errors.New("quicnet: value nested too deep")
	// ErrUnknownKind: a frame has a kind this version does not know.
	ErrUnknownKind = errors.New("quicnet: unknown frame kind")
	// ErrMalformed: a frame's bytes do not decode to a valid frame.
	ErrMalformed = errors.New("quicnet: malformed frame")
	// ErrForeign: a frame names a sending process that does not live on the
	// sending node, or a receiving process that does not live here.
	ErrForeign = errors.New("quicnet: pid of the wrong node")
	// ErrUnsendable: a value cannot be encoded (an unsupported Go type, a
	// function with Code and no Config.CodeCodec, ...).
	ErrUnsendable = errors.New("quicnet: value cannot be sent")

	// ErrPeerShutdown: the peer closed the connection normally.
	ErrPeerShutdown = errors.New("quicnet: peer shut down")
	// ErrReplaced: a new incarnation of the peer (or the winner of a
	// duplicate tie-break) took the place of this connection.
	ErrReplaced = errors.New("quicnet: connection replaced")
	// ErrBusy: the peer did not read what this node had to send for
	// Config.BusyTimeout, or let more replies pile up than
	// Config.ControlQueueSize; it was disconnected.
	ErrBusy = errors.New("quicnet: peer not reading")
	// ErrPanic: handling the peer's data panicked (a bug); the connection
	// was closed and the stack logged.
	ErrPanic = errors.New("quicnet: panic handling peer data")
	// ErrMeshTimeout: JoinMesh's context ended before every node that the
	// joined node knew of was connected.
	ErrMeshTimeout = errors.New("quicnet: cluster not fully connected")
)

type notConnectedError struct{}

func (notConnectedError) Error() string        { return "quicnet: node not connected" }
func (notConnectedError) Is(target error) bool { return target == proc.ErrNoConnection }

type closedError struct{}

func (closedError) Error() string        { return "quicnet: node closed" }
func (closedError) Is(target error) bool { return target == net.ErrClosed }

// FrameError reports a frame that could not be encoded or decoded. It
// unwraps to one of [ErrFrameTooBig], [ErrTooDeep], [ErrUnknownKind],
// [ErrMalformed], [ErrForeign] or [ErrUnsendable], possibly wrapping the
// codec's own error as well.
type FrameError struct {
	// Peer is the node the frame came from (decoding) or was for
	// (encoding); the remote address during a handshake.
	Peer string
	// Kind is the frame's kind, when known; zero otherwise.
	Kind Kind
	// Size is the length of the frame's body in bytes, when known.
	Size int
	// Decode is true for a received frame, false for one being sent.
	Decode bool
	// Err says what is wrong.
	Err error
}

func (e *FrameError) Error() string {
	op := "encode"
	if e.Decode {
		op = "decode"
	}
	s := "quicnet: " + op + " frame"
	if e.Kind != 0 {
		s += " " + e.Kind.String()
	}
	if e.Peer != "" {
		if e.Decode {
			s += " from " + e.Peer
		} else {
			s += " for " + e.Peer
		}
	}
	if e.Size > 0 {
		s += fmt.Sprintf(" (%d bytes)", e.Size)
	}
	return s + ": " + e.Err.Error()
}

func (e *FrameError) Unwrap() error { return e.Err }

// HandshakeError reports a connection that was not admitted: by this node
// (the error is logged) or by the peer (the error is returned by Join).
// It unwraps to one of [ErrAuth], [ErrCluster], [ErrVersion], [ErrCompiler],
// [ErrBadHello], [ErrSelf], [ErrRefused], [ErrDuplicate], [ErrClosed], a
// [*FrameError], or the transport's own error (a timeout, a TLS failure).
type HandshakeError struct {
	// Addr is the peer's address as this node sees it.
	Addr string
	// Node is the peer's node name, once known.
	Node string
	// Err says what failed.
	Err error
}

func (e *HandshakeError) Error() string {
	s := "quicnet: handshake with " + e.Addr
	if e.Node != "" {
		s += " (" + e.Node + ")"
	}
	return s + ": " + e.Err.Error()
}

func (e *HandshakeError) Unwrap() error { return e.Err }
