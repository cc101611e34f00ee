package luahost

import "testing"

// TestGlobalNames runs proc.global on a node of its own (its own arbiter).
func TestGlobalNames(t *testing.T) {
	runLua(t, `
		assert(type(proc.global) == "table")
		assert(proc.global.whereis("svc") == nil)
		assert(proc.global.register("svc", proc.self()) == true)
		assert(proc.global.whereis("svc") == proc.self())
		local other = spawn(function() proc.receive() end)
		assert(proc.global.register("svc", other) == false, "taken")
		assert(proc.global.register("w", other) == true)
		local ref = monitor(other)
		send(other, "stop")
		receive(function(m) return type(m) == "table" and m.tag == "DOWN" end)
		assert(proc.global.whereis("w") == nil, "freed on exit")
		assert(proc.global.unregister("svc") == true)
		assert(proc.global.unregister("svc") == false)
		assert(proc.global.whereis("svc") == nil)
		-- proc.global is this process's own: writes stay here
		proc.global.mine = 1
		for k in pairs(proc) do end -- materializes proc, keeping global
		assert(proc.global.mine == 1)
		local seen = {}
		local p = spawn(function(parent) send(parent, proc.global.mine == nil and proc.global.register ~= nil) end, proc.self())
		assert(receive(2) == true, "another process sees a clean proc.global")
	`, setup{}).mustOK(t)
}
