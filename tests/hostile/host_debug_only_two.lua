-- expect: normal
-- debug has only what stays inside the process: no sethook, gethook,
-- getregistry or debug.debug.
local names = {}
for k in pairs(debug) do names[#names + 1] = tostring(k) end
table.sort(names)
assert(table.concat(names, ",") == "getfenv,getinfo,getlocal,getmetatable,getupvalue,setfenv,setlocal,setmetatable,setupvalue,traceback,upvalueid",
  "debug has: " .. table.concat(names, ","))
