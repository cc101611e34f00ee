package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/dlua/dlua/proc"
	"github.com/dlua/dlua/quicnet"
	"github.com/dlua/dlua/tui"
)

// Remote inspection: every cluster node (dlua node, dlua run with cluster
// flags) answers inspect requests (quicnet/inspect.go) from its tui.Local,
// and "dlua console --attach" reads a node through remoteSource. On the
// wire, an operation is its name and its arguments as proc values (pids,
// numbers, strings); a result is the CBOR of the tui/proc Go struct, as
// one Lua string value (the frame is bounded by quicnet's MaxFrameSize, 8
// MiB by default).

// Snapshot bounds: a snapshot carries at most maxSnapshotProcs processes
// (the lowest pids; Stats.Processes still counts them all), and at most
// maxSnapshotPIDs links, monitors and monitored-by of each (Info gives a
// process's full lists).
const (
	maxSnapshotProcs = 20000
	maxSnapshotPIDs  = 64
	maxInspectItems  = 10000 // messages and log lines per request
)

// Operation names of inspect requests.
const (
	opSnapshot = "snapshot"
	opInfo     = "info"
	opMessages = "messages"
	opLogs     = "logs"
	opKill     = "kill"
	opExit     = "exit"
	opSend     = "send"
	opEval     = "eval"
	opNodes    = "nodes"
	opCount    = "count" // live processes, as a number: cheap, for the cluster view
)

var (
	wireEnc cbor.EncMode
	wireDec cbor.DecMode
)

func init() {
	var err error
	if wireEnc, err = (cbor.EncOptions{Time: cbor.TimeRFC3339Nano}).EncMode(); err != nil {
		panic(err)
	}
	if wireDec, err = (cbor.DecOptions{MaxArrayElements: 1 << 20, MaxMapPairs: 1 << 16}).DecMode(); err != nil {
		panic(err)
	}
}

// encodeResult is the wire form of a result: CBOR in a string value.
func encodeResult(v any) (proc.Value, error) {
	b, err := wireEnc.Marshal(v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// decodeResult reads a result back into out.
func decodeResult(v proc.Value, out any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("inspect: bad reply of type %T", v)
	}
	if err := wireDec.Unmarshal([]byte(s), out); err != nil {
		return fmt.Errorf("inspect: bad reply: %w", err)
	}
	return nil
}

// wireInfo is in with the bounds of a snapshot, and without its exit
// reason (a Lua value; Detail.Reason carries it printed).
func wireInfo(in proc.Info, maxPIDs int) proc.Info {
	in.Reason = nil
	if maxPIDs > 0 {
		in.Links = capPIDs(in.Links, maxPIDs)
		in.Monitors = capPIDs(in.Monitors, maxPIDs)
		in.MonitoredBy = capPIDs(in.MonitoredBy, maxPIDs)
	}
	return in
}

func capPIDs(ps []proc.PID, n int) []proc.PID {
	if len(ps) > n {
		return ps[:n]
	}
	return ps
}

// nodeInspector answers inspect requests from a node's tui.Local.
type nodeInspector struct {
	src *tui.Local
	qn  *quicnet.Node
}

func argPID(args []proc.Value, i int) (proc.PID, error) {
	if i < len(args) {
		if p, ok := args[i].(proc.PID); ok {
			return p, nil
		}
	}
	return proc.PID{}, fmt.Errorf("argument %d: want a pid", i+1)
}

func argString(args []proc.Value, i int) (string, error) {
	if i < len(args) {
		if s, ok := args[i].(string); ok {
			return s, nil
		}
	}
	return "", fmt.Errorf("argument %d: want a string", i+1)
}

func argInt(args []proc.Value, i int) (int, error) {
	if i < len(args) {
		if f, ok := args[i].(float64); ok && f >= 0 && f <= 1<<53 {
			return int(f), nil
		}
	}
	return 0, fmt.Errorf("argument %d: want a number >= 0", i+1)
}

// Inspect implements quicnet.Inspector.
func (ni *nodeInspector) Inspect(ctx context.Context, from quicnet.Peer, op string, args []proc.Value) (proc.Value, error) {
	src := ni.src
	switch op {
	case opSnapshot:
		s, err := src.Snapshot(ctx)
		if err != nil {
			return nil, err
		}
		if len(s.Processes) > maxSnapshotProcs {
			s.Processes = s.Processes[:maxSnapshotProcs]
		}
		for i := range s.Processes {
			s.Processes[i] = wireInfo(s.Processes[i], maxSnapshotPIDs)
		}
		return encodeResult(s)
	case opInfo:
		pid, err := argPID(args, 0)
		if err != nil {
			return nil, err
		}
		d, err := src.Info(ctx, pid)
		if err != nil {
			return nil, err
		}
		d.Info = wireInfo(d.Info, 0)
		return encodeResult(d)
	case opMessages:
		pid, err := argPID(args, 0)
		if err != nil {
			return nil, err
		}
		n, err := argInt(args, 1)
		if err != nil {
			return nil, err
		}
		ms, err := src.Messages(ctx, pid, min(n, maxInspectItems))
		if err != nil {
			return nil, err
		}
		return encodeResult(ms)
	case opLogs:
		after, err := argInt(args, 0)
		if err != nil {
			return nil, err
		}
		max, err := argInt(args, 1)
		if err != nil {
			return nil, err
		}
		ls, err := src.Logs(ctx, uint64(after), min(max, maxInspectItems))
		if err != nil {
			return nil, err
		}
		return encodeResult(ls)
	case opKill:
		pid, err := argPID(args, 0)
		if err != nil {
			return nil, err
		}
		return nil, src.Kill(ctx, pid)
	case opExit, opSend:
		pid, err := argPID(args, 0)
		if err != nil {
			return nil, err
		}
		expr, err := argString(args, 1)
		if err != nil {
			return nil, err
		}
		if op == opExit {
			return nil, src.Exit(ctx, pid, expr)
		}
		return nil, src.Send(ctx, pid, expr)
	case opEval:
		line, err := argString(args, 0)
		if err != nil {
			return nil, err
		}
		r, err := src.Eval(ctx, line)
		if err != nil {
			return nil, err
		}
		return encodeResult(r)
	case opNodes:
		return encodeResult(ni.nodes(ctx, from.Name))
	case opCount:
		return float64(ni.src.Node.Count()), nil
	}
	return nil, fmt.Errorf("unknown inspect operation %q", op)
}

// nodes lists this node and its peers but the asking one, with their
// round-trip times (pinged at once, 1 s at most).
func (ni *nodeInspector) nodes(ctx context.Context, asker string) []tui.NodeInfo {
	out := []tui.NodeInfo{{Name: ni.src.Node.Name(), Self: true, Up: true, Processes: ni.src.Node.Count()}}
	if ni.qn == nil {
		return out
	}
	var peers []quicnet.Peer
	for _, p := range ni.qn.Peers() {
		if p.Name != asker {
			peers = append(peers, p)
		}
	}
	infos := make([]tui.NodeInfo, len(peers))
	pctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for i, p := range peers {
		infos[i] = tui.NodeInfo{Name: p.Name, Up: true, Processes: -1}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if rtt, err := ni.qn.Ping(pctx, p.Name); err == nil {
				infos[i].RTT = rtt
			}
		}()
	}
	wg.Wait()
	return append(out, infos...)
}

// remoteSource is the tui.Source of a node reached through an
// InspectClient. The client is a peer of every node of the cluster (the
// cluster is a full mesh), so ForNode reaches any of them directly.
type remoteSource struct {
	c    *quicnet.InspectClient
	node string
}

var _ tui.Source = (*remoteSource)(nil)

func (r *remoteSource) call(ctx context.Context, out any, op string, args ...proc.Value) error {
	v, err := r.c.Inspect(ctx, r.node, op, args...)
	if err != nil {
		if errors.Is(err, proc.ErrNoProc) {
			return err
		}
		return fmt.Errorf("%s: %w", r.node, err)
	}
	if out == nil {
		return nil
	}
	return decodeResult(v, out)
}

func (r *remoteSource) Snapshot(ctx context.Context) (tui.Snapshot, error) {
	var s tui.Snapshot
	err := r.call(ctx, &s, opSnapshot)
	return s, err
}

func (r *remoteSource) Info(ctx context.Context, pid proc.PID) (tui.Detail, error) {
	var d tui.Detail
	err := r.call(ctx, &d, opInfo, pid)
	return d, err
}

func (r *remoteSource) Messages(ctx context.Context, pid proc.PID, n int) ([]string, error) {
	var ms []string
	err := r.call(ctx, &ms, opMessages, pid, float64(n))
	return ms, err
}

func (r *remoteSource) Logs(ctx context.Context, after uint64, max int) ([]proc.LogLine, error) {
	var ls []proc.LogLine
	err := r.call(ctx, &ls, opLogs, float64(after), float64(max))
	return ls, err
}

func (r *remoteSource) Kill(ctx context.Context, pid proc.PID) error {
	return r.call(ctx, nil, opKill, pid)
}

func (r *remoteSource) Exit(ctx context.Context, pid proc.PID, reasonExpr string) error {
	return r.call(ctx, nil, opExit, pid, reasonExpr)
}

func (r *remoteSource) Send(ctx context.Context, pid proc.PID, msgExpr string) error {
	return r.call(ctx, nil, opSend, pid, msgExpr)
}

func (r *remoteSource) Eval(ctx context.Context, line string) (tui.EvalResult, error) {
	var e tui.EvalResult
	err := r.call(ctx, &e, opEval, line)
	return e, err
}

// countTimeout bounds the asking of a peer for its process count.
const countTimeout = time.Second

// Nodes lists the nodes as r's node sees them; the process counts it does
// not know (its peers') are asked of each peer directly, at once (1 s at
// most: a count not read stays -1).
func (r *remoteSource) Nodes(ctx context.Context) ([]tui.NodeInfo, error) {
	var ns []tui.NodeInfo
	if err := r.call(ctx, &ns, opNodes); err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, countTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for i := range ns {
		if ns[i].Self || !ns[i].Up || ns[i].Processes >= 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if n, err := r.count(cctx, ns[i].Name); err == nil {
				ns[i].Processes = n
			}
		}()
	}
	wg.Wait()
	return ns, nil
}

// count asks node for its number of live processes.
func (r *remoteSource) count(ctx context.Context, node string) (int, error) {
	v, err := r.c.Inspect(ctx, node, opCount)
	if err != nil {
		return 0, err
	}
	f, ok := v.(float64)
	if !ok || f < 0 {
		return 0, fmt.Errorf("inspect: bad count %v", v)
	}
	return int(f), nil
}

// ForNode returns the source of the node name, asked directly through
// r's client.
func (r *remoteSource) ForNode(name string) tui.Source {
	if name == r.node {
		return r
	}
	return &remoteSource{c: r.c, node: name}
}
