-- limits: max_memory=4MiB
-- expect: memory_limit
-- Compiled chunks kept: their prototypes (~0.5 MB each here) are the
-- process's own memory. 30 of them are far over 4 MiB.
local src = "return {" .. string.rep("1,", 50000) .. "}"
local keep = {}
for i = 1, 30 do
  keep[i] = loadstring(src)
end
error("held " .. #keep .. " compiled chunks")
