-- expect: error attempt to call
-- os.execute must not exist: calling it is an ordinary Lua error.
os.execute("touch /tmp/dlua-hostile-os-execute")
