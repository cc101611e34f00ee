-- expect: normal
-- Malformed patterns raise errors, not panics.
for _, p in ipairs({"[", "%", "(", ")", "%b", "%f", "[%", "(()", "%1", "[a-", "%g(", string.rep("(", 100) .. "x" .. string.rep(")", 100)}) do
  pcall(string.find, "hostile", p)
  pcall(string.match, "hostile", p)
  pcall(string.gsub, "hostile", p, "%1")
  pcall(string.gsub, "hostile", "(h)", "%" .. p)
  pcall(function() for _ in ("hostile"):gmatch(p) do end end)
end
