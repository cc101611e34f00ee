package luahost

// The os functions of Lua 5.1 that a sandboxed process keeps: date and
// time (with every conversion of C89's strftime, and the C99 and POSIX
// ones glibc adds, in the C locale), clock, difftime, setlocale (only the
// C locale exists), and exit, which ends the run when the root process of
// a script calls it. getenv, remove and rename are in libs.go and
// files.go.

import (
	"fmt"
	"math"
	"strconv"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/dlua/dlua/proc"
)

// startTime is when the node's process started: os.clock counts from it.
var startTime = time.Now()

func osClock(L *lua.LState) int {
	L.Push(lua.LNumber(time.Since(startTime).Seconds()))
	return 1
}

func osDifftime(L *lua.LState) int {
	L.Push(lua.LNumber(checkNumber(L, 1) - optNumber(L, 2, 0)))
	return 1
}

func osTime(L *lua.LState) int {
	if isNoneOrNil(L, 1) {
		L.Push(lua.LNumber(time.Now().Unix()))
		return 1
	}
	t := checkTable(L, 1)
	field := func(key string, def int) int {
		if f, ok := toNumber(L.GetField(t, key)); ok {
			return int(int32(cInt64(f)))
		}
		if def < 0 {
			raise(L, "field '"+key+"' missing in date table")
		}
		return def
	}
	sec, minute, hour := field("sec", 0), field("min", 0), field("hour", 12)
	day, month, year := field("day", -1), field("month", -1), field("year", -1)
	d := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.Local)
	L.Push(lua.LNumber(d.Unix()))
	return 1
}

func osDate(L *lua.LState) int {
	format := cString(optString(L, 1, "%c"))
	var t time.Time
	if isNoneOrNil(L, 2) {
		t = time.Now()
	} else {
		f := checkNumber(L, 2)
		if math.IsNaN(f) || math.Abs(f) > 1<<55 {
			L.Push(lua.LNil)
			return 1
		}
		t = time.Unix(int64(f), 0)
	}
	if len(format) > 0 && format[0] == '!' {
		t = t.UTC()
		format = format[1:]
	} else {
		t = t.Local()
	}
	if format == "*t" {
		tb := L.CreateTable(0, 9)
		tb.RawSetString("sec", lua.LNumber(t.Second()))
		tb.RawSetString("min", lua.LNumber(t.Minute()))
		tb.RawSetString("hour", lua.LNumber(t.Hour()))
		tb.RawSetString("day", lua.LNumber(t.Day()))
		tb.RawSetString("month", lua.LNumber(t.Month()))
		tb.RawSetString("year", lua.LNumber(t.Year()))
		tb.RawSetString("wday", lua.LNumber(t.Weekday()+1))
		tb.RawSetString("yday", lua.LNumber(t.YearDay()))
		tb.RawSetString("isdst", lua.LBool(t.IsDST()))
		L.Push(tb)
		return 1
	}
	b := newBuilder(L)
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 == len(format) {
			b.writeByte(c)
			continue
		}
		i++
		b.writeString(strftime(t, format[i]))
	}
	b.push()
	return 1
}

var (
	weekdays = [...]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	months   = [...]string{"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December"}
)

// strftime is C's strftime of the one conversion %c, in the C locale.
func strftime(t time.Time, c byte) string {
	two := func(n int) string { return fmt.Sprintf("%02d", n) }
	switch c {
	case 'a':
		return weekdays[t.Weekday()][:3]
	case 'A':
		return weekdays[t.Weekday()]
	case 'b', 'h':
		return months[t.Month()-1][:3]
	case 'B':
		return months[t.Month()-1]
	case 'c':
		return strftime(t, 'a') + " " + strftime(t, 'b') + " " + strftime(t, 'e') + " " +
			strftime(t, 'T') + " " + strftime(t, 'Y')
	case 'C':
		return two(t.Year() / 100)
	case 'd':
		return two(t.Day())
	case 'D':
		return strftime(t, 'm') + "/" + strftime(t, 'd') + "/" + strftime(t, 'y')
	case 'e':
		return fmt.Sprintf("%2d", t.Day())
	case 'F':
		return strftime(t, 'Y') + "-" + strftime(t, 'm') + "-" + strftime(t, 'd')
	case 'g':
		y, _ := t.ISOWeek()
		return two(((y % 100) + 100) % 100)
	case 'G':
		y, _ := t.ISOWeek()
		return strconv.Itoa(y)
	case 'H':
		return two(t.Hour())
	case 'I':
		return two((t.Hour()+11)%12 + 1)
	case 'j':
		return fmt.Sprintf("%03d", t.YearDay())
	case 'k':
		return fmt.Sprintf("%2d", t.Hour())
	case 'l':
		return fmt.Sprintf("%2d", (t.Hour()+11)%12+1)
	case 'm':
		return two(int(t.Month()))
	case 'M':
		return two(t.Minute())
	case 'n':
		return "\n"
	case 'p':
		if t.Hour() < 12 {
			return "AM"
		}
		return "PM"
	case 'P':
		if t.Hour() < 12 {
			return "am"
		}
		return "pm"
	case 'r':
		return strftime(t, 'I') + ":" + strftime(t, 'M') + ":" + strftime(t, 'S') + " " + strftime(t, 'p')
	case 'R':
		return strftime(t, 'H') + ":" + strftime(t, 'M')
	case 's':
		return strconv.FormatInt(t.Unix(), 10)
	case 'S':
		return two(t.Second())
	case 't':
		return "\t"
	case 'T', 'X':
		return strftime(t, 'H') + ":" + strftime(t, 'M') + ":" + strftime(t, 'S')
	case 'u':
		return strconv.Itoa((int(t.Weekday())+6)%7 + 1)
	case 'U': // weeks starting on Sunday; days before the first are week 0
		return two((t.YearDay() + 6 - int(t.Weekday())) / 7)
	case 'V':
		_, w := t.ISOWeek()
		return two(w)
	case 'w':
		return strconv.Itoa(int(t.Weekday()))
	case 'W': // weeks starting on Monday
		return two((t.YearDay() + 6 - (int(t.Weekday())+6)%7) / 7)
	case 'x':
		return strftime(t, 'D')
	case 'y':
		return two(((t.Year() % 100) + 100) % 100)
	case 'Y':
		return strconv.Itoa(t.Year())
	case 'z':
		_, off := t.Zone()
		sign := '+'
		if off < 0 {
			sign, off = '-', -off
		}
		return fmt.Sprintf("%c%02d%02d", sign, off/3600, off/60%60)
	case 'Z':
		name, _ := t.Zone()
		return name
	case '%':
		return "%"
	}
	return "%" + string(c) // glibc keeps a conversion it does not know
}

// osSetlocale knows only the C locale: asking for it (or for the
// current one) answers "C", anything else fails with nil.
func osSetlocale(L *lua.LState) int {
	switch cat := optString(L, 2, "all"); cat {
	case "all", "collate", "ctype", "monetary", "numeric", "time":
	default:
		argError(L, 2, "invalid option '"+cat+"'")
	}
	switch optString(L, 1, "C") {
	case "C", "POSIX", "":
		L.Push(lua.LString("C"))
	default:
		L.Push(lua.LNil)
	}
	return 1
}

// ExitStatus is what RunScript returns when the root process called
// os.exit: the run ends with that status.
type ExitStatus struct{ Code int }

func (e *ExitStatus) Error() string { return "os.exit(" + strconv.Itoa(e.Code) + ")" }

// osExit ends the root process of a script, and with it the run, with the
// given status. Other processes cannot end the node.
func osExit(L *lua.LState) int {
	code := optInt(L, 1, 0)
	s := stateOf(L)
	if s.p.Data() != rootMarker {
		raise(L, "os.exit: only the root process of a script may end the run")
	}
	s.exitCode = &code
	s.stop(proc.Normal)
	L.RaiseError("%s", errStopped.Error())
	return 0
}
