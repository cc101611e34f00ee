package config

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestLoad(t *testing.T) {
	c, err := Load("testdata/good.toml")
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		File:     "testdata/good.toml",
		Cluster:  Cluster{Name: "demo", CookieFile: filepath.Join("testdata", "test.cookie")},
		Defaults: Limits{MaxMemory: 64 << 20, MaxMailbox: 100000},
		Nodes: []Node{
			{Name: "a", Listen: "127.0.0.1:7101", Boot: filepath.Join("testdata", "scripts", "boot.lua"),
				AllowRead: []string{filepath.Join("testdata", "scripts")}, AllowEnv: []string{"HOME"}, Line: 10},
			{Name: "b", Listen: "127.0.0.1:7102", Join: []string{"a", "127.0.0.1:7999"}, Line: 17},
		},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Load:\n got %+v\nwant %+v", c, want)
	}
	if got := c.JoinAddrs(c.Node("b")); !reflect.DeepEqual(got, []string{"127.0.0.1:7101", "127.0.0.1:7999"}) {
		t.Errorf("JoinAddrs(b) = %q", got)
	}
	if c.Node("zz") != nil {
		t.Errorf("Node(zz) != nil")
	}
}

func TestLoadSizeNumber(t *testing.T) {
	c, err := Load("testdata/size_number.toml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Defaults.MaxMemory != 1<<20 || c.Cluster.Cookie == "" {
		t.Errorf("got %+v", c)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		file string
		want []string // each problem, as "LINE: msg"
	}{
		{"unknown_key", []string{`7: unknown key "bogus" in [[node]]`}},
		{"unknown_table", []string{`4: unknown key "clustre"`}},
		{"wrong_type", []string{
			`5: max_mailbox: want an integer >= 0, not a string`,
			`9: listen: want a string, not an integer`,
		}},
		{"bad_size", []string{`5: max_memory: want a size such as "64MiB", not a string`}},
		{"dup_name", []string{`9: duplicate node name "a" (also on line 5)`}},
		{"dup_port", []string{`10: duplicate listen port 7101 (also on line 6)`}},
		{"missing_boot", []string{`6: boot file ` + filepath.Join("testdata", "scripts", "nope.lua") + ` does not exist`}},
		{"no_cookie", []string{`1: missing cookie: set cookie_file (or cookie) in [cluster]`}},
		{"syntax", []string{`3: expected value but found '\n' instead`}},
		{"many", []string{
			`1: missing cookie: set cookie_file (or cookie) in [cluster]`,
			`7: boot file ` + filepath.Join("testdata", "nope.lua") + ` does not exist`,
			`10: duplicate node name "a" (also on line 5)`,
			`11: duplicate listen port 7101 (also on line 6)`,
			`12: node "a" joins "zz": no such node (want a node name or HOST:PORT)`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := "testdata/" + tt.file + ".toml"
			c, err := Load(path)
			if err == nil {
				t.Fatalf("Load = %+v, want an error", c)
			}
			var got []string
			for _, e := range unjoin(err) {
				var ce *Error
				if !errors.As(e, &ce) {
					t.Fatalf("error %v (%T) is not an *Error", e, e)
				}
				if ce.File != path {
					t.Errorf("File = %q, want %q", ce.File, path)
				}
				if strings.Contains(ce.Error(), "\n") {
					t.Errorf("error %q is not one line", ce.Error())
				}
				got = append(got, strings.TrimPrefix(ce.Error(), path+":"))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "none.toml")); err == nil {
		t.Fatal("Load of a missing file: no error")
	}
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// TestExample loads the repository's example config.toml.
func TestExample(t *testing.T) {
	c, err := Load("../config.toml")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Nodes) != 3 || c.Node("a").Boot != filepath.Join("..", "scripts", "cluster", "boot.lua") {
		t.Errorf("got %+v", c)
	}
	if got := c.JoinAddrs(c.Node("b")); !reflect.DeepEqual(got, []string{"127.0.0.1:7101"}) {
		t.Errorf("JoinAddrs(b) = %q", got)
	}
}
