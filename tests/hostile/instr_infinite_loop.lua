-- expect: instruction_limit
-- The plainest hostile script.
while true do end
