-- boot.lua: the boot script of node "a" in config.toml. It registers a
-- greeter that answers {from = pid, name = "..."} from any node of the
-- cluster:
--
--   send({"greeter", "a"}, {from = self(), name = "b"}); print(receive())
proc.register("greeter")
print("greeter on " .. proc.node())
while true do
  local msg = receive()
  if type(msg) == "table" and msg.from then
    send(msg.from, "hello, " .. tostring(msg.name) .. " from " .. proc.node())
  end
end
