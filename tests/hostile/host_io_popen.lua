-- expect: error attempt to call
-- io.popen must not exist.
io.popen("echo hostile")
