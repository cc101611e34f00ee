-- expect: normal
-- debug.getregistry would hand out the registry.
assert(debug.getregistry == nil, "debug.getregistry is reachable")
