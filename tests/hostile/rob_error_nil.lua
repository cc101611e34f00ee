-- expect: error
-- error(nil): the process ends with an error, not normally.
error(nil)
