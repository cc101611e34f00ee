-- expect: normal
-- string.dump would make bytecode, which the loaders refuse anyway.
assert(string.dump == nil, "string.dump is reachable")
assert(("").dump == nil, "string.dump is reachable as a method")
