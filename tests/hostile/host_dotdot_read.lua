-- expect: normal
-- ".." out of an allowed folder is outside it.
local ctx = ...
for _, p in ipairs({
  ctx.dir .. "/../e2e_test.go",
  ctx.dir .. "/../../go.mod",
  ctx.dir .. "/./../hostile/../../README.md",
  ctx.dir .. "/" .. string.rep("../", 40) .. "etc/passwd",
}) do
  local f, err = io.open(p)
  assert(f == nil, "io.open read " .. p)
  assert(err:find("permission denied", 1, true), err)
end
local f, err = loadfile(ctx.dir .. "/../e2e_test.go")
assert(f == nil and err:find("not in a folder", 1, true), tostring(err))
