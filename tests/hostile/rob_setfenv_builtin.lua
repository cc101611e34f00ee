-- expect: error cannot change
-- setfenv on a builtin (a function every process shares).
setfenv(print, {})
