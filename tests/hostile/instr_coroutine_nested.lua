-- limits: max_instructions=5000000
-- expect: instruction_limit
-- A loop in a coroutine resumed by a coroutine resumed by a coroutine.
local function nest(depth)
  if depth == 0 then
    while true do end
  end
  local co = coroutine.create(nest)
  coroutine.resume(co, depth - 1)
end
coroutine.wrap(nest)(5)
error("nested coroutines returned")
