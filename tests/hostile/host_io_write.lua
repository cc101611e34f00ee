-- expect: normal
-- stdout: hostile io.write line
-- stdout: hostile io.stdout line
-- stderr: hostile io.stderr line
-- io.write and io.stdout:write go where print goes; io.stderr to stderr.
io.write("hostile io.write", " line\n")
io.stdout:write("hostile io.stdout line\n")
io.stderr:write("hostile io.stderr line\n")
