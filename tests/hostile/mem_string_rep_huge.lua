-- expect: memory_limit
-- One string.rep of 1 GiB under a 32 MiB limit: it must be refused before
-- the bytes exist.
local s = string.rep("x", 2 ^ 30)
error("string.rep returned " .. #s .. " bytes")
