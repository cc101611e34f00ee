package quicnet

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dlua/dlua/proc"
)

// TestInspect: a client asks a serving node, gets results and errors
// (unknown processes wrap proc.ErrNoProc), and other frames still reach
// the node's own Handler.
func TestInspect(t *testing.T) {
	cookie := []byte("inspect-test-cookie-0123456789")
	srv, err := New(Config{Name: "srv", Listen: "127.0.0.1:0", Cookie: cookie, Handler: HandlerFuncs{}})
	if err != nil {
		t.Fatal(err)
	}
	err = ServeInspect(srv, InspectorFunc(func(_ context.Context, from Peer, op string, args []proc.Value) (proc.Value, error) {
		switch op {
		case "echo":
			return fmt.Sprint(from.Name, args), nil
		case "noproc":
			return nil, fmt.Errorf("<x.1>: %w", proc.ErrNoProc)
		}
		return nil, errors.New("unknown op")
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	if err := ServeInspect(srv, InspectorFunc(nil)); err == nil {
		t.Error("ServeInspect after Start: no error")
	}

	c, err := NewInspectClient(Config{Name: "~console", Listen: "127.0.0.1:0", Cookie: cookie})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Node().Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Node().Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := c.Node().Join(ctx, srv.Addr().String()); err != nil {
		t.Fatal(err)
	}
	v, err := c.Inspect(ctx, "srv", "echo", "a", 1.0)
	if err != nil || v != "~console[a 1]" {
		t.Fatalf("echo = %v, %v", v, err)
	}
	if _, err := c.Inspect(ctx, "srv", "noproc"); !errors.Is(err, proc.ErrNoProc) {
		t.Errorf("noproc = %v", err)
	}
	if _, err := c.Inspect(ctx, "srv", "other"); err == nil || err.Error() != "unknown op" {
		t.Errorf("other = %v", err)
	}
	if _, err := c.Inspect(ctx, "nobody", "echo"); !errors.Is(err, ErrNotConnected) {
		t.Errorf("to a node not connected = %v", err)
	}
}
