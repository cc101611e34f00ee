-- expect: memory_limit
-- A string doubled by gsub (a builtin): 1 KiB to 128 MiB in 17 steps.
local s = string.rep("x", 1024)
for _ = 1, 17 do
  s = s:gsub("^", s)
end
error("gsub doubling reached " .. #s .. " bytes")
