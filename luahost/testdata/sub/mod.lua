local name = ...
return {
	name = name,
	f = function(parent)
		send(parent, name .. ".f")
	end,
}
