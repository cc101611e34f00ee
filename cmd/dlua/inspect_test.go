package main

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dlua/dlua/luahost"
	"github.com/dlua/dlua/proc"
	"github.com/dlua/dlua/quicnet"
	"github.com/dlua/dlua/tui"
)

const testCookie = "0123456789abcdef-test-cookie"

// startTestNode starts a cluster node in this process as dlua node does
// (proc.Node, luahost.Host, quicnet.Bind, inspect serving) on 127.0.0.1,
// joining the nodes at the addresses join.
func startTestNode(t *testing.T, name string, join ...string) (*proc.Node, *quicnet.Node) {
	t.Helper()
	pn := proc.NewNode(proc.Config{Name: name})
	host := luahost.New(luahost.Config{Node: pn, Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard})
	o := &clusterOptions{listen: "127.0.0.1:0", join: join}
	qn, err := o.startCluster(t.Context(), pn, host, localSource(pn, host, luahost.Limits{MaxMailbox: 100}), []byte(testCookie), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := pn.Shutdown(ctx, proc.Killed); err != nil {
			t.Error(err)
		}
		stopCluster(qn)
	})
	return pn, qn
}

// TestRemoteSource reads a node through the Source of an attached
// console, over QUIC on 127.0.0.1.
func TestRemoteSource(t *testing.T) {
	pn, qn := startTestNode(t, "n1")
	src, client, err := attachSource(t.Context(), "n1", qn.Addr().String(), "127.0.0.1:0", []byte(testCookie), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopCluster(client.Node()) })
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()

	res, err := src.Eval(ctx, "1+1")
	if err != nil || res.Err != "" || !slices.Equal(res.Values, []string{"2"}) {
		t.Fatalf("Eval(1+1) = %+v, %v", res, err)
	}
	res, err = src.Eval(ctx, `print("hi") proc.spawn_opt({name = "sink"}, function() receive(function() return false end) end)`)
	if err != nil || res.Err != "" || res.Output != "hi\n" {
		t.Fatalf("spawning the sink: %+v, %v", res, err)
	}
	sink, ok := pn.WhereIs("sink")
	if !ok {
		t.Fatal("sink is not registered")
	}

	snap, err := src.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(snap.Processes, func(in proc.Info) bool { return in.Name == "sink" })
	if snap.Node != "n1" || i < 0 || snap.Processes[i].PID != sink || snap.Stats.Processes < 1 || snap.Limits.MaxMailbox != 100 {
		t.Fatalf("Snapshot = %+v", snap)
	}
	if time.Since(snap.Time) > time.Minute {
		t.Errorf("Snapshot.Time = %v", snap.Time)
	}

	if err := src.Send(ctx, sink, `{tag = "job", n = 1}`); err != nil {
		t.Fatal(err)
	}
	msgs, err := src.Messages(ctx, sink, 5)
	if want := []string{`{n=1, tag="job"}`}; err != nil || !slices.Equal(msgs, want) {
		t.Fatalf("Messages = %q, %v; want %q", msgs, err, want)
	}
	logs, err := src.Logs(ctx, 0, 100)
	if err != nil || !slices.ContainsFunc(logs, func(l proc.LogLine) bool { return strings.Contains(l.Text, "hi") && !l.Time.IsZero() }) {
		t.Errorf("Logs = %+v, %v", logs, err)
	}
	nodes, err := src.Nodes(ctx)
	if err != nil || len(nodes) != 1 || !nodes[0].Self || nodes[0].Name != "n1" {
		t.Errorf("Nodes = %+v, %v", nodes, err)
	}

	if err := src.Kill(ctx, sink); err != nil {
		t.Fatal(err)
	}
	if _, err := pn.Wait(ctx, sink); err != nil {
		t.Fatal(err)
	}
	d, err := src.Info(ctx, sink)
	if err != nil || d.Status != proc.Exited || d.Reason != "killed" {
		t.Errorf("Info of the killed sink = %+v, %v", d, err)
	}
	if err := src.Kill(ctx, sink); !errors.Is(err, proc.ErrNoProc) {
		t.Errorf("Kill of a dead process = %v, want ErrNoProc", err)
	}
	if _, err := src.Info(ctx, proc.PID{Node: "n1", ID: 999999, Creation: sink.Creation}); !errors.Is(err, proc.ErrNoProc) {
		t.Errorf("Info of an unknown pid = %v, want ErrNoProc", err)
	}
}

// TestRemoteSourceWrongCookie: a console with another cookie is refused.
func TestRemoteSourceWrongCookie(t *testing.T) {
	_, qn := startTestNode(t, "n1")
	_, _, err := attachSource(t.Context(), "n1", qn.Addr().String(), "127.0.0.1:0", []byte("another-cookie-of-16+bytes"), io.Discard)
	if err == nil {
		t.Fatal("attach with a wrong cookie: no error")
	}
	if len(qn.Peers()) != 0 {
		t.Errorf("peers after a refused attach: %v", qn.Peers())
	}
}

// TestAttachWrongName: the node at the address must be the one named.
func TestAttachWrongName(t *testing.T) {
	_, qn := startTestNode(t, "n1")
	_, _, err := attachSource(t.Context(), "n2", qn.Addr().String(), "127.0.0.1:0", []byte(testCookie), io.Discard)
	if err == nil || !strings.Contains(err.Error(), `"n1"`) {
		t.Fatalf("attach to the wrong name: %v", err)
	}
}

// TestWireResultRoundTrip checks the wire form of results.
func TestWireResultRoundTrip(t *testing.T) {
	now := time.Now()
	in := tui.Snapshot{Node: "n", Time: now, Stats: proc.Stats{Processes: 2, Memory: 5},
		Processes: []proc.Info{{PID: proc.PID{Node: "n", ID: 3, Creation: 7}, Name: "x", Status: proc.Waiting, Links: []proc.PID{{Node: "m", ID: 1}}, Reason: "dropped"}}}
	in.Processes[0] = wireInfo(in.Processes[0], maxSnapshotPIDs)
	v, err := encodeResult(in)
	if err != nil {
		t.Fatal(err)
	}
	var out tui.Snapshot
	if err := decodeResult(v, &out); err != nil {
		t.Fatal(err)
	}
	if !out.Time.Equal(now) || out.Node != "n" || out.Stats != in.Stats || len(out.Processes) != 1 ||
		out.Processes[0].PID != in.Processes[0].PID || out.Processes[0].Links[0].Node != "m" || out.Processes[0].Reason != nil {
		t.Fatalf("round trip: %+v", out)
	}
	if err := decodeResult(1.0, &out); err == nil {
		t.Error("decoding a number: no error")
	}
	if got := capPIDs(make([]proc.PID, 100), maxSnapshotPIDs); len(got) != maxSnapshotPIDs {
		t.Errorf("capPIDs: %d", len(got))
	}
}

// TestRemoteSourceCluster: an attached console counts the processes of
// every node, and reads the processes of a peer of the node it attached
// to.
func TestRemoteSourceCluster(t *testing.T) {
	pn1, qn1 := startTestNode(t, "n1")
	pn2, _ := startTestNode(t, "n2", qn1.Addr().String())
	src, client, err := attachSource(t.Context(), "n1", qn1.Addr().String(), "127.0.0.1:0", []byte(testCookie), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopCluster(client.Node()) })
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()

	peer := src.ForNode("n2")
	if peer == nil || src.ForNode("n1") != tui.Source(src) {
		t.Fatalf("ForNode: n2 %v, n1 %v", peer, src.ForNode("n1"))
	}
	// The console meets n2 through n1 (gossip); until then n2 is not
	// reachable.
	var res tui.EvalResult
	for {
		res, err = peer.Eval(ctx, `proc.spawn_opt({name = "far"}, function() receive(function() return false end) end)`)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("Eval on n2: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if res.Err != "" {
		t.Fatalf("spawning far on n2: %+v", res)
	}
	far, ok := pn2.WhereIs("far")
	if !ok {
		t.Fatal("far is not registered on n2")
	}

	snap, err := peer.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(snap.Processes, func(in proc.Info) bool { return in.Name == "far" }); snap.Node != "n2" || i < 0 || snap.Processes[i].PID != far {
		t.Fatalf("Snapshot of n2 = %+v", snap)
	}
	snap, err = src.Snapshot(ctx)
	if err != nil || snap.Node != "n1" || slices.ContainsFunc(snap.Processes, func(in proc.Info) bool { return in.Name == "far" }) {
		t.Fatalf("Snapshot of n1 = %+v, %v", snap, err)
	}
	if d, err := peer.Info(ctx, far); err != nil || d.Name != "far" {
		t.Errorf("Info of far through n2 = %+v, %v", d, err)
	}

	nodes, err := src.Nodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, n := range nodes {
		counts[n.Name] = n.Processes
	}
	if len(nodes) != 2 || counts["n1"] != pn1.Count() || counts["n2"] != pn2.Count() || counts["n2"] < 1 {
		t.Errorf("Nodes = %+v; want n1 with %d processes, n2 with %d", nodes, pn1.Count(), pn2.Count())
	}

	if _, err := src.ForNode("nowhere").Snapshot(ctx); err == nil {
		t.Error("Snapshot of an unknown node: no error")
	}
}
