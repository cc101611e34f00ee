-- expect: killed
-- exit(self(), "kill") from the process itself.
exit(self(), "kill")
while true do end
