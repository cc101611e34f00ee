-- expect: normal
-- A process opens and closes files one after the other, 200 times: files
-- it closed do not count against the number it may hold open.
local ctx = ...
for i = 1, 200 do
  local f, err = io.open(ctx.dir .. "/" .. ctx.name)
  assert(f, "open number " .. i .. ": " .. tostring(err))
  assert(f:read("*l"))
  f:close()
end
