package tui

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports checks the layering: of dlua's packages, tui imports proc
// only. The Lua host comes through the Lua interface, the network (later)
// through Source.
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		ast, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range ast.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(path, "github.com/dlua/dlua/") && path != "github.com/dlua/dlua/proc" {
				t.Errorf("%s imports %s", f, path)
			}
		}
	}
}
