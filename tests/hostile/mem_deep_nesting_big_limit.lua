-- limits: max_memory=1GiB max_instructions=0
-- own-node
-- timeout: 60
-- expect: memory_limit
-- t = {t} under a 1 GiB limit: a chain of millions of tables, which the
-- heap walk that checks the limit must follow without overflowing the Go
-- stack (a fatal error would end the whole node). It runs in a node of its
-- own: it may hold 1 GiB, above the corpus's RSS bound.
local t = {}
while true do
  t = {t}
end
