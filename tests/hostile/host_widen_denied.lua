-- expect: normal
-- A child may not ask for more than its spawner has.
local function f() end
local asks = {
  {max_memory = "64MiB"},
  {max_instructions = 1e12},
  {max_mailbox = 1e9},
  {allow = {read = {"/"}}},
  {allow = {write = {"/tmp"}}},
  {allow = {env = {"PATH"}}},
}
for i, opts in ipairs(asks) do
  local ok = pcall(proc.spawn_opt, opts, f)
  assert(not ok, "spawn_opt widened ask " .. i)
end
