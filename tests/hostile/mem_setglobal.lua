-- limits: max_memory=4MiB
-- expect: memory_limit
-- Globals made by SETGLOBAL from loaded chunks that each name a new global.
local i = 0
while true do
  i = i + 1
  loadstring("g" .. i .. " = {" .. i .. "}")()
end
