-- expect: normal
-- A __tostring that returns a table: tostring, print and string.format
-- may return it or raise, but must not crash.
local t = setmetatable({}, {__tostring = function() return {} end})
pcall(tostring, t)
pcall(print, t)
pcall(string.format, "%s", t)
pcall(error, t)
local ok = pcall(function() return "x" .. tostring(t) end)
