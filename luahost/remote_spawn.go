package luahost

import (
	"errors"
	"slices"

	"github.com/dlua/dlua/proc"
)

// Remote spawns: the spawner sends its child's limits and permissions as
// plain values (limitsValue); the node that runs the child narrows them
// against its own (remoteLimits): numbers take the smaller non-zero one,
// folders and environment names are kept only when this node allows them
// too. The child's package.path and readable folders start with this
// node's boot script folder, where "module.function" strings resolve.

// limitsValue turns l into a table that can travel to another node.
func limitsValue(l Limits) proc.Value {
	list := func(xs []string) proc.Value {
		if xs == nil {
			return nil
		}
		t := &proc.Table{Array: make([]proc.Value, len(xs))}
		for i, x := range xs {
			t.Array[i] = x
		}
		return t
	}
	t := &proc.Table{Hash: []proc.Field{
		{Key: "max_instructions", Val: float64(l.MaxInstructions)},
		{Key: "max_memory", Val: float64(l.MaxMemory)},
		{Key: "max_mailbox", Val: float64(l.MaxMailbox)},
	}}
	for _, f := range []proc.Field{{Key: "read", Val: list(l.AllowRead)}, {Key: "write", Val: list(l.AllowWrite)}, {Key: "env", Val: list(l.AllowEnv)}} {
		if f.Val != nil {
			t.Hash = append(t.Hash, f)
		}
	}
	return t
}

// remoteLimits narrows the limits a spawner sent (v) against own.
func remoteLimits(v proc.Value, own Limits) (Limits, error) {
	t, ok := v.(*proc.Table)
	if !ok {
		return Limits{}, errors.New("spawn request without limits")
	}
	num := func(k string) uint64 {
		f, _ := t.Get(k).(float64)
		if f < 0 {
			return 0
		}
		return uint64(f)
	}
	smaller := func(a, b uint64) uint64 {
		switch {
		case a == 0:
			return b
		case b == 0:
			return a
		}
		return min(a, b)
	}
	strs := func(k string) []string {
		lt, ok := t.Get(k).(*proc.Table)
		if !ok {
			return nil
		}
		var out []string
		for _, x := range lt.Array {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	dirs := func(req, own []string) []string {
		var out []string
		for _, d := range req {
			if within(d, own) {
				out = append(out, d)
			}
		}
		return out
	}
	out := Limits{
		MaxInstructions: smaller(num("max_instructions"), own.MaxInstructions),
		MaxMemory:       int64(smaller(num("max_memory"), uint64(own.MaxMemory))),
		MaxMailbox:      int(smaller(num("max_mailbox"), uint64(own.MaxMailbox))),
		AllowRead:       dirs(strs("read"), own.AllowRead),
		AllowWrite:      dirs(strs("write"), own.AllowWrite),
	}
	for _, e := range strs("env") {
		if slices.Contains(own.AllowEnv, e) {
			out.AllowEnv = append(out.AllowEnv, e)
		}
	}
	return out, nil
}

// spawnRemote is the Host's proc.Spawner: it builds the body of a process
// that another node asked for.
func (h *Host) spawnRemote(from proc.PID, req proc.SpawnRequest) (proc.Body, proc.SpawnOpts, error) {
	own := h.limits
	var pkgPath string
	if dir, _ := h.bootDir.Load().(string); dir != "" {
		own.AllowRead = append([]string{dir}, own.AllowRead...)
		pkgPath = packagePath(dir)
	}
	limits, err := remoteLimits(req.Limits, own)
	if err != nil {
		return nil, proc.SpawnOpts{}, err
	}
	if dir, _ := h.bootDir.Load().(string); dir != "" {
		limits.AllowRead = append([]string{dir}, limits.AllowRead...)
	}
	var initial string
	switch f := req.Fn.(type) {
	case string:
		initial = f
	case *proc.Func:
		initial = "remote function from " + from.String()
	default:
		return nil, proc.SpawnOpts{}, errors.New("spawn: function or \"module.function\" expected")
	}
	return h.body(req.Fn, req.Args, limits, pkgPath), limits.spawnOpts(initial), nil
}
