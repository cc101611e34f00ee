// Package luahost runs Lua (gopher-lua, Lua 5.1) processes on a proc.Node:
// it builds each process's sandboxed state, defines the builtins of the
// proc module, and copies values between processes.
//
// # States
//
// A process's *lua.LState is lean: a 128-slot value stack that grows on
// demand, a call stack that grows in segments, no library opened. The
// standard libraries exist once, in tables that no state writes, and each
// process sees them through small stand-ins (see libs.go): a process costs
// about 13 KB, goroutine included. Compiled prototypes are shared too.
//
// The state is its LState's context.Context. The VM calls Done before
// every instruction; Done counts instructions (for proc.info and
// max_instructions) and reports done once the process has been killed or
// has called exit, so that a busy loop stops at its next instruction and no
// pcall can keep a dying process alive. Coroutines get the same context.
//
// # Values
//
// Messages, spawn arguments and exit reasons leave a process as
// proc.Values and enter another as fresh Lua values (values.go). A pid is
// a userdata interned per process, so the same pid is always the same
// table key. Functions travel as their shared prototype plus upvalues
// copied by value; library functions travel by name.
//
// # Functions between nodes
//
// A Host remembers the chunk (name and source) of every prototype it
// compiles (codec_chunks.go, weakly: an entry lives as long as its
// prototype). Its Codec (Host.Codec, a proc.CodeCodec) turns a function's
// prototype into its chunk's key (SHA-256 of name and source) and the
// path of the prototype in the chunk (codec.go); the transport fetches a
// source the receiving node lacks, and the receiving process compiles it
// with this node's own compiler, charged to that process's limits. No
// bytecode is ever read. Nodes check in their handshake that their
// compilers are the same (Compiler: the gopher-lua module version and
// chunkTransform, codec_version.go).
//
// # Concurrency
//
// Only the process's goroutine touches its state; Host methods are safe for
// concurrent use.
package luahost
