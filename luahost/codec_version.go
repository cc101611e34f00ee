package luahost

import (
	"runtime/debug"
	"strconv"
	"sync"
)

// chunkTransform is the version of what dlua does to a chunk's source
// before gopher-lua compiles it (compile in host.go: the shebang line,
// the nesting check, and any rewriting of the syntax tree). Bump it with
// every change to that step that can change the compiled code: two nodes
// whose compilers differ refuse each other, so that a function sent as
// source runs on the receiver as it ran on the sender.
const chunkTransform = 1

const gopherLua = "github.com/yuin/gopher-lua"

// compilerVersion is the Compiler of every Codec: the gopher-lua module's
// version and dlua's own transform, e.g. "gopher-lua v1.1.2; dlua chunk 1".
var compilerVersion = sync.OnceValue(func() string {
	bi, _ := debug.ReadBuildInfo()
	return compilerString(bi)
})

// compilerString derives the compiler version from a build's information.
func compilerString(bi *debug.BuildInfo) string {
	v := "unknown"
	if bi != nil {
		for _, m := range bi.Deps {
			if m.Path != gopherLua {
				continue
			}
			v = m.Version
			if r := m.Replace; r != nil {
				v = "=> " + r.Path + " " + r.Version
				if r.Sum != "" {
					v += " " + r.Sum
				}
			}
		}
	}
	return "gopher-lua " + v + "; dlua chunk " + strconv.Itoa(chunkTransform)
}
