package luahost

import (
	"io"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/dlua/dlua/proc"
)

// TestKnobs checks what knobs.go assumes of gopher-lua's internals: each
// hooked instruction must charge what it is about to allocate, which needs
// the instruction's operands, the running function's constants (through
// the currentFrame offset) and a table's array length (through the array
// offset) to be read right.
func TestKnobs(t *testing.T) {
	if lua.MaxArrayIndex != maxArrayIndex {
		t.Fatalf("lua.MaxArrayIndex = %d, want %d", lua.MaxArrayIndex, maxArrayIndex)
	}
	tests := []struct {
		name string
		src  string
		min  int64 // bytes the chunk must at least charge
	}{
		{"CONCAT sums its operands", `local a = ("x"):rep(1000) local b = a .. a .. a`, 3000},
		{"SETTABLE charges the gap before a sparse key", `local t = {} local k = 5000 t[k] = 1`, 4999 * sizeSlot},
		{"SETTABLE reads a constant key", `local t = {} t[9000] = 1`, 8999 * sizeSlot},
		{"SETTABLEKS charges a new field", `local t = {} t.field = 1`, sizeField},
		{"SETGLOBAL charges a new global", `knobs_new_global = 1`, sizeField},
		{"NEWTABLE charges its sizes", `local t = {1, 2, 3, x = 1, y = 2}`, sizeTable + 3*sizeSlot + sizeHash},
		{"SETLIST charges its values", `local t = {1, 2, 3, 4, 5, 6, 7, 8}`, 8 * sizeSlot},
		{"CLOSURE charges its upvalues", `local a, b = 1, 2 local f = function() return a + b end`, sizeFunction + 2*sizeUpvalue},
	}
	node := proc.NewNode(proc.Config{})
	h := New(Config{Node: node, Stdout: io.Discard, Stderr: io.Discard})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			charged := make(chan int64, 1)
			pid, _, err := node.Spawn(nil, proc.SpawnOpts{}, func(p *proc.Process) proc.Value {
				s := newState(h, p, Limits{MaxMemory: 1 << 30})
				defer s.close()
				before := s.memCharged
				if err := s.L.DoString(tt.src); err != nil {
					charged <- -1
					return err.Error()
				}
				charged <- s.memCharged - before
				return proc.Normal
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := <-charged; got < tt.min {
				t.Errorf("charged %d bytes, want at least %d", got, tt.min)
			}
			if r, err := node.Wait(t.Context(), pid); err != nil || r != proc.Normal {
				t.Errorf("process ended with %v, %v", r, err)
			}
		})
	}
	t.Run("a process without a limit is not charged by the hooks", func(t *testing.T) {
		charged := make(chan int64, 1)
		node.Spawn(nil, proc.SpawnOpts{}, func(p *proc.Process) proc.Value {
			s := newState(h, p, Limits{})
			defer s.close()
			s.L.DoString(`local t = {} t[5000] = 1 local a = "x" .. "y"`)
			charged <- s.memCharged
			return proc.Normal
		})
		if got := <-charged; got != 0 {
			t.Errorf("charged %d bytes without a limit", got)
		}
	})
}
