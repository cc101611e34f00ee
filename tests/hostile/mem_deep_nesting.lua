-- limits: max_memory=8MiB
-- expect: memory_limit
-- t = {t}: a chain of tables without end.
local t = {}
while true do
  t = {t}
end
