-- expect: normal
-- debug has getinfo and traceback, nothing else.
local names = {}
for k in pairs(debug) do names[#names + 1] = tostring(k) end
table.sort(names)
assert(table.concat(names, ",") == "getinfo,traceback", "debug has: " .. table.concat(names, ","))
