package proc

import (
	"log/slog"
	"testing"
)

func TestPIDAndRef(t *testing.T) {
	pid := PID{Node: "alpha", ID: 7, Creation: 3}
	tests := []struct {
		name, got, want string
	}{
		{"pid string", pid.String(), "<alpha.7>"},
		{"pid log value", pid.LogValue().String(), "<alpha.7>"},
		{"ref string", Ref{Node: "alpha", ID: 12, Creation: 3}.String(), "#Ref<alpha.12>"},
		{"status running", Running.String(), "running"},
		{"status waiting", Waiting.String(), "waiting"},
		{"status exited", Exited.String(), "exited"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
	t.Run("pid log value kind", func(t *testing.T) {
		if k := pid.LogValue().Kind(); k != slog.KindString {
			t.Errorf("kind = %v, want string", k)
		}
	})
	t.Run("zero pid", func(t *testing.T) {
		if !(PID{}).IsZero() {
			t.Error("PID{}.IsZero() = false")
		}
		if pid.IsZero() {
			t.Error("non-zero pid reports IsZero")
		}
	})
	t.Run("pid as map key", func(t *testing.T) {
		m := map[PID]int{pid: 1}
		if m[PID{Node: "alpha", ID: 7, Creation: 3}] != 1 {
			t.Error("an equal pid is not the same key")
		}
		if _, ok := m[PID{Node: "alpha", ID: 7, Creation: 4}]; ok {
			t.Error("a pid of another incarnation is the same key")
		}
	})
}

func TestTableGet(t *testing.T) {
	inner := &Table{}
	tb := &Table{
		Array: []Value{"first"},
		Hash: []Field{
			{Key: 1.0, Val: "number key"},
			{Key: "a", Val: 1.0},
			{Key: "t", Val: inner},
			{Key: "nil", Val: nil},
		},
	}
	tests := []struct {
		key  string
		want Value
	}{
		{"a", 1.0},
		{"t", inner},
		{"nil", nil},
		{"missing", nil},
		{"1", nil}, // a number key is not the string "1"
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if got := tb.Get(tt.key); got != tt.want {
				t.Errorf("Get(%q) = %v, want %v", tt.key, got, tt.want)
			}
		})
	}
}

func TestSignalMessages(t *testing.T) {
	from := PID{Node: "n", ID: 1, Creation: 1}
	ref := Ref{Node: "n", ID: 2, Creation: 1}
	checkFields(t, "EXIT", exitMessage(from, "boom"), map[string]Value{"tag": "EXIT", "from": from, "reason": "boom"})
	checkFields(t, "DOWN", downMessage(ref, from, NoProc), map[string]Value{"tag": "DOWN", "ref": ref, "pid": from, "reason": NoProc})
}

func TestNewNode(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		n := newNode(t, Config{})
		if n.Name() != "local" {
			t.Errorf("Name() = %q, want local", n.Name())
		}
		if n.creation == 0 {
			t.Error("creation is zero")
		}
		if n.history.max != 256 {
			t.Errorf("history = %d, want 256", n.history.max)
		}
		if n.Count() != 0 {
			t.Errorf("Count() = %d, want 0", n.Count())
		}
	})
	t.Run("config", func(t *testing.T) {
		n := newNode(t, Config{Name: "alpha", Creation: 9, History: -1})
		if n.Name() != "alpha" || n.creation != 9 || n.history.max != 0 {
			t.Errorf("node = %q/%d/%d, want alpha/9/0", n.Name(), n.creation, n.history.max)
		}
		ref := n.NewRef()
		if ref.Node != "alpha" || ref.Creation != 9 {
			t.Errorf("NewRef() = %+v, want node alpha creation 9", ref)
		}
	})
	t.Run("refs are unique", func(t *testing.T) {
		n := newNode(t, Config{})
		seen := map[Ref]bool{}
		for range 1000 {
			r := n.NewRef()
			if seen[r] {
				t.Fatalf("ref %v made twice", r)
			}
			seen[r] = true
		}
	})
	t.Run("is local", func(t *testing.T) {
		n := newNode(t, Config{Name: "alpha", Creation: 9})
		pid := spawn(t, n, nil, SpawnOpts{}, func(*Process) Value { return Normal })
		tests := []struct {
			name string
			pid  PID
			want bool
		}{
			{"own pid", pid, true},
			{"unknown id", PID{Node: "alpha", ID: 999, Creation: 9}, true},
			{"earlier incarnation", PID{Node: "alpha", ID: pid.ID, Creation: 8}, false},
			{"other node", PID{Node: "beta", ID: pid.ID, Creation: 9}, false},
			{"zero", PID{}, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := n.IsLocal(tt.pid); got != tt.want {
					t.Errorf("IsLocal(%v) = %v, want %v", tt.pid, got, tt.want)
				}
			})
		}
	})
}
