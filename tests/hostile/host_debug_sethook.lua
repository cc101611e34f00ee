-- expect: normal
-- debug.sethook would let a script turn off instruction counting.
assert(debug.sethook == nil, "debug.sethook is reachable")
assert(debug.gethook == nil, "debug.gethook is reachable")
