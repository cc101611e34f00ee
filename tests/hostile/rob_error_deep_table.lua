-- expect: error
-- An error value nested deeper than a message may be.
local t = {}
for _ = 1, 5000 do t = {t} end
error(t)
