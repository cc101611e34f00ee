-- expect: error "caught?"
-- exit inside pcall, then a loop of pcalls: every one fails, the process ends.
pcall(exit, "caught?")
while true do pcall(function() end) end
