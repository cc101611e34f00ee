// Package quicnet is dlua's transport between nodes: it joins nodes of a
// cluster over QUIC, admits only peers that prove the cluster cookie, and
// carries frames (messages, exit signals, links, monitors, spawns, global
// names) between them in order. It knows nothing of Lua; values are
// proc's neutral values (nil, bool, float64, string, [proc.PID],
// [proc.Ref], *[proc.Table], *[proc.Func]), and a function's code is
// what a [proc.CodeCodec] makes of it: the key of the chunk of source it
// was compiled from, and opaque bytes naming its place there.
//
// # Model
//
// A [Node] owns one UDP socket and one quic.Transport, used both to listen
// and to dial. [New] checks a [Config]; [Node.Start] binds and starts
// admitting peers; [Node.Join] dials a node of the cluster, and
// [Node.JoinMesh] then waits until the nodes that node knew of are
// connected too (what dlua run --join and dlua node --join wait for before
// their script starts). Between two nodes there is exactly one QUIC
// connection with one bidirectional stream for frames, opened by the
// dialer; each direction of the stream is one ordered sequence of frames,
// so frames from one node to another arrive in the order they were
// queued. Requests for sources (below) take short-lived streams of their
// own.
//
// Once a peer is admitted, both sides tell each other of the nodes they
// know (a nodes frame: names and addresses; always sent, empty too, so
// that a joining node knows when it has heard of them all), and tell
// their other peers of the newcomer; a node dials every node it learns of
// and is not connected to (on at most 8 goroutines), so joining any node
// of a cluster connects a node to all (full mesh). When two nodes dial
// each other at once, the connection dialled by the node whose name sorts
// first wins on both sides and the other is closed before either side
// admits it, quietly (a debug line); no NodeUp or NodeDown is seen for
// the loser, and a Join that lost returns the winning connection.
//
// A hidden node ([Config].Hidden; an attached console) takes no part in
// gossip: nobody lists it in [Node.Nodes] or tells others of it, it is
// told of nobody, and the proc wiring carries no process signals to it.
// It may ask a peer for the nodes it knows and dial one on purpose
// ([Node.Connect]), as an Erlang hidden node connects explicitly. A node that comes back with a new incarnation ([Peer].Creation)
// replaces its old connection: NodeDown of the old comes before NodeUp of
// the new. quicnet does not reconnect on its own: a lost node comes back
// when it, or a node that gossips about it, dials again.
//
// Incoming frames and node events go to the [Handler] of the Config, which
// the proc wiring implements. For one peer, the handler sees NodeUp, then
// the peer's frames in order, then NodeDown, all from one goroutine (the
// peer's reader). ping, pong and nodes frames are handled inside quicnet.
// [Node.Send] encodes a frame in the caller's goroutine and queues it for
// the peer's writer goroutine, which sends all that waits in one write;
// Send blocks only when [Config].SendQueueSize bytes are already waiting
// (back-pressure, like Erlang's busy distribution port), and the
// receiver's handler pushes back through QUIC flow control.
//
// # Back-pressure
//
// [Node.Send] encodes a frame in the caller's goroutine and queues it for
// the peer's writer goroutine. Frames wait for room in the peer's queue by
// class: messages and spawn requests (the payload of processes) while
// [Config].SendQueueSize bytes wait; every other frame the proc wiring
// sends (exit signals, possibly with big reasons, links, monitors, DOWNs,
// replies) while SendQueueSize + [Config].ControlQueueSize bytes wait; and
// the frames a peer's reader sends on its own (pongs, "busy" answers to
// inspect requests) never wait: past that second limit the peer is
// disconnected ([ErrBusy]), since it does not read what it asked for.
// One queue per peer keeps the order of all frames to it.
//
// Waiting is bounded by the peer, not by the sender: the writer hands
// QUIC at most 256 KiB at a time, each with a deadline of
// [Config].BusyTimeout; a peer that lets nothing be written for that long
// is disconnected (Erlang's busy distribution port, then disconnect), and
// every sender waiting on it gets ErrNotConnected. So even two nodes whose
// readers both wait for room in queues that the other does not read (the
// classic distributed deadlock) come apart within BusyTimeout instead of
// hanging, and their links and monitors fire with "noconnection".
//
// A message bigger than [Config].MaxFrameSize crosses as fragments, queued
// as one unit (the body is queued by reference, not copied). The receiver
// reassembles it within [Config].MaxReassembly bytes shared by all peers:
// a peer whose message does not fit waits, and flow control slows it
// down. A message bigger than the peer's MaxMessage (from its hello) is
// refused to the sender with a *[FrameError] wrapping [ErrFrameTooBig];
// the proc wiring returns it to the process, which raises.
//
// Every goroutine that handles a peer's data (reader, writer, source
// requests, inspect requests, gossip dials) turns a panic into closing
// that connection ([ErrPanic]) with the stack in the log.
//
// NodeDown comes when the peer closes (ErrPeerShutdown), when this node
// closes (ErrClosed), when the peer sends a bad frame (a *[FrameError]),
// or when the peer is silent past the idle timeout (a
// *quic.IdleTimeoutError): a killed or partitioned node is noticed within
// [Config].IdleTimeout (default 5 s), while keep-alives
// ([Config].KeepAlivePeriod) keep a quiet but live connection up.
//
// [Node.Close] cuts every connection; [Node.Shutdown] flushes what is
// queued first and waits for the peers to close. Both return after every
// goroutine of the node has ended.
//
// # Using it from proc
//
// The proc wiring makes one Node per proc node: Config.Name and
// Config.Creation are the proc node's name and creation (so that pids
// carry them), Config.CodeCodec is the luahost Host's (Host.Codec),
// Config.MaxMessageSize the largest message a process may hold (its
// max_memory), and Config.Handler is the wiring's [Handler]. Then:
//
//   - remote send, exit, link, monitor, spawn and global names are frames:
//     [Node.Send] with the Kind and fields listed at each Kind constant;
//     the receiving side's HandleFrame applies them to its processes
//     (From is a pid of the sending node, To one of the receiving node;
//     quicnet checks both). Spawn and global requests carry a Ref that the
//     reply (spawn_reply, global_reply) returns.
//   - NodeUp/NodeDown ([Handler].HandleNodeEvent) drive proc.nodes(),
//     monitor_node, and the "noconnection" exits and DOWNs of every link
//     and monitor across to that node; NodeDown comes after the peer's
//     last frame, so nothing of that peer arrives after it. Peer.Creation
//     tells a restarted node's pids from its earlier life's.
//   - Send fails with ErrNotConnected (which wraps proc.ErrNoConnection)
//     for a node that is not (or no longer) connected, or is hidden:
//     Erlang drops such signals silently, and so does proc (a NodeDown
//     follows or has come). Any other error (a message too big for the
//     peer) reaches the sending process.
//   - Per sender→receiver order holds when one goroutine makes a
//     process's Send calls (or they are otherwise ordered).
//
// # Security
//
// Every connection is QUIC with TLS 1.3 and the ALPN "dlua/2" on both
// sides. Each node makes an ephemeral self-signed Ed25519 certificate when
// it is created; the certificate is not checked and is not what a peer is
// trusted for: the cluster cookie is. After the QUIC handshake, on the
// stream, the two sides exchange hellos (protocol version, cluster name,
// node name, creation, advertised address, Lua compiler, largest frame
// and message it accepts, hidden) and then cookie proofs:
//
//	HMAC-SHA256(cookie, "dlua/1 cookie proof\x00" || exporter ||
//	            dialer name, creation || acceptor name, creation ||
//	            cluster || role)
//
// where exporter is 32 bytes of the TLS exporter (RFC 8446 §7.5, label
// "EXPORTER-dlua-cookie-proof") of this very TLS session, strings are
// length-prefixed, and role is "dialer" or "acceptor". A proof is worth
// nothing on another connection (another exporter) and cannot be
// reflected (another role); a man in the middle has two TLS sessions and
// cannot make either proof without the cookie. Proofs are compared with
// hmac.Equal. The dialer proves first and the acceptor last, so a stranger
// that connects learns nothing it could test guesses of the cookie
// against; still, the cookie should be random and long (at least
// [MinCookieLen] bytes are required, 32 random bytes are advised).
//
// A peer that offers another ALPN, speaks another version, belongs to
// another cluster, compiles Lua with another compiler ([ErrCompiler]:
// both sides carry functions and their CodeCodec.Compiler differ), has
// this node's name, proves no cookie, or is too slow
// ([Config].HandshakeTimeout) is refused: the node logs one line ("peer
// refused", with addr, peer and reason), closes the connection with a
// short reason, and goes on serving; the peer never reaches the handler.
// Every connection attempt first proves its source address with a QUIC
// Retry (quic.Transport.VerifySourceAddress), and at most 8 handshakes
// per IP address, 64 in all, run at once; more are refused at once, so
// strangers cannot hold every slot from one address or spoofed ones.
//
// Frames from an admitted peer are checked too: size, nesting, kind, the
// shape of every value, and that a frame's From pid lives on the sending
// node (and its current incarnation) and its To pid on this node, so a
// peer cannot speak for another node's processes. A bad frame closes that
// peer's connection with a logged *FrameError; the node goes on.
//
// # Wire format
//
// After the handshake each direction of the stream is a sequence of
// frames, each a 4-byte big-endian length followed by that many bytes of
// CBOR (RFC 8949), decoded by github.com/fxamacker/cbor with strict
// options: no indefinite lengths, no duplicate or unknown map keys, no
// bignums, bounded nesting and element counts, and a body of at most
// [Config].MaxFrameSize bytes (checked before the body is read). The
// hello and proof messages use the same framing, capped at 4 KiB. The
// handshake's ProtocolVersion (and the ALPN) version the format.
//
// A frame is a CBOR map with small integer keys; zero fields are omitted:
//
//	1  kind     uint (see Kind; an unknown kind is a bad frame)
//	2  from     [node, id, creation] (a pid)
//	3  to       [node, id, creation]
//	4  pid      [node, id, creation]
//	5  ref      [node, id, creation]
//	6  name     byte string
//	7  msg      value
//	8  args     array of values
//	9  opts     value
//	10 reason   value
//	11 objects  array of objects (see below)
//	12 seq      uint
//	13 nodes    array of [name, addr]
//
// A value is null, a bool, a float (the shortest that is exact), a byte
// string (a Lua string: any bytes; a text string is accepted too), an
// unsigned integer (the index of a table or function in the frame's object
// list: numbers are always floats), tag 40960 [node, id, creation] (a pid)
// or tag 40961 [node, id, creation] (a ref). All values of a frame share
// one object list, so a table reached twice, from one value or from two
// (say, two spawn arguments), arrives as one table, and cycles arrive as
// cycles. An object is one of
//
//	[0, array part, [key, value, key, value...], "", null, null]  a table
//	[1, [cell index...], null, name, null, null]                  a builtin
//	[1, [cell index...], null, "", place, chunk key]              a function
//	[2, [value], null, "", null, null]                            an upvalue cell
//
// A function's upvalues are cells, so that two functions that captured the
// same variable ([proc.Cell]) still share it. A function's chunk key and
// place are what [proc.CodeCodec] made of its Code. Without a CodeCodec,
// functions with code can be neither sent nor received.
//
// Before a frame with functions reaches the Handler, the receiver makes
// sure it holds each chunk: the CodeCodec's own, those it kept from this
// peer (the last 1024), or, for the rest, it asks the sender on a new
// stream (a length-prefixed CBOR array of keys; the answer is one
// length-prefixed source per key, empty for unknown) while its reader
// waits, so frames keep their order; the sender answers from a goroutine
// of its own, from the chunks it offered that peer (the last 4096) or its
// CodeCodec. A source that does not come or does not match its key closes
// the connection ([ErrNoSource]). No bytecode ever crosses: the
// receiving process compiles the source with its own compiler.
//
// A frame body starting with 0xff (never the first byte of a CBOR item)
// is a fragment of a bigger message: 0xff 1, the whole body's length as
// a big-endian uint64, the first part; then 0xff 2 and the next part,
// until the length is reached (fragment.go).
//
// Depth is bounded ([Config].MaxDepth) as a recursive copier sees it: a
// walk from the values in order (msg, args, opts, reason; in a table its
// array part, then each key and value; in a function its upvalue cells;
// in a cell its value) that does not enter an object twice must not go
// deeper than MaxDepth tables and functions (cells add no level). The decoder checks it without recursion, and rejects objects
// that no value reaches.
package quicnet
