-- expect: error "x"
-- exit(reason) inside a pcall still ends the process with that reason.
local ok = pcall(exit, "x")
error("pcall returned " .. tostring(ok))
