-- expect: normal
-- collectgarbage("stop") and friends are harmless.
collectgarbage("stop")
local keep = {}
for i = 1, 1000 do keep[i] = {i} end
collectgarbage("setpause", 1e9)
collectgarbage("setstepmul", 1e9)
collectgarbage("step", 1e9)
collectgarbage("restart")
collectgarbage()
assert(type(collectgarbage("count")) == "number")
