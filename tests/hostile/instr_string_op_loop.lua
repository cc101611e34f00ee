-- limits: max_instructions=5000000
-- expect: instruction_limit
-- A loop whose body is builtin string work.
local s = "hostile"
while true do
  s = s:upper():lower():sub(1, 7)
end
