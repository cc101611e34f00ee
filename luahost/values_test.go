package luahost

import (
	"testing"

	"github.com/dlua/dlua/proc"
)

func TestFormatValue(t *testing.T) {
	pid := proc.PID{Node: "n", ID: 1, Creation: 7}
	ref := proc.Ref{Node: "n", ID: 2, Creation: 7}
	self := &proc.Table{}
	self.Hash = []proc.Field{{Key: "self", Val: self}}
	shared := &proc.Table{Array: []proc.Value{1.0}}
	tests := []struct {
		name string
		v    proc.Value
		want string
	}{
		{"nil", nil, "nil"},
		{"string", "plain", "plain"},
		{"whole number", 2.0, "2"},
		{"fraction", 1.5, "1.5"},
		{"bool", true, "true"},
		{"pid", pid, "<n.1>"},
		{"ref", ref, "#Ref<n.2>"},
		{"builtin", &proc.Func{Name: "string.format"}, "function: builtin string.format"},
		{"function", &proc.Func{}, "function"},
		{"empty table", &proc.Table{}, "{}"},
		{"array", &proc.Table{Array: []proc.Value{1.0, "a", true, nil}}, `{1, "a", true, nil}`},
		{
			"fields sorted, keys quoted when not names",
			&proc.Table{Hash: []proc.Field{{Key: "b", Val: true}, {Key: "a b", Val: 1.0}, {Key: 2.5, Val: "x"}}},
			`{[2.5]="x", ["a b"]=1, b=true}`,
		},
		{"array and fields", &proc.Table{Array: []proc.Value{"x"}, Hash: []proc.Field{{Key: "k", Val: "v"}}}, `{"x", k="v"}`},
		{"quotes", &proc.Table{Array: []proc.Value{"say \"hi\"\n"}}, `{"say \"hi\"\n"}`},
		{"cycle", self, "{self={...}}"},
		{"shared subtable", &proc.Table{Hash: []proc.Field{{Key: "a", Val: shared}, {Key: "b", Val: shared}}}, "{a={1}, b={1}}"},
		{"pid in a table", &proc.Table{Hash: []proc.Field{{Key: "from", Val: pid}}}, "{from=<n.1>}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FormatValue(tt.v); got != tt.want {
				t.Errorf("FormatValue = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestExitErrorMessage(t *testing.T) {
	e := &ExitError{PID: proc.PID{Node: "local", ID: 3}, Reason: &proc.Table{Hash: []proc.Field{{Key: "code", Val: 1.0}}}}
	if got, want := e.Error(), "<local.3> exited: {code=1}"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		bad  bool
	}{
		{in: "65536", want: 65536},
		{in: "64KiB", want: 64 << 10},
		{in: "16MiB", want: 16 << 20},
		{in: "16 mib", want: 16 << 20},
		{in: "1GiB", want: 1 << 30},
		{in: "500KB", want: 500000},
		{in: "2MB", want: 2000000},
		{in: "10B", want: 10},
		{in: "", bad: true},
		{in: "MiB", bad: true},
		{in: "12XB", bad: true},
		{in: "-1MiB", bad: true},
		{in: "1e300GiB", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSize(tt.in)
			if tt.bad {
				if err == nil {
					t.Errorf("ParseSize(%q) = %d, want an error", tt.in, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseSize(%q) = %d, %v, want %d", tt.in, got, err, tt.want)
			}
		})
	}
}
