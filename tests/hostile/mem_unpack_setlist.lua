-- expect: memory_limit
-- Table constructors filled from varargs, kept.
local src = {}
for i = 1, 5000 do src[i] = i end
local keep = {}
while true do
  keep[#keep + 1] = {unpack(src)}
end
