-- The string and table builtins of strlib.go: Lua semantics, ported from
-- gopher-lua's own tests (_lua5.1-tests/pm.lua, strings.lua, sort.lua and
-- _glua-tests/strings.lua, table.lua; MIT License, Copyright (c) 2015
-- Yusuke Inuzuka), and the limits the builtins enforce.
local T = require("testlib")
local eq, ok, raises = T.eq, T.ok, T.raises
local run = T.run

local function f(s, p)
	local i, e = string.find(s, p)
	if i then
		return string.sub(s, i, e)
	end
end

local function f1(s, p)
	p = string.gsub(p, "%%([0-9])", function(s)
		return "%" .. (s + 1)
	end)
	p = string.gsub(p, "^(^?)", "%1()", 1)
	p = string.gsub(p, "($?)$", "()%1", 1)
	local t = { string.match(s, p) }
	return string.sub(s, t[1], t[#t] - 1)
end

function TestPatternFind()
	local a, b = string.find("", "") -- empty patterns are tricky
	assert(a == 1 and b == 0)
	a, b = string.find("alo", "")
	assert(a == 1 and b == 0)
	a, b = string.find("a\0o a\0o a\0o", "a", 1) -- first position
	assert(a == 1 and b == 1)
	a, b = string.find("a\0o a\0o a\0o", "a\0o", 2) -- starts in the midle
	assert(a == 5 and b == 7)
	a, b = string.find("a\0o a\0o a\0o", "a\0o", 9) -- starts in the midle
	assert(a == 9 and b == 11)
	a, b = string.find("a\0a\0a\0a\0\0ab", "\0ab", 2) -- finds at the end
	assert(a == 9 and b == 11)
	a, b = string.find("a\0a\0a\0a\0\0ab", "b") -- last position
	assert(a == 11 and b == 11)
	assert(string.find("a\0a\0a\0a\0\0ab", "b\0") == nil) -- check ending
	assert(string.find("", "\0") == nil)
	assert(string.find("alo123alo", "12") == 4)
	assert(string.find("alo123alo", "^12") == nil)

	assert(f("aloALO", "%l*") == "alo")
	assert(f("aLo_ALO", "%a*") == "aLo")
	assert(f("aaab", "a*") == "aaa")
	assert(f("aaa", "^.*$") == "aaa")
	assert(f("aaa", "b*") == "")
	assert(f("aaa", "ab*a") == "aa")
	assert(f("aba", "ab*a") == "aba")
	assert(f("aaab", "a+") == "aaa")
	assert(f("aaa", "^.+$") == "aaa")
	assert(f("aaa", "b+") == nil)
	assert(f("aaa", "ab+a") == nil)
	assert(f("aba", "ab+a") == "aba")
	assert(f("a$a", ".$") == "a")
	assert(f("a$a", ".%$") == "a$")
	assert(f("a$a", ".$.") == "a$a")
	assert(f("a$a", "$$") == nil)
	assert(f("a$b", "a$") == nil)
	assert(f("a$a", "$") == "")
	assert(f("", "b*") == "")
	assert(f("aaa", "bb*") == nil)
	assert(f("aaab", "a-") == "")
	assert(f("aaa", "^.-$") == "aaa")
	assert(f("aabaaabaaabaaaba", "b.*b") == "baaabaaabaaab")
	assert(f("aabaaabaaabaaaba", "b.-b") == "baaab")
	assert(f("alo xo", ".o$") == "xo")
	assert(f(" \n isto \233 assim", "%S%S*") == "isto")
	assert(f(" \n isto \233 assim", "%S*$") == "assim")
	assert(f(" \n isto \233 assim", "[a-z]*$") == "assim")
	assert(f("um caracter ? extra", "[^%sa-z]") == "?")
	assert(f("", "a?") == "")
	assert(f("\225", "\225?") == "\225")
	assert(f("\225bl", "\225?b?l?") == "\225bl")
	assert(f("  \225bl", "\225?b?l?") == "")
	assert(f("aa", "^aa?a?a") == "aa")
	assert(f("]]]\225b", "[^%]]") == "\225")
	assert(f("0alo alo", "%x*") == "0a")
	assert(f("alo alo", "%C+") == "alo alo")

	assert(f1("alo alx 123 b\0o b\0o", "(..*) %1") == "b\0o b\0o")
	assert(f1("axz123= 4= 4 34", "(.+)=(.*)=%2 %1") == "3= 4= 4 3")
	assert(f1("=======", "^(=*)=%1$") == "=======")
	assert(string.match("==========", "^([=]*)=%1$") == nil)

	-- strings.lua
	assert(string.find("123456789", "345") == 3)
	a, b = string.find("123456789", "345")
	assert(string.sub("123456789", a, b) == "345")
	assert(string.find("1234567890123456789", "345", 3) == 3)
	assert(string.find("1234567890123456789", "345", 4) == 13)
	assert(string.find("1234567890123456789", "346", 4) == nil)
	assert(string.find("1234567890123456789", ".45", -9) == 13)
	assert(string.find("abcdefg", "\0", 5, 1) == nil)
	assert(string.find("", "") == 1)
	assert(string.find("", "aaa", 1) == nil)
	assert(("alo(.)alo"):find("(.)", 1, 1) == 4)
	assert(string.find("", "aaa") == nil)
	local r1, r2, r3, r4 = string.find("aaa bbb", "(%w+())")
	assert(r1 == 1 and r2 == 3 and r3 == "aaa" and r4 == 4)
	-- plain find past the end (gopher-lua panicked)
	eq(string.find("abc", "c", 10, true), nil, "plain find past the end")
	eq(string.find("abc", "c", 10), nil, "find past the end")
end

local function range(i, j)
	local ret = {}
	for k = i, j do
		table.insert(ret, k)
	end
	return unpack(ret)
end

local abc = string.char(range(0, 255))

local function strset(p)
	local res = { s = "" }
	string.gsub(abc, p, function(c)
		res.s = res.s .. c
	end)
	return res.s
end

function TestPatternClasses()
	assert(string.len(abc) == 256)
	assert(string.len(strset("[\200-\210]")) == 11)
	assert(strset("[a-z]") == "abcdefghijklmnopqrstuvwxyz")
	assert(strset("[a-z%d]") == strset("[%da-uu-z]"))
	assert(strset("[a%-]") == "-a")
	assert(strset("[^%W]") == strset("[%w]"))
	assert(strset("[%]%%]") == "%]")
	assert(strset("[a%-z]") == "-az")
	assert(strset("[%^%[%-a%]%-b]") == "-[]^ab")
	assert(strset("%Z") == strset("[\1-\255]"))
	assert(strset(".") == strset("[\1-\255%z]"))
end

function TestPatternMatch()
	assert(string.match("alo xyzK", "(%w+)K") == "xyz")
	assert(string.match("254 K", "(%d*)K") == "")
	assert(string.match("alo ", "(%w*)$") == "")
	assert(string.match("alo ", "(%w+)$") == nil)
	assert(string.find("(\225lo)", "%(\225") == 1)
	local a, b, c, d, e = string.match("\225lo alo", "^(((.).).* (%w*))$")
	assert(a == "\225lo alo" and b == "\225l" and c == "\225" and d == "alo" and e == nil)
	a, b, c, d = string.match("0123456789", "(.+(.?)())")
	assert(a == "0123456789" and b == "" and c == 11 and d == nil)
	-- no match: one nil, as in C Lua
	eq(select("#", string.match("abc", "x")), 1, "values of a failed match")
	eq(string.match("hello world", "o", 6), "o")
	eq(string.match("hello", "l+", -3), "ll")
end

function TestPatternGsub()
	assert(string.gsub("\225lo \225lo", "\225", "x") == "xlo xlo")
	assert(string.gsub("alo \225lo  ", " +$", "") == "alo \225lo") -- trim
	assert(string.gsub("  alo alo  ", "^%s*(.-)%s*$", "%1") == "alo alo") -- double trim
	assert(string.gsub("alo  alo  \n 123\n ", "%s+", " ") == "alo alo 123 ")
	local t = "ab\231 d"
	local a, b = string.gsub(t, "(.)", "%1@")
	assert("@" .. a == string.gsub(t, "", "@") and b == 5)
	a, b = string.gsub("ab\231d", "(.)", "%0@", 2)
	assert(a == "a@b@\231d" and b == 2)
	assert(string.gsub("alo alo", "()[al]", "%1") == "12o 56o")
	assert(string.gsub("abc=xyz", "(%w*)(%p)(%w+)", "%3%2%1-%0") == "xyz=abc-abc=xyz")
	assert(string.gsub("abc", "%w", "%1%0") == "aabbcc")
	assert(string.gsub("abc", "%w+", "%0%1") == "abcabc")
	assert(string.gsub("\225\226\227", "$", "\0\228\229") == "\225\226\227\0\228\229")
	assert(string.gsub("", "^", "r") == "r")
	assert(string.gsub("", "$", "r") == "r")
	assert(string.gsub("hello world", "(%w+)", "%1 %1 %c") == "hello hello %c world world %c")
	eq(string.gsub("50%", "%%", "%%%%"), "50%%", "%% in the replacement")
	eq(string.gsub("ab", "b", "x%"), "ax%", "a % ending the replacement")

	assert(string.gsub("um (dois) tres (quatro)", "(%(%w+%))", string.upper) == "um (DOIS) tres (QUATRO)")

	do
		local function setglobal(n, v)
			rawset(_G, n, v)
		end
		string.gsub("a=roberto,roberto=a", "(%w+)=(%w%w*)", setglobal)
		assert(_G.a == "roberto" and _G.roberto == "a")
	end

	local function g(a, b)
		return string.gsub(a, ".", b)
	end
	assert(
		string.gsub("trocar tudo em |teste|b| \233 |beleza|al|", "|([^|]*)|([^|]*)|", g)
			== "trocar tudo em bbbbb \233 alalalalalal"
	)

	local function dostring(s)
		return loadstring(s)() or ""
	end
	assert(string.gsub("alo $a=1$ novamente $return a$", "$([^$]*)%$", dostring) == "alo  novamente 1")

	local x = string.gsub("$x=string.gsub('alo', '.', string.upper)$ assim vai para $return x$", "$([^$]*)%$", dostring)
	assert(x == " assim vai para ALO")

	t = {}
	local s = "a alo jose  joao"
	local r = string.gsub(s, "()(%w+)()", function(a, w, b)
		assert(string.len(w) == b - a)
		t[a] = b - a
	end)
	assert(s == r and t[1] == 1 and t[3] == 3 and t[7] == 4 and t[13] == 4)

	local function isbalanced(s)
		return string.find(string.gsub(s, "%b()", ""), "[()]") == nil
	end
	assert(isbalanced("(9 ((8))(\0) 7) \0\0 a b ()(c)() a"))
	assert(not isbalanced("(9 ((8) 7) a b (\0 c) a"))
	assert(string.gsub("alo 'oi' alo", "%b''", '"') == 'alo " alo')

	t = { "apple", "orange", "lime", n = 0 }
	assert(string.gsub("x and x and x", "x", function()
		t.n = t.n + 1
		return t[t.n]
	end) == "apple and orange and lime")

	t = { n = 0 }
	string.gsub("first second word", "%w%w*", function(w)
		t.n = t.n + 1
		t[t.n] = w
	end)
	assert(t[1] == "first" and t[2] == "second" and t[3] == "word" and t.n == 3)

	t = { n = 0 }
	assert(string.gsub("first second word", "%w+", function(w)
		t.n = t.n + 1
		t[t.n] = w
	end, 2) == "first second word")
	assert(t[1] == "first" and t[2] == "second" and t[3] == nil)

	assert(not pcall(string.gsub, "alo", "(.", print))
	assert(not pcall(string.gsub, "alo", ".)", print))
	assert(not pcall(string.gsub, "alo", "(.", {}))
	assert(not pcall(string.gsub, "alo", "(.)", "%2"))
	assert(not pcall(string.gsub, "alo", "(%1)", "a"))
	assert(not pcall(string.gsub, "alo", "(%0)", "a"))

	-- big strings
	local big = string.rep("a", 300000)
	assert(string.find(big, "^a*.?$"))
	assert(not string.find(big, "^a*.?b$"))
	assert(string.find(big, "^a-.?$"))

	-- deep nest of gsubs
	local function rev(s)
		return string.gsub(s, "(.)(.+)", function(c, s1)
			return rev(s1) .. c
		end)
	end
	x = string.rep("012345", 10)
	assert(rev(rev(x)) == x)

	-- gsub with tables
	assert(string.gsub("alo alo", ".", {}) == "alo alo")
	assert(string.gsub("alo alo", "(.)", { a = "AA", l = "" }) == "AAo AAo")
	assert(string.gsub("alo alo", "(.).", { a = "AA", l = "K" }) == "AAo AAo")
	assert(string.gsub("alo alo", "((.)(.?))", { al = "AA", o = false }) == "AAo AAo")
	assert(string.gsub("alo alo", "().", { 2, 5, 6 }) == "256 alo")
	t = {}
	setmetatable(t, {
		__index = function(t, s)
			return string.upper(s)
		end,
	})
	assert(string.gsub("a alo b hi", "%w%w+", t) == "a ALO b HI")

	-- counts, and a number as the subject
	local res, n = string.gsub("abc", "x", "y")
	eq(res, "abc")
	eq(n, 0)
	res, n = string.gsub(12345, "3", "")
	eq(res, "1245")
	eq(n, 1)
	eq(select(2, string.gsub("aaa", "a", "b", 2)), 2, "gsub limit")
	eq(select(2, string.gsub("aaa", "", "-")), 4, "empty matches")
end

function TestPatternGmatch()
	local a = 0
	for i in string.gmatch("abcde", "()") do
		assert(i == a + 1)
		a = i
	end
	assert(a == 6)

	local t = { n = 0 }
	for w in string.gmatch("first second word", "%w+") do
		t.n = t.n + 1
		t[t.n] = w
	end
	assert(t[1] == "first" and t[2] == "second" and t[3] == "word")

	t = { 3, 6, 9 }
	for i in string.gmatch("xuxx uu ppar r", "()(.)%2") do
		assert(i == table.remove(t, 1))
	end
	assert(table.getn(t) == 0)

	t = {}
	for i, j in string.gmatch("13 14 10 = 11, 15= 16, 22=23", "(%d+)%s*=%s*(%d+)") do
		t[i] = j
	end
	a = 0
	for k, v in pairs(t) do
		assert(k + 1 == v + 0)
		a = a + 1
	end
	assert(a == 3)

	-- the iterator can be called directly, as in C Lua
	local it = ("one two"):gmatch("%a+")
	eq(it(), "one")
	eq(it(), "two")
	eq(it(), nil)
	eq(it(), nil, "after the end")
	-- an anchored pattern matches once at most
	local n = 0
	for _ in ("aaa"):gmatch("^a") do
		n = n + 1
	end
	eq(n, 1, "anchored gmatch")
	raises("unfinished capture", string.gmatch, "x", "(")
end

function TestStringErrors()
	raises("too many captures", string.find, "x", string.rep("()", 33))
	ok(string.find("x", string.rep("()", 32)), "32 captures")
	raises("invalid capture index", string.find, "xaa", "((a)%1)")
end

function TestStringBasics()
	assert(string.sub("123456789", 2, 4) == "234")
	assert(string.sub("123456789", 7) == "789")
	assert(string.sub("123456789", 7, 6) == "")
	assert(string.sub("123456789", 7, 7) == "7")
	assert(string.sub("123456789", 0, 0) == "")
	assert(string.sub("123456789", -10, 10) == "123456789")
	assert(string.sub("123456789", 1, 9) == "123456789")
	assert(string.sub("123456789", -10, -20) == "")
	assert(string.sub("123456789", -1) == "9")
	assert(string.sub("123456789", -4) == "6789")
	assert(string.sub("123456789", -6, -4) == "456")
	assert(string.sub("\000123456789", 3, 5) == "234")
	assert(("\000123456789"):sub(8) == "789")

	assert(string.len("") == 0)
	assert(string.len("\0\0\0") == 3)
	assert(string.len("1234567890") == 10)

	assert(string.byte("a") == 97)
	assert(string.byte("\228") > 127)
	assert(string.byte(string.char(255)) == 255)
	assert(string.byte(string.char(0)) == 0)
	assert(string.byte("\0") == 0)
	assert(string.byte("\0\0alo\0x", -1) == string.byte("x"))
	assert(string.byte("ba", 2) == 97)
	assert(string.byte("\n\n", 2, -1) == 10)
	assert(string.byte("\n\n", 2, 2) == 10)
	assert(string.byte("") == nil)
	assert(string.byte("hi", -3) == nil)
	assert(string.byte("hi", 3) == nil)
	assert(string.byte("hi", 9, 10) == nil)
	assert(string.byte("hi", 2, 1) == nil)
	assert(string.char() == "")
	assert(string.char(0, 255, 0) == "\0\255\0")
	assert(string.char(0, string.byte("\225"), 0) == "\0\225\0")
	assert(string.char(string.byte("\225l\0\243u", 1, -1)) == "\225l\0\243u")
	assert(string.char(string.byte("\225l\0\243u", 1, 0)) == "")
	assert(string.char(string.byte("\225l\0\243u", -10, 100)) == "\225l\0\243u")
	eq(select("#", string.byte(string.rep("x", 8000), 1, -1)), 8000, "8000 bytes")
	raises("string slice too long", string.byte, string.rep("x", 8001), 1, -1)

	assert(string.upper("ab\0c") == "AB\0C")
	assert(string.lower("\0ABCc%$") == "\0abcc%$")
	assert(string.rep("teste", 0) == "")
	assert(string.rep("t\233s\00t\234", 2) == "t\233s\0t\234t\233s\000t\234")
	assert(string.rep("", 10) == "")
	eq(string.rep("ab", -1), "")
	eq(string.rep("ab", 3, "ignored"), "ababab", "Lua 5.1 rep has no separator")
	for i = 0, 30 do
		assert(string.len(string.rep("a", i)) == i)
	end
	local long = string.rep("abc", 100000)
	eq(#long, 300000)
	eq(long:sub(-4), "cabc")

	assert(string.reverse("") == "")
	assert(string.reverse("\0\1\2\3") == "\3\2\1\0")
	assert(string.reverse("\0001234") == "4321\0")
	local rev = string.reverse(string.rep("ab", 100000) .. "c")
	eq(#rev, 200001)
	eq(rev:sub(1, 3), "cba")
	eq(rev:sub(-2), "ba")

	-- upper and lower of long strings (converted by chunks) are those of
	-- short ones, multi-byte sequences included
	local piece = "aé€😀Zß\255x"
	local longer = string.rep(piece, 20000)
	ok(longer:upper() == string.rep(piece:upper(), 20000), "long upper")
	ok(longer:lower() == string.rep(piece:lower(), 20000), "long lower")
	ok(longer == string.rep(piece, 10000) .. string.rep(piece, 10000), "long rep")
	ok(string.rep("abc", 50000) == string.rep("abcabc", 25000), "rep past a chunk")
	eq(("a\255"):upper(), "A\239\191\189", "invalid UTF-8 (as gopher-lua)")
end

function TestStringFormat()
	assert(string.format("") == "")
	assert(
		string.format("%c", 34) .. string.format("%c", 48) .. string.format("%c", 90) .. string.format("%c", 100)
			== string.format("%c%c%c%c", 34, 48, 90, 100)
	)
	assert(string.format("%s\0 is not \0%s", "not be", "be") == "not be\0 is not \0be")
	assert(string.format("%%%d %010d", 10, 23) == "%10 0000000023")
	assert(tonumber(string.format("%f", 10.3)) == 10.3)
	local x = string.format('"%-50s"', "a")
	assert(#x == 52)
	assert(string.sub(x, 1, 4) == '"a  ')
	assert(string.format("-%.20s.20s", string.rep("%", 2000)) == "-" .. string.rep("%", 20) .. ".20s")
	assert(string.format('"-%20s.20s"', string.rep("%", 2000)) == string.format("%q", "-" .. string.rep("%", 2000) .. ".20s"))
	-- longest number that can be formated
	assert(string.len(string.format("%99.99f", -1e308)) >= 100)
	eq(string.format("%5.2f|%-5d|%x|%X|%o|%e|%g", 3.14159, 42, 255, 255, 8, 12345.678, 0.0001),
		" 3.14|42   |ff|FF|10|1.234568e+04|0.0001")
	eq(#string.format("%999999d", 1), 999999, "a six-digit width")
	eq(#string.format("%.999999f", 1), 1000001, "a six-digit precision")
	eq(string.format("%s %s", 1, 2.5), "1 2.5")
	eq(string.format("%d", "12"), "12")
	ok(string.format("%s", {}):find("^table: "), "a table")
	ok(string.format("%d"):find("MISSING"), "a missing argument")
	ok(string.format("%99999999d", 1):find("NOVERB"), "an eight-digit width (Go gives up)")
	eq(string.format("%5%"), "%", "%5%")
end

function TestTableFunctions()
	assert(table.concat({}) == "")
	assert(table.concat({}, "x") == "")
	assert(table.concat({ "\0", "\0\1", "\0\1\2" }, ".\0.") == "\0.\0.\0\1.\0.\0\1\2")
	local a = {}
	for i = 1, 3000 do
		a[i] = "xuxu"
	end
	assert(table.concat(a, "123") .. "123" == string.rep("xuxu123", 3000))
	assert(table.concat(a, "b", 20, 20) == "xuxu")
	assert(table.concat(a, "", 20, 21) == "xuxuxuxu")
	assert(table.concat(a, "", 22, 21) == "")
	assert(table.concat(a, "3", 2999) == "xuxu3xuxu")
	a = { "a", "b", "c" }
	assert(table.concat(a, ",", 1, 0) == "")
	assert(table.concat(a, ",", 1, 1) == "a")
	assert(table.concat(a, ",", 1, 2) == "a,b")
	assert(table.concat(a, ",", 2) == "b,c")
	assert(table.concat(a, ",", 3) == "c")
	assert(table.concat(a, ",", 4) == "")
	eq(table.concat({ 1, 2.5, "x" }, "0"), "102.50x", "numbers")
	raises("invalid value (table) at index 2 in table for concat", table.concat, { 1, {} })

	a = {}
	assert(table.maxn(a) == 0)
	a["key"] = 1
	assert(table.maxn(a) == 0)
	table.insert(a, 10)
	table.insert(a, 3, 10)
	assert(table.maxn(a) == 3)
	raises("wrong number of arguments", table.insert, a)

	local t = { 1, 2, 3 }
	table.insert(t, 1, 0)
	eq(table.concat(t, ","), "0,1,2,3", "insert at the front")
	table.insert(t, 5, 4)
	eq(table.concat(t, ","), "0,1,2,3,4", "insert at the end")
	eq(table.remove(t, 1), 0)
	eq(table.remove(t), 4)
	eq(table.concat(t, ","), "1,2,3")
	eq(table.remove({}), nil)
	eq(table.getn(t), 3)
	eq(#t, 3)

	eq(select("#", unpack({ 1, 2, 3 })), 3)
	eq(select("#", unpack({ 1, 2, 3 }, 2)), 2)
	eq(select("#", unpack({}, 1, 3)), 3)
	eq(select("#", unpack({}, 3, 1)), 0)
	eq(select("#", unpack({}, 1, 8000)), 8000, "8000 values")
	raises("too many results to unpack", unpack, {}, 1, 8001)
	raises("too many results to unpack", unpack, {}, 1, 1e8)
	raises("too many results to unpack", unpack, {}, -2 ^ 53, 2 ^ 53)
end

local function check(a, f)
	f = f or function(x, y)
		return x < y
	end
	for n = table.getn(a), 2, -1 do
		assert(not f(a[n], a[n - 1]))
	end
end

function TestTableSort()
	local a = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" }
	table.sort(a)
	check(a)
	local limit = 5000
	a = {}
	for i = 1, limit do
		a[i] = math.random()
	end
	table.sort(a)
	check(a)
	table.sort(a)
	check(a)
	a = {}
	for i = 1, limit do
		a[i] = math.random()
	end
	local i = 0
	table.sort(a, function(x, y)
		i = i + 1
		return y < x
	end)
	check(a, function(x, y)
		return y < x
	end)
	ok(i > limit, "comparisons")
	table.sort({}) -- empty array
	for i = 1, limit do
		a[i] = false
	end
	table.sort(a, function(x, y)
		return nil
	end)
	check(a, function(x, y)
		return nil
	end)
	a = { "\225lo", "\0first :-)", "alo", "then this one", "45", "and a new" }
	table.sort(a)
	check(a)
	local tt = {
		__lt = function(a, b)
			return a.val < b.val
		end,
	}
	a = {}
	for i = 1, 10 do
		a[i] = { val = math.random(100) }
		setmetatable(a[i], tt)
	end
	table.sort(a)
	check(a, tt.__lt)
	check(a)
	raises("attempt to compare", table.sort, { 1, "x", {} })
	raises("boom", table.sort, { 3, 2, 1 }, function()
		error("boom")
	end)
end

run(...)
