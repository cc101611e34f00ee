-- expect: error only the root process
-- os.exit ends the run only when the root process of a script calls it;
-- elsewhere it raises, and the node goes on.
os.exit(0)
