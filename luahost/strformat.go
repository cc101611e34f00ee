package luahost

// string.format, as Lua 5.1 does it: each conversion is C's sprintf with
// the flags "-+ #0", a width and a precision of at most two digits each,
// and one argument checked for its conversion ("bad argument #2 to
// 'format' (number expected, got table)"). No Go fmt call ever sees a Lua
// value, and every item but %s and %q has a size bounded by its width and
// precision; the result is charged as it grows.
//
// Quirks of Lua 5.1 kept on purpose: a conversion's output stops at its
// first NUL byte, as sprintf's output read with strlen does (%c of 0 is
// empty, %s of "a\0b" is "a"), except %s of a string of 100 bytes or more
// without a precision, which is copied whole; %d and %x convert the
// number as C's casts do on x86-64.

import (
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// fmtSpec is one conversion's flags, width and precision.
type fmtSpec struct {
	minus, plus, space, alt, zero bool
	width, prec                   int // prec < 0: none
}

func strFormat(L *lua.LState) int {
	format := checkString(L, 1)
	top := L.GetTop()
	arg := 1
	b := newBuilder(L)
	var item []byte
	for i := 0; i < len(format); {
		if format[i] != '%' {
			j := strings.IndexByte(format[i:], '%')
			if j < 0 {
				j = len(format) - i
			}
			b.writeString(format[i : i+j])
			i += j
			continue
		}
		i++
		if i < len(format) && format[i] == '%' {
			b.writeByte('%')
			i++
			continue
		}
		arg++
		if arg > top {
			argError(L, arg, "no value")
		}
		var spec fmtSpec
		i = scanFormat(L, format, i, &spec)
		var conv byte // past the end: C's terminating NUL
		if i < len(format) {
			conv = format[i]
		}
		i++
		item = item[:0]
		switch conv {
		case 'c':
			c := byte(cInt32(checkNumber(L, arg)))
			item = pad(item, &spec, "", []byte{c}, false)
		case 'd', 'i':
			item = fmtInteger(item, &spec, conv, cInt64(checkNumber(L, arg)), true)
		case 'o', 'u', 'x', 'X':
			item = fmtInteger(item, &spec, conv, int64(cUint64(checkNumber(L, arg))), false)
		case 'e', 'E', 'f', 'g', 'G':
			item = fmtFloat(item, &spec, conv, checkNumber(L, arg))
		case 'q':
			fmtQuoted(&b, checkString(L, arg))
			continue
		case 's':
			str := checkString(L, arg)
			if spec.prec < 0 && len(str) >= 100 {
				b.writeString(str)
				continue
			}
			str = cString(str)
			if spec.prec >= 0 && len(str) > spec.prec {
				str = str[:spec.prec]
			}
			spec.zero = false
			item = pad(item, &spec, "", []byte(str), false)
		default:
			raise(L, "invalid option '%"+cString(string([]byte{conv}))+"' to 'format'")
		}
		if k := indexByte(item, 0); k >= 0 {
			item = item[:k]
		}
		b.writeBytes(item)
	}
	b.push()
	return 1
}

// scanFormat reads the flags, width and precision of a conversion from
// format[i:] as Lua 5.1's scanformat does, and returns the position of
// the conversion character.
func scanFormat(L *lua.LState, format string, i int, spec *fmtSpec) int {
	start := i
	for i < len(format) && strings.IndexByte("-+ #0", format[i]) >= 0 {
		switch format[i] {
		case '-':
			spec.minus = true
		case '+':
			spec.plus = true
		case ' ':
			spec.space = true
		case '#':
			spec.alt = true
		case '0':
			spec.zero = true
		}
		i++
	}
	if i-start >= 6 {
		raise(L, "invalid format (repeated flags)")
	}
	digits := func() int {
		n := 0
		for k := 0; k < 2 && i < len(format) && isDigit(format[i]); k++ {
			n = n*10 + int(format[i]-'0')
			i++
		}
		return n
	}
	spec.width = digits()
	spec.prec = -1
	if i < len(format) && format[i] == '.' {
		i++
		spec.prec = digits()
	}
	if i < len(format) && isDigit(format[i]) {
		raise(L, "invalid format (width or precision too long)")
	}
	return i
}

// pad appends sign+body padded to the width: spaces on the left, on the
// right with '-', zeros between the sign and the body with '0' (when
// zeroOK).
func pad(dst []byte, spec *fmtSpec, sign string, body []byte, zeroOK bool) []byte {
	n := spec.width - len(sign) - len(body)
	switch {
	case n <= 0:
		dst = append(dst, sign...)
		dst = append(dst, body...)
	case spec.minus:
		dst = append(dst, sign...)
		dst = append(dst, body...)
		dst = appendRepeat(dst, ' ', n)
	case spec.zero && zeroOK:
		dst = append(dst, sign...)
		dst = appendRepeat(dst, '0', n)
		dst = append(dst, body...)
	default:
		dst = appendRepeat(dst, ' ', n)
		dst = append(dst, sign...)
		dst = append(dst, body...)
	}
	return dst
}

func appendRepeat(dst []byte, c byte, n int) []byte {
	for ; n > 0; n-- {
		dst = append(dst, c)
	}
	return dst
}

// fmtInteger appends v with conversion d, i, o, u, x or X (v is unsigned
// for all but d and i).
func fmtInteger(dst []byte, spec *fmtSpec, conv byte, v int64, signed bool) []byte {
	var sign string
	u := uint64(v)
	if signed {
		switch {
		case v < 0:
			sign, u = "-", -uint64(v)
		case spec.plus:
			sign = "+"
		case spec.space:
			sign = " "
		}
	}
	base := 10
	switch conv {
	case 'o':
		base = 8
	case 'x', 'X':
		base = 16
	}
	var digits []byte
	if !(spec.prec == 0 && u == 0) {
		digits = strconv.AppendUint(nil, u, base)
	}
	if conv == 'X' {
		for k, c := range digits {
			if 'a' <= c && c <= 'f' {
				digits[k] = c - 0x20
			}
		}
	}
	for len(digits) < spec.prec {
		digits = append([]byte{'0'}, digits...)
	}
	if spec.alt {
		switch {
		case conv == 'o' && (len(digits) == 0 || digits[0] != '0'):
			digits = append([]byte{'0'}, digits...)
		case conv == 'x' && u != 0:
			sign = "0x"
		case conv == 'X' && u != 0:
			sign = "0X"
		}
	}
	return pad(dst, spec, sign, digits, spec.prec < 0)
}

// fmtFloat appends f with conversion e, E, f, g or G.
func fmtFloat(dst []byte, spec *fmtSpec, conv byte, f float64) []byte {
	var sign string
	switch {
	case math.Signbit(f) && !math.IsNaN(f):
		sign = "-"
	case spec.plus:
		sign = "+"
	case spec.space:
		sign = " "
	}
	upper := conv == 'E' || conv == 'G'
	if math.IsInf(f, 0) || math.IsNaN(f) {
		body := appendNonFinite(nil, math.Abs(f), upper)
		if math.IsNaN(f) && math.Signbit(f) {
			sign = "-"
		}
		return pad(dst, spec, sign, body, false)
	}
	f = math.Abs(f)
	prec := spec.prec
	if prec < 0 {
		prec = 6
	}
	var body []byte
	switch conv {
	case 'e', 'E':
		body = strconv.AppendFloat(nil, f, 'e', prec, 64)
		if spec.alt && prec == 0 {
			k := indexByte(body, 'e')
			body = append(body[:k], append([]byte{'.'}, body[k:]...)...)
		}
	case 'f':
		body = strconv.AppendFloat(nil, f, 'f', prec, 64)
		if spec.alt && prec == 0 {
			body = append(body, '.')
		}
	default:
		body = appendG(nil, f, prec, spec.alt)
	}
	if upper {
		for k, c := range body {
			if c == 'e' {
				body[k] = 'E'
			}
		}
	}
	return pad(dst, spec, sign, body, true)
}

// fmtQuoted appends %q of str: a string that Lua reads back as str.
func fmtQuoted(b *resultBuilder, str string) {
	b.reserve(len(str) + 2)
	b.writeByte('"')
	for i := 0; i < len(str); {
		j := i
		for j < len(str) && !quoteSpecial(str[j]) {
			j++
		}
		b.writeString(str[i:j])
		if j == len(str) {
			break
		}
		switch c := str[j]; c {
		case '\r':
			b.writeString(`\r`)
		case 0:
			b.writeString(`\000`)
		default:
			b.writeByte('\\')
			b.writeByte(c)
		}
		i = j + 1
	}
	b.writeByte('"')
}

func quoteSpecial(c byte) bool {
	return c == '"' || c == '\\' || c == '\n' || c == '\r' || c == 0
}
