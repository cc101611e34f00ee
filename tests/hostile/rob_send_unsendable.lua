-- expect: normal
-- Sending unsendable, too deep and cyclic values.
local deep = {}
for _ = 1, 10000 do deep = {deep} end
assert(not pcall(send, self(), deep))
assert(not pcall(send, self(), {co = coroutine.create(function() end)}))
assert(not pcall(send, self(), io.stdout))
local cyc = {}
cyc.me = cyc
send(self(), cyc)
local got = receive(1)
assert(got and got.me == got)
assert(not pcall(spawn, function() return deep end))
