-- expect: normal
-- A stack overflow caught by pcall leaves the process able to go on.
local function f(n) return 1 + f(n + 1) end
for _ = 1, 3 do
  local ok, err = pcall(f, 1)
  assert(not ok and tostring(err):find("stack overflow"), tostring(err))
end
local function g(n) if n == 0 then return 0 end return 1 + g(n - 1) end
assert(g(500) == 500)
