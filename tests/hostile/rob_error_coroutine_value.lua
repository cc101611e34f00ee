-- expect: error
-- An error value that cannot be sent (a coroutine).
error(coroutine.create(function() end))
