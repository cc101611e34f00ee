package luahost

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dlua/dlua/proc"
)

// TestExitReasons checks the reason a root script ends with.
func TestExitReasons(t *testing.T) {
	tests := []struct {
		name   string
		src    string
		limits Limits
		// check gets the reason and the ExitError (nil when normal).
		check func(t *testing.T, reason proc.Value, ee *ExitError, stdout string)
	}{
		{
			name: "returns",
			src:  `local x = 1`,
			check: func(t *testing.T, reason proc.Value, ee *ExitError, _ string) {
				if ee != nil {
					t.Errorf("reason %s, want normal", FormatValue(reason))
				}
			},
		},
		{
			name: "runtime error names file and line",
			src:  "local x = nil\nlocal y = 1\nx.field = y\n",
			check: func(t *testing.T, reason proc.Value, ee *ExitError, _ string) {
				s, _ := reason.(string)
				if !regexp.MustCompile(`main\.lua:3: `).MatchString(s) {
					t.Errorf("reason %q, want it to name main.lua:3", s)
				}
				if !strings.Contains(ee.Traceback, "main.lua:3") {
					t.Errorf("traceback %q, want main.lua:3 in it", ee.Traceback)
				}
			},
		},
		{
			name: "error with a string",
			src:  "\n\nerror('boom')",
			check: func(t *testing.T, reason proc.Value, ee *ExitError, _ string) {
				if s, _ := reason.(string); !strings.HasSuffix(s, "main.lua:3: boom") {
					t.Errorf("reason %q, want main.lua:3: boom", s)
				}
				if !strings.Contains(ee.Error(), "exited: ") || !strings.Contains(ee.Error(), "boom") {
					t.Errorf("Error() = %q", ee.Error())
				}
				if !strings.HasPrefix(ee.Error(), ee.PID.String()) {
					t.Errorf("Error() = %q, want it to start with the pid", ee.Error())
				}
			},
		},
		{
			name: "error with level 0",
			src:  `error("plain", 0)`,
			check: func(t *testing.T, reason proc.Value, _ *ExitError, _ string) {
				if reason != "plain" {
					t.Errorf("reason %v, want plain", reason)
				}
			},
		},
		{
			name: "error with a table",
			src:  `error({code = 7, msg = "bad", list = {1, 2}})`,
			check: func(t *testing.T, reason proc.Value, _ *ExitError, _ string) {
				tb, ok := reason.(*proc.Table)
				if !ok {
					t.Fatalf("reason %T %v, want a table", reason, reason)
				}
				if tb.Get("code") != 7.0 || tb.Get("msg") != "bad" {
					t.Errorf("reason %s", FormatValue(tb))
				}
				if l, ok := tb.Get("list").(*proc.Table); !ok || len(l.Array) != 2 {
					t.Errorf("reason.list %s", FormatValue(tb.Get("list")))
				}
			},
		},
		{
			name: "error with an unsendable table still gives a reason",
			src:  `error({co = coroutine.create(print)})`,
			check: func(t *testing.T, reason proc.Value, ee *ExitError, _ string) {
				if ee == nil || reason == nil || reason == proc.Normal {
					t.Errorf("reason %v, want some reason", reason)
				}
			},
		},
		{
			name: "error with nil is not normal",
			src:  `error()`,
			check: func(t *testing.T, _ proc.Value, ee *ExitError, _ string) {
				if ee == nil {
					t.Error("error() ended the root normally")
				}
			},
		},
		{
			name: "exit with a reason",
			src:  `exit("bye")`,
			check: func(t *testing.T, reason proc.Value, _ *ExitError, _ string) {
				if reason != "bye" {
					t.Errorf("reason %v, want bye", reason)
				}
			},
		},
		{
			name: "exit inside pcall",
			src:  `print(pcall(exit, "bye")) print("after")`,
			check: func(t *testing.T, reason proc.Value, _ *ExitError, stdout string) {
				if reason != "bye" {
					t.Errorf("reason %v, want bye", reason)
				}
				if stdout != "" {
					t.Errorf("stdout %q: code ran after exit", stdout)
				}
			},
		},
		{
			name: "exit()",
			src:  `exit() print("after")`,
			check: func(t *testing.T, reason proc.Value, ee *ExitError, stdout string) {
				if ee != nil || stdout != "" {
					t.Errorf("reason %v stdout %q, want normal and nothing printed", reason, stdout)
				}
			},
		},
		{
			name: "exit normal",
			src:  `exit("normal")`,
			check: func(t *testing.T, reason proc.Value, ee *ExitError, _ string) {
				if ee != nil {
					t.Errorf("reason %v, want normal", reason)
				}
			},
		},
		{
			name:   "instruction limit",
			src:    `while true do end`,
			limits: Limits{MaxInstructions: 10000},
			check: func(t *testing.T, reason proc.Value, _ *ExitError, _ string) {
				if reason != proc.InstructionLimit {
					t.Errorf("reason %v, want instruction_limit", reason)
				}
			},
		},
		{
			name:   "instruction limit inside pcall",
			src:    `while true do pcall(function() while true do end end) end`,
			limits: Limits{MaxInstructions: 10000},
			check: func(t *testing.T, reason proc.Value, _ *ExitError, _ string) {
				if reason != proc.InstructionLimit {
					t.Errorf("reason %v, want instruction_limit", reason)
				}
			},
		},
		{
			name:   "instruction limit of the host reaches children",
			limits: Limits{MaxInstructions: 100000},
			src: `
				local _, ref = spawn_monitor(function() while true do end end)
				local d = receive()
				print(d.reason)`,
			check: func(t *testing.T, reason proc.Value, ee *ExitError, stdout string) {
				if ee != nil || stdout != "instruction_limit\n" {
					t.Errorf("reason %v, stdout %q", reason, stdout)
				}
			},
		},
		{
			name:   "spawn_opt above the host's limit",
			limits: Limits{MaxInstructions: 100000},
			src:    `print(pcall(proc.spawn_opt, {max_instructions = 200000}, function() end))`,
			check: func(t *testing.T, _ proc.Value, _ *ExitError, stdout string) {
				if !strings.HasPrefix(stdout, "false\t") || !strings.Contains(stdout, "above the spawner's limit") {
					t.Errorf("stdout %q", stdout)
				}
			},
		},
		{
			name: "runaway recursion",
			src:  `local function f() return 1 + f() end f()`,
			check: func(t *testing.T, reason proc.Value, ee *ExitError, _ string) {
				if ee == nil {
					t.Fatal("ended normally")
				}
				if s, _ := reason.(string); !strings.Contains(s, "stack overflow") {
					t.Errorf("reason %v, want a stack overflow", reason)
				}
			},
		},
		{
			name: "runaway recursion caught by pcall",
			src:  `local function f() return 1 + f() end print(pcall(f)) print("after")`,
			check: func(t *testing.T, reason proc.Value, ee *ExitError, stdout string) {
				if ee != nil {
					t.Fatalf("reason %v", reason)
				}
				if !strings.HasPrefix(stdout, "false\t") || !strings.HasSuffix(stdout, "after\n") {
					t.Errorf("stdout %q", stdout)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runLua(t, tt.src, setup{Limits: tt.limits})
			var ee *ExitError
			if r.Err != nil && !errors.As(r.Err, &ee) {
				t.Fatalf("RunScript: %v (%T)", r.Err, r.Err)
			}
			var reason proc.Value = proc.Normal
			if ee != nil {
				reason = ee.Reason
			}
			tt.check(t, reason, ee, r.Stdout)
		})
	}
}

func TestScriptLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		check func(t *testing.T, path string, err error)
	}{
		{
			name: "syntax error",
			src:  "local a = 1\nx = = 1\n",
			check: func(t *testing.T, path string, err error) {
				var se *SyntaxError
				if !errors.As(err, &se) {
					t.Fatalf("error %v (%T), want a *SyntaxError", err, err)
				}
				if se.Name != path {
					t.Errorf("Name %q, want %q", se.Name, path)
				}
				if !strings.HasPrefix(err.Error(), path+":2: ") {
					t.Errorf("error %q, want the prefix %q", err, path+":2: ")
				}
				if !strings.Contains(err.Error(), "near '='") {
					t.Errorf("error %q, want near '='", err)
				}
				if errors.Unwrap(se) == nil {
					t.Error("SyntaxError does not unwrap")
				}
			},
		},
		{
			name: "syntax error at end of file",
			src:  "local function f()\n  return 1\n",
			check: func(t *testing.T, path string, err error) {
				var se *SyntaxError
				if !errors.As(err, &se) {
					t.Fatalf("error %v (%T), want a *SyntaxError", err, err)
				}
				if !regexp.MustCompile(`^` + regexp.QuoteMeta(path) + `:\d+: `).MatchString(err.Error()) {
					t.Errorf("error %q, want the prefix %q", err, path+":LINE: ")
				}
			},
		},
		{
			name: "compile error: ... outside a vararg function",
			src:  "local a = 1\nlocal function f()\n  return ...\nend\n",
			check: func(t *testing.T, path string, err error) {
				var se *SyntaxError
				if !errors.As(err, &se) {
					t.Errorf("error %v (%T), want a *SyntaxError", err, err)
				}
				if err == nil || !strings.HasPrefix(err.Error(), path+":3: ") {
					t.Errorf("error %q, want the prefix %q", err, path+":3: ")
				}
			},
		},
		{
			name: "compile error: break outside a loop",
			src:  "local a = 1\nbreak\n",
			check: func(t *testing.T, path string, err error) {
				var se *SyntaxError
				if !errors.As(err, &se) {
					t.Errorf("error %v (%T), want a *SyntaxError", err, err)
				}
				if err == nil || !strings.HasPrefix(err.Error(), path+":2: ") {
					t.Errorf("error %q, want the prefix %q", err, path+":2: ")
				}
			},
		},
		{
			name: "bytecode",
			src:  "\x1bLua\x51\x00rest",
			check: func(t *testing.T, _ string, err error) {
				if err == nil || !strings.Contains(err.Error(), "cannot load precompiled code") {
					t.Errorf("error %v, want precompiled code refused", err)
				}
			},
		},
		{
			name: "shebang line keeps line numbers",
			src:  "#!/usr/bin/env dlua run\nlocal x\nerror('two')",
			check: func(t *testing.T, path string, err error) {
				var ee *ExitError
				if !errors.As(err, &ee) {
					t.Fatalf("error %v, want an *ExitError", err)
				}
				if ee.Reason != path+":3: two" {
					t.Errorf("reason %v, want %s:3: two", ee.Reason, path)
				}
			},
		},
		{
			name: "shebang line only",
			src:  "#!/usr/bin/env dlua run",
			check: func(t *testing.T, _ string, err error) {
				if err != nil {
					t.Errorf("error %v", err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runLua(t, tt.src, setup{})
			tt.check(t, r.Path, r.Err)
		})
	}
	t.Run("missing file", func(t *testing.T) {
		t.Parallel()
		r := runFile(t, filepath.Join(t.TempDir(), "nope.lua"), setup{})
		if !errors.Is(r.Err, fs.ErrNotExist) {
			t.Errorf("error %v, want fs.ErrNotExist", r.Err)
		}
	})
}

// TestLoad covers load, loadstring, loadfile, dofile and require inside the
// script's own folder.
func TestLoad(t *testing.T) {
	files := map[string]string{
		"helper.lua":       `HELPER_RUNS = (HELPER_RUNS or 0) + 1 return "helper", ...`,
		"broken.lua":       "local x = \n= 2",
		"raises.lua":       `error("module raised")`,
		"mod.lua":          `return {value = 42, dir = (...)}`,
		"nested/deep.lua":  `return "deep"`,
		"nested/init.lua":  `return "nested init"`,
		"inc/counter.lua":  `COUNT = (COUNT or 0) + 1 return COUNT`,
		"data/values.lua":  `return 1, 2, 3`,
		"data/syntax.lua":  `return = 1`,
		"data/runtime.lua": `local t = nil return t.x`,
	}
	src := `
		local dir = arg[0]:match("^(.*)/[^/]*$")
		local function check(cond, what) if not cond then error(what, 2) end end

		-- load and loadstring
		check(loadstring("return 1 + 1")() == 2, "loadstring")
		check(load("return 2 + 2")() == 4, "load of a string")
		local pieces, i = {"return ", "4", "2"}, 0
		check(load(function() i = i + 1 return pieces[i] end)() == 42, "load of a function")
		local f, msg = loadstring("x = = 1")
		check(f == nil and msg:find(":1: ") and msg:find("near '='"), "loadstring syntax error: " .. tostring(msg))
		f, msg = load("x = = 1", "=chunk")
		check(f == nil and type(msg) == "string", "load syntax error")
		f, msg = loadstring("\27Lua\81\0\1\4\8\4\8\0")
		check(f == nil and msg:find("precompiled"), "loadstring of bytecode: " .. tostring(msg))
		f, msg = load("\27Lua\81\0")
		check(f == nil and msg:find("precompiled"), "load of bytecode: " .. tostring(msg))
		local bc = {"\27Lu", "a\81\0"}
		local j = 0
		f, msg = load(function() j = j + 1 return bc[j] end)
		check(f == nil and msg:find("precompiled"), "load of bytecode in pieces: " .. tostring(msg))
		f, msg = load(function() return 42 end)
		check(f == nil and msg:find("reader function must return a string"), "load reader: " .. tostring(msg))
		check(not pcall(load, 42), "load(42)")
		X = "global"
		check(loadstring("return X")() == "global", "loadstring sees the globals")
		check(loadstring("return ...")(5) == 5, "loadstring chunk gets ...")
		local ok, err = pcall(loadstring("error('in chunk')"))
		check(not ok and err:find("in chunk"), "runtime error in a loaded chunk")

		-- loadfile and dofile
		local a, b = dofile(dir .. "/helper.lua")
		check(a == "helper" and b == nil, "dofile returns the chunk's values")
		check(select("#", dofile(dir .. "/data/values.lua")) == 3, "dofile returns all values")
		f, msg = loadfile(dir .. "/nope.lua")
		check(f == nil and msg:find("nope.lua", 1, true), "loadfile of a missing file: " .. tostring(msg))
		f, msg = loadfile(dir .. "/data/syntax.lua")
		check(f == nil and msg:find("syntax.lua:1:"), "loadfile of a bad file: " .. tostring(msg))
		f = loadfile(dir .. "/helper.lua")
		check(select(2, f("arg")) == "arg", "loadfile's chunk gets ...")
		ok, err = pcall(dofile, dir .. "/data/runtime.lua")
		check(not ok and err:find("runtime.lua:1:"), "dofile runtime error: " .. tostring(err))
		ok, err = pcall(dofile, dir .. "/nope.lua")
		check(not ok and err:find("nope.lua", 1, true), "dofile of a missing file: " .. tostring(err))

		-- require
		check(require("mod").value == 42, "require")
		check(require("mod").dir == "mod", "require passes the name")
		check(require("nested.deep") == "deep", "require of a dotted name")
		check(require("nested") == "nested init", "require of ?/init.lua")
		check(require("inc.counter") == 1 and require("inc.counter") == 1, "require runs a module once")
		ok, err = pcall(require, "broken")
		check(not ok and err:find("broken.lua:2:"), "require of a bad module: " .. tostring(err))
		ok, err = pcall(require, "raises")
		check(not ok and err:find("module raised"), "require of a module that raises: " .. tostring(err))
		ok, err = pcall(require, "raises")
		check(not ok and err:find("loop or previous error loading module 'raises'", 1, true),
			"a module that raised is not loaded again, as in Lua 5.1: " .. tostring(err))

		-- children load from the same folder
		local parent = self()
		spawn(function() send(parent, require("mod").value) end)
		check(receive() == 42, "require in a child")
		spawn(function() send(parent, (dofile(dir .. "/helper.lua"))) end)
		check(receive() == "helper", "dofile in a child")
		print("ok")
	`
	r := runLua(t, src, setup{Files: files})
	r.mustOK(t)
	if r.Stdout != "ok\n" {
		t.Errorf("stdout %q", r.Stdout)
	}
}

// TestLoadstringChunkName: an error in a chunk made by loadstring names the
// chunk briefly on one line, as Lua 5.1 does ([string "..."]:LINE:), not
// with the whole source text.
func TestLoadstringChunkName(t *testing.T) {
	r := runLua(t, `
		local src = "local a = 1\nlocal b = 2\nerror('boom')"
		local ok, err = pcall(loadstring(src))
		print(err)
		local f, msg = loadstring("local a = 1\nx = = 1")
		print(msg)
		f, msg = loadstring("local a = 1\nbreak")
		print(msg)`, setup{})
	r.mustOK(t)
	lines := strings.Split(strings.TrimSuffix(r.Stdout, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("the error messages span %d lines, want 3 (one each):\n%s", len(lines), r.Stdout)
	}
	if !strings.Contains(lines[0], ":3: boom") {
		t.Errorf("runtime error %q, want :3: boom", lines[0])
	}
	if !strings.Contains(lines[1], ":2: ") {
		t.Errorf("syntax error %q, want :2:", lines[1])
	}
	if !strings.Contains(lines[2], ":2: ") || strings.Contains(lines[2], "compile error near") {
		t.Errorf("compile error %q, want :2: as Lua writes it", lines[2])
	}
}

func TestRequireNotFound(t *testing.T) {
	r := runLua(t, `require("nope.sub")`, setup{})
	reason, _ := r.reason(t).(string)
	dir := filepath.Dir(r.Path)
	for _, want := range []string{
		"module 'nope.sub' not found:",
		"no field package.preload['nope.sub']",
		"no file '" + filepath.Join(dir, "nope", "sub.lua") + "'",
		"no file '" + filepath.Join(dir, "nope", "sub", "init.lua") + "'",
	} {
		if !strings.Contains(reason, want) {
			t.Errorf("reason %q\nwant it to contain %q", reason, want)
		}
	}
}

// TestFileAccess: require, loadfile and dofile only reach files inside the
// folders a process may read.
func TestFileAccess(t *testing.T) {
	const denied = "not in a folder this process may read"
	tests := []struct {
		name string
		// src gets OTHER (the other folder, with evil.lua) and DIR (the
		// script's folder) as globals.
		src        string
		allowOther bool
		want       string // printed by the script
	}{
		{
			name: "require through package.path",
			src:  `package.path = OTHER .. "/?.lua;" .. package.path print(pcall(require, "evil"))`,
			want: "false\t",
		},
		{
			name:       "require through package.path, allowed",
			src:        `package.path = OTHER .. "/?.lua;" .. package.path print(require("evil"))`,
			allowOther: true,
			want:       "evil loaded",
		},
		{
			name: "loadfile",
			src:  `print(loadfile(OTHER .. "/evil.lua"))`,
			want: "nil\t",
		},
		{
			name:       "loadfile, allowed",
			src:        `print(loadfile(OTHER .. "/evil.lua")())`,
			allowOther: true,
			want:       "evil loaded",
		},
		{
			name: "dofile",
			src:  `print(pcall(dofile, OTHER .. "/evil.lua"))`,
			want: "false\t",
		},
		{
			name:       "dofile, allowed",
			src:        `print(dofile(OTHER .. "/evil.lua"))`,
			allowOther: true,
			want:       "evil loaded",
		},
		{
			name: "dot-dot out of the script's folder",
			src:  `print(loadfile(DIR .. "/" .. REL))`,
			want: "nil\t",
		},
		{
			name: "symlink to a file outside",
			src:  `print(pcall(require, "link"))`,
			want: "false\t",
		},
		{
			name: "symlink to a file outside, dofile",
			src:  `print(pcall(dofile, DIR .. "/link.lua"))`,
			want: "false\t",
		},
		{
			name: "symlinked folder outside",
			src:  `print(pcall(require, "linkdir.evil"))`,
			want: "false\t",
		},
		{
			name:       "symlink to a file outside, allowed",
			src:        `print(require("link"))`,
			allowOther: true,
			want:       "evil loaded",
		},
		{
			name: "symlink inside the folder",
			src:  `print(require("innerlink"))`,
			want: "inner loaded",
		},
		{
			name: "a child inherits the folders",
			src: `
				local parent, other = self(), OTHER
				spawn_monitor(function() send(parent, {pcall(dofile, other .. "/evil.lua")}) end)
				local r = receive()
				print(r[1], r[2])`,
			want: "false\t",
		},
		{
			name: "a child inherits AllowRead",
			src: `
				local parent, other = self(), OTHER
				spawn_monitor(function() send(parent, dofile(other .. "/evil.lua")) end)
				local m = receive()
				print(type(m) == "table" and tostring(m.reason) or m)`,
			allowOther: true,
			want:       "evil loaded",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir, other := t.TempDir(), t.TempDir()
			evil := writeFile(t, other, "evil.lua", `return "evil loaded"`)
			writeFile(t, dir, "inner.lua", `return "inner loaded"`)
			if err := os.Symlink(evil, filepath.Join(dir, "link.lua")); err != nil {
				t.Skip("no symlinks:", err)
			}
			if err := os.Symlink(other, filepath.Join(dir, "linkdir")); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Join(dir, "inner.lua"), filepath.Join(dir, "innerlink.lua")); err != nil {
				t.Fatal(err)
			}
			rel, err := filepath.Rel(dir, evil)
			if err != nil {
				t.Fatal(err)
			}
			var limits Limits
			if tt.allowOther {
				limits.AllowRead = []string{other}
			}
			prelude := "OTHER = " + luaQuote(other) + " DIR = " + luaQuote(dir) + " REL = " + luaQuote(filepath.ToSlash(rel)) + "\n"
			r := runLua(t, prelude+tt.src, setup{Dir: dir, Limits: limits})
			r.mustOK(t)
			if !strings.HasPrefix(r.Stdout, tt.want) {
				t.Errorf("stdout %q, want it to start with %q", r.Stdout, tt.want)
			}
			if strings.HasPrefix(tt.want, "false") || strings.HasPrefix(tt.want, "nil") {
				if !strings.Contains(r.Stdout, denied) {
					t.Errorf("stdout %q, want the reason %q", r.Stdout, denied)
				}
			}
		})
	}
}

func luaQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

func TestGetenv(t *testing.T) {
	t.Setenv("DLUA_TEST_ALLOWED", "yes")
	t.Setenv("DLUA_TEST_DENIED", "no")
	tests := []struct {
		name     string
		allowEnv []string
		want     string
	}{
		{"none allowed", nil, "nil\tnil\tnil\tnil\n"},
		{"one allowed", []string{"DLUA_TEST_ALLOWED"}, "yes\tnil\tnil\tyes\n"},
		{"allowed but unset", []string{"DLUA_TEST_ALLOWED", "DLUA_TEST_UNSET"}, "yes\tnil\tnil\tyes\n"},
		{"prefix is not a name", []string{"DLUA_TEST"}, "nil\tnil\tnil\tnil\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runLua(t, `
				local parent = self()
				spawn(function() send(parent, os.getenv("DLUA_TEST_ALLOWED") or "nil") end)
				print(os.getenv("DLUA_TEST_ALLOWED"), os.getenv("DLUA_TEST_DENIED"), os.getenv("DLUA_TEST_UNSET"), receive())`,
				setup{Limits: Limits{AllowEnv: tt.allowEnv}})
			r.mustOK(t)
			if r.Stdout != tt.want {
				t.Errorf("stdout %q, want %q", r.Stdout, tt.want)
			}
		})
	}
}

func TestStdio(t *testing.T) {
	tests := []struct {
		name       string
		src        string
		stdout     string
		stderr     string
		wantReason string // a substring of the exit reason; empty: normal
	}{
		{
			name:   "print",
			src:    `print("p", 1, nil, true, 1.5) print() print(setmetatable({}, {__tostring = function() return "obj" end}))`,
			stdout: "p\t1\tnil\ttrue\t1.5\n\nobj\n",
		},
		{
			name:   "io.write",
			src:    `io.write("w", 2, "\n") io.write() io.write("a"):write("b\n")`,
			stdout: "w2\nab\n",
		},
		{
			name:   "io.stdout and io.stderr",
			src:    `io.stdout:write("s", 1, "\n") io.stderr:write("e", 2, "\n") io.stderr:write("x"):write("y\n")`,
			stdout: "s1\n",
			stderr: "e2\nxy\n",
		},
		{
			name:   "unterminated line is flushed at the end",
			src:    `io.write("no newline") io.stderr:write("err no newline")`,
			stdout: "no newline",
			stderr: "err no newline",
		},
		{
			name:   "flush",
			src:    `io.stdout:write("a") io.stdout:flush() io.stderr:flush()`,
			stdout: "a",
		},
		{
			name:   "children write to the same streams",
			src:    `local _, ref = spawn_monitor(function() print("child") io.stderr:write("child err\n") end) receive() print("root")`,
			stdout: "child\nroot\n",
			stderr: "child err\n",
		},
		{
			name:       "io.write of a table",
			src:        `io.write({})`,
			wantReason: "string expected, got table",
		},
		{
			name:       "io.stdout:write of nil",
			src:        `io.stdout:write("a", nil)`,
			wantReason: "string expected, got nil",
		},
		{
			name:       "file method on a non-file",
			src:        `io.stdout.write({}, "x")`,
			wantReason: "file expected",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runLua(t, tt.src, setup{})
			if tt.wantReason == "" {
				r.mustOK(t)
			} else if s, _ := r.reason(t).(string); !strings.Contains(s, tt.wantReason) {
				t.Errorf("reason %q, want %q in it", s, tt.wantReason)
			}
			if r.Stdout != tt.stdout {
				t.Errorf("stdout %q, want %q", r.Stdout, tt.stdout)
			}
			if r.Stderr != tt.stderr {
				t.Errorf("stderr %q, want %q", r.Stderr, tt.stderr)
			}
		})
	}
}

// TestOutputLinesWhole: a line written by one call is never split by
// another process's output.
func TestOutputLinesWhole(t *testing.T) {
	r := runLua(t, `
		local n, lines = 50, 40
		local parent = self()
		for i = 1, n do
			spawn(function()
				local pad = string.rep("x", 200)
				for j = 1, lines do
					if j % 2 == 0 then
						print("line", i, j, pad)
					else
						io.write("line\t", i, "\t", j, "\t", pad, "\n")
					end
				end
				send(parent, true)
			end)
		end
		for i = 1, n do receive() end`, setup{})
	r.mustOK(t)
	lines := strings.Split(strings.TrimSuffix(r.Stdout, "\n"), "\n")
	if len(lines) != 50*40 {
		t.Errorf("%d lines, want %d", len(lines), 50*40)
	}
	re := regexp.MustCompile(`^line\t\d+\t\d+\tx{200}$`)
	for i, l := range lines {
		if !re.MatchString(l) {
			t.Fatalf("line %d is mixed: %q", i+1, l)
		}
	}
}

func TestStdin(t *testing.T) {
	const input = "line1\nline2\n42 3.5\nrest of\ndata"
	r := runLua(t, `
		local function show(...)
			local t = {}
			for i = 1, select("#", ...) do t[i] = tostring((select(i, ...))) end
			print(table.concat(t, "|"))
		end
		show(io.read())
		show(io.read("*l"))
		show(io.read("*n", "n"))
		show(io.read("*l"))
		show(io.read(4))
		show(io.read("*L"))
		show(io.read("*a"))
		show(io.read())
		show(io.read("*a"))
		show(io.read(1))
		show(pcall(io.read, "*x"))
		local parent = self()
		spawn(function() send(parent, {pcall(io.read)}) end)
		local r = receive()
		show(r[1], r[2])`, setup{Stdin: input})
	r.mustOK(t)
	want := []string{
		"line1",
		"line2",
		"42|3.5",
		"",
		"rest",
		" of\n",
		"data",
		"nil",
		"",
		"nil",
	}
	got := strings.Split(r.Stdout, "\n")
	// " of\n" spans two lines of output
	joined := strings.Join(want, "\n")
	if !strings.HasPrefix(r.Stdout, joined+"\n") {
		t.Errorf("stdout\n%q\nwant it to start with\n%q", r.Stdout, joined+"\n")
	}
	rest := got[len(strings.Split(joined, "\n")):]
	if len(rest) < 2 || !strings.HasPrefix(rest[0], "false|") || !strings.Contains(rest[0], "invalid format") {
		t.Errorf("io.read('*x'): %q", rest)
	}
	if len(rest) < 2 || !strings.HasPrefix(rest[1], "false|") || !strings.Contains(rest[1], "only the root process reads standard input") {
		t.Errorf("io.read in a child: %q", rest)
	}
}

func TestArgs(t *testing.T) {
	r := runLua(t, `
		print(#arg, arg[1], arg[2], select("#", ...), ...)
		print(arg[0] == SCRIPT_PATH)`, setup{Args: []string{"a", "b c"}})
	r.mustOK(t)
	lines := strings.Split(r.Stdout, "\n")
	if lines[0] != "2\ta\tb c\t2\ta\tb c" {
		t.Errorf("args line %q", lines[0])
	}
	r = runLua(t, `print(arg[0], select("#", ...))`, setup{})
	r.mustOK(t)
	if r.Stdout != r.Path+"\t0\n" {
		t.Errorf("stdout %q, want %q", r.Stdout, r.Path+"\t0\n")
	}
}
