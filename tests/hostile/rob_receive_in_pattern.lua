-- expect: normal
-- A receive pattern that itself receives: the outer receive must return a
-- message its pattern matched, or raise.
for i = 1, 5 do send(self(), i) end
local ok, v = pcall(receive, function(m)
  if m == 3 then
    receive(function(x) return x == 2 end, 0)
    return true
  end
  return false
end)
assert(not ok or v == 3, "receive returned " .. tostring(v) .. ", which its pattern did not match")
