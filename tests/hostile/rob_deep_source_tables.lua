-- own-node
-- max-rss: 256MiB
-- expect: normal
-- Table constructors nested 200,000 levels deep in source (400 KB): as
-- rob_deep_source.lua, refused or compiled within the memory limit.
local n = 200000
local f = loadstring("return " .. string.rep("{", n) .. string.rep("}", n))
pcall(f or function() end)
