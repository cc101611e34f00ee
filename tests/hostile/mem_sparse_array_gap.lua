-- expect: memory_limit
-- t[1e6] = 1 on an empty table: gopher-lua fills the array part up to the
-- key (16 MB each); eight such tables are 128 MB under a 32 MiB limit.
local keep = {}
for i = 1, 8 do
  local t = {}
  t[1e6] = i
  keep[i] = t
end
error("eight sparse tables held")
