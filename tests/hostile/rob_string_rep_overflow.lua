-- expect: error|memory_limit|instruction_limit
-- string.rep whose length overflows an int: refused (or charged) before
-- anything is allocated; the node goes on.
local s = string.rep("xx", 2 ^ 62)
error("string.rep returned " .. #s .. " bytes")
