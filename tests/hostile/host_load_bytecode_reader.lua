-- expect: normal
-- load with a reader function refuses bytecode handed out in pieces.
local pieces = {"\27", "L", "ua", "Q\0\1\4\8\4\8\0"}
local i = 0
local f = load(function()
  i = i + 1
  return pieces[i]
end)
assert(f == nil, "load(reader) accepted bytecode")
