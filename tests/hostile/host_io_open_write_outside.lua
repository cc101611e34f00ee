-- expect: normal
-- io.open for writing outside allow_write fails; the Go test checks that
-- the file was not made.
local ctx = ...
for _, mode in ipairs({"w", "a", "w+", "a+", "r+", "wb"}) do
  local f, err = io.open(ctx.outside .. "/written.txt", mode)
  assert(f == nil, "io.open(" .. mode .. ") opened a file outside for writing")
  assert(err:find("permission denied", 1, true), err)
end
