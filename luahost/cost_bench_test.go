package luahost

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/dlua/dlua/proc"
)

// CPU-bound workloads, to measure what instruction counting and memory
// accounting cost against plain gopher-lua (BENCHMARKS.md).
var workloads = []struct{ name, src string }{
	{"fib", `
		local function fib(n) if n < 2 then return n end return fib(n-1) + fib(n-2) end
		assert(fib(27) == 196418)`},
	{"tables", `
		local t = {}
		for i = 1, 200000 do t[i] = {x = i, y = i * 2, name = "p"} end
		local sum = 0
		for i = 1, #t do local p = t[i] sum = sum + p.x + p.y end
		assert(sum > 0)`},
	{"strings", `
		local parts = {}
		for i = 1, 50000 do
			local s = "item" .. i
			parts[#parts + 1] = s:upper() .. ":" .. #s
		end
		local joined = table.concat(parts, ",")
		local n = 0
		for w in joined:gmatch("ITEM%d+") do n = n + 1 end
		assert(n == 50000)`},
	{"live100k", `
		local live = {}
		for i = 1, 100000 do live[i] = {i} end
		local sum = 0
		for round = 1, 20 do
			for i = 1, 100000, 7 do live[i] = {round, i} sum = sum + live[i][2] end
		end
		assert(sum > 0)`},
}

// BenchmarkCost runs each workload on plain gopher-lua (every library
// opened, no context, the same stack sizes as dlua's states), in a dlua process without limits, with an instruction limit,
// and with both an instruction and a memory limit.
func BenchmarkCost(b *testing.B) {
	for _, w := range workloads {
		b.Run(w.name+"/plain", func(b *testing.B) {
			for range b.N {
				opts := options // dlua's stack sizes, every library opened, no context
				opts.SkipOpenLibs = false
				L := lua.NewState(opts)
				if err := L.DoString(w.src); err != nil {
					b.Fatal(err)
				}
				L.Close()
			}
		})
		configs := []struct {
			name   string
			limits Limits
		}{
			{"dlua", Limits{}},
			{"instructions", Limits{MaxInstructions: 1 << 40}},
			{"instructions+memory", Limits{MaxInstructions: 1 << 40, MaxMemory: 1 << 30}},
			{"memory", Limits{MaxMemory: 1 << 30}},
		}
		for _, c := range configs {
			b.Run(w.name+"/"+c.name, func(b *testing.B) {
				path := filepath.Join(b.TempDir(), "w.lua")
				if err := os.WriteFile(path, []byte(w.src), 0o644); err != nil {
					b.Fatal(err)
				}
				node := proc.NewNode(proc.Config{})
				h := New(Config{Node: node, Stdout: io.Discard, Stderr: io.Discard, Limits: c.limits})
				b.ResetTimer()
				for range b.N {
					if err := h.RunScript(context.Background(), path, nil); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
