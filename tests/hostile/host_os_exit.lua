-- expect: error attempt to call
-- os.exit must not exist: the node would end with every other process.
os.exit(0)
