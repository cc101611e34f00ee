package luahost

// Numbers as Lua 5.1 writes and reads them.
//
// C Lua turns a number into text with sprintf("%.14g") and text into a
// number with strtod (then strtoul for hexadecimal); gopher-lua uses Go's
// shortest representation (0.1 + 0.2 prints 0.30000000000000004) and
// strconv (which takes "0b101", "1_000" and reads "010" as octal). The
// functions here follow the C library's rules, as glibc implements them:
// they decide every number the builtins print or read.

import (
	"math"
	"strconv"
	"strings"
)

// fmtNumber is tostring of a number: C's "%.14g".
func fmtNumber(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e14 {
		if f == 0 && math.Signbit(f) {
			return "-0"
		}
		return strconv.FormatInt(int64(f), 10)
	}
	return string(appendG(nil, f, 14, false))
}

// appendNumber appends tostring of f to dst.
func appendNumber(dst []byte, f float64) []byte {
	if f == math.Trunc(f) && math.Abs(f) < 1e14 && !(f == 0 && math.Signbit(f)) {
		return strconv.AppendInt(dst, int64(f), 10)
	}
	return appendG(dst, f, 14, false)
}

// appendNonFinite appends inf, -inf, nan or -nan as glibc prints them
// (the sign of a NaN is its sign bit). upper gives INF and NAN.
func appendNonFinite(dst []byte, f float64, upper bool) []byte {
	if math.Signbit(f) {
		dst = append(dst, '-')
	}
	s := "inf"
	if math.IsNaN(f) {
		s = "nan"
	}
	if upper {
		s = strings.ToUpper(s)
	}
	return append(dst, s...)
}

// appendG appends f as C's "%.{prec}g" (with alt, "%#.{prec}g"), without
// a sign for positive numbers.
func appendG(dst []byte, f float64, prec int, alt bool) []byte {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return appendNonFinite(dst, f, false)
	}
	if prec == 0 {
		prec = 1
	}
	// The exponent C's %e would print decides between %e and %f.
	var buf [32]byte
	e := strconv.AppendFloat(buf[:0], f, 'e', prec-1, 64)
	x := 0
	if i := strings.LastIndexByte(string(e), 'e'); i >= 0 {
		x, _ = strconv.Atoi(string(e[i+1:]))
	}
	start := len(dst)
	if x < -4 || x >= prec {
		dst = append(dst, e...)
	} else {
		dst = strconv.AppendFloat(dst, f, 'f', prec-1-x, 64)
	}
	if alt {
		if !hasByte(dst[start:], '.') {
			// %#g always has a decimal point
			if i := indexByte(dst[start:], 'e'); i >= 0 {
				exp := string(dst[start+i:])
				dst = append(append(dst[:start+i], '.'), exp...)
			} else {
				dst = append(dst, '.')
			}
		}
		return dst
	}
	return stripZeros(dst, start)
}

// stripZeros removes the trailing zeros of the fraction of the number that
// starts at dst[start:], and its decimal point if nothing follows it.
func stripZeros(dst []byte, start int) []byte {
	num := dst[start:]
	dot := indexByte(num, '.')
	if dot < 0 {
		return dst
	}
	end := len(num)
	if i := indexByte(num, 'e'); i >= 0 {
		end = i
	}
	cut := end
	for cut > dot+1 && num[cut-1] == '0' {
		cut--
	}
	if cut == dot+1 {
		cut = dot
	}
	if cut == end {
		return dst
	}
	exp := string(num[end:])
	return append(dst[:start+cut], exp...)
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func hasByte(b []byte, c byte) bool { return indexByte(b, c) >= 0 }

// Reading numbers.

// isSpace is C's isspace in the C locale.
func isSpace(c byte) bool { return c == ' ' || ('\t' <= c && c <= '\r') }

// cString is s as C functions see it: up to its first NUL byte.
func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// str2number converts s as Lua 5.1 converts a numeric string (luaO_str2d):
// strtod, hexadecimal integers through strtoul, surrounding spaces
// allowed, nothing else after the number.
func str2number(s string) (float64, bool) {
	s = cString(s)
	f, n := strtod(s)
	if n == 0 {
		return 0, false
	}
	if n < len(s) && (s[n] == 'x' || s[n] == 'X') {
		u, m := strtoul(s, 16)
		f, n = float64(u), m
	}
	for n < len(s) && isSpace(s[n]) {
		n++
	}
	return f, n == len(s)
}

// strtod parses the longest prefix of s that glibc's strtod accepts and
// returns its value and length (0: no number).
func strtod(s string) (float64, int) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	sign := func(f float64) float64 {
		if neg {
			return -f
		}
		return f
	}
	rest := s[i:]
	switch {
	case hasPrefixFold(rest, "infinity"):
		return sign(math.Inf(1)), i + 8
	case hasPrefixFold(rest, "inf"):
		return sign(math.Inf(1)), i + 3
	case hasPrefixFold(rest, "nan"):
		n := i + 3
		if n < len(s) && s[n] == '(' {
			j := n + 1
			for j < len(s) && (isAlnum(s[j]) || s[j] == '_') {
				j++
			}
			if j < len(s) && s[j] == ')' {
				n = j + 1
			}
		}
		nan := math.Float64frombits(0x7ff8000000000000)
		return sign(nan), n
	case len(rest) > 2 && rest[0] == '0' && (rest[1] == 'x' || rest[1] == 'X'):
		if f, n := hexFloat(rest[2:]); n > 0 {
			return sign(f), i + 2 + n
		}
		return sign(0), i + 1 // the "0" alone
	}
	// decimal: digits [. digits] [e [sign] digits]
	j := i
	digits := 0
	for j < len(s) && isDigit(s[j]) {
		j++
		digits++
	}
	if j < len(s) && s[j] == '.' {
		j++
		for j < len(s) && isDigit(s[j]) {
			j++
			digits++
		}
	}
	if digits == 0 {
		return 0, 0
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		k := j + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if k < len(s) && isDigit(s[k]) {
			for k < len(s) && isDigit(s[k]) {
				k++
			}
			j = k
		}
	}
	f, err := strconv.ParseFloat(s[i:j], 64)
	if err != nil && !isRangeError(err) {
		return 0, 0
	}
	return sign(f), j
}

func isRangeError(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// hexFloat parses hex digits [. hex digits] [p [sign] digits] (after
// "0x") and returns the value and the length read (0: no digit).
func hexFloat(s string) (float64, int) {
	j, digits := 0, 0
	for j < len(s) && isHexDigit(s[j]) {
		j++
		digits++
	}
	if j < len(s) && s[j] == '.' {
		j++
		for j < len(s) && isHexDigit(s[j]) {
			j++
			digits++
		}
	}
	if digits == 0 {
		return 0, 0
	}
	mant := s[:j]
	exp := "p0"
	if j < len(s) && (s[j] == 'p' || s[j] == 'P') {
		k := j + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if k < len(s) && isDigit(s[k]) {
			for k < len(s) && isDigit(s[k]) {
				k++
			}
			exp = "p" + s[j+1:k]
			j = k
		}
	}
	f, err := strconv.ParseFloat("0x"+mant+exp, 64)
	if err != nil && !isRangeError(err) {
		return 0, 0
	}
	return f, j
}

// strtoul parses as C's strtoul(s, &end, base): spaces, an optional sign
// (a minus negates the unsigned result), "0x" for base 16, digits;
// saturating at the largest value. It returns the value and the length
// read (0: no digit).
func strtoul(s string, base int) (uint64, int) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	if base == 16 && i+2 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') && digitValue(s[i+2]) < 16 {
		i += 2
	}
	var n uint64
	over := false
	j := i
	for ; j < len(s); j++ {
		d := digitValue(s[j])
		if d >= base {
			break
		}
		if n > (math.MaxUint64-uint64(d))/uint64(base) {
			over = true
		}
		n = n*uint64(base) + uint64(d)
	}
	if j == i {
		return 0, 0
	}
	if over {
		return math.MaxUint64, j
	}
	if neg {
		n = -n
	}
	return n, j
}

func digitValue(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'z':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'Z':
		return int(c-'A') + 10
	}
	return 99
}

func isDigit(c byte) bool    { return '0' <= c && c <= '9' }
func isHexDigit(c byte) bool { return digitValue(c) < 16 }
func isAlpha(c byte) bool    { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }
func isAlnum(c byte) bool    { return isAlpha(c) || isDigit(c) }

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// C's conversions of a double to an integer, as the x86-64 instructions
// compilers use for them do them: a value out of range (or NaN) becomes
// the "integer indefinite" 0x8000000000000000.

// cInt64 is (long)f.
func cInt64(f float64) int64 {
	if !(f > -9223372036854775809.0 && f < 9223372036854775808.0) {
		return math.MinInt64
	}
	return int64(f)
}

// cUint64 is (unsigned long)f.
func cUint64(f float64) uint64 {
	if f < 9223372036854775808.0 || math.IsNaN(f) {
		return uint64(cInt64(f))
	}
	return uint64(cInt64(f-9223372036854775808.0)) ^ (1 << 63)
}

// cInt32 is (int)f.
func cInt32(f float64) int32 {
	if !(f > -2147483649.0 && f < 2147483648.0) {
		return math.MinInt32
	}
	return int32(f)
}
