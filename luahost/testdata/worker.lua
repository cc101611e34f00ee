-- A module for the "module.function" form of spawn (proc_test.lua).
local M = {}

function M.double(parent, x)
	send(parent, x * 2)
end

function M.whoami(parent)
	send(parent, { me = self(), initial = proc.info().initial })
end

-- spawns a grandchild by name: children resolve modules from the root
-- script's folder too
function M.relay(parent, x)
	spawn("worker.double", parent, x)
end

M.notfn = 1

return M
