package luahost

// The math library, as the Lua 5.1 reference manual (§5.6) describes it,
// with math.mod (Lua 5.1's old name of math.fmod). Arguments may be
// numeric strings, as everywhere a number is expected. math.random has a
// generator per process.

import (
	"math"
	"math/rand/v2"

	lua "github.com/yuin/gopher-lua"
)

// math1 makes a function of one number.
func math1(f func(float64) float64) lua.LGFunction {
	return func(L *lua.LState) int {
		L.Push(lua.LNumber(f(checkNumber(L, 1))))
		return 1
	}
}

// math2 makes a function of two numbers.
func math2(f func(x, y float64) float64) lua.LGFunction {
	return func(L *lua.LState) int {
		L.Push(lua.LNumber(f(checkNumber(L, 1), checkNumber(L, 2))))
		return 1
	}
}

var mathFuncs = []libFunc{
	{"abs", math1(math.Abs)}, {"acos", math1(math.Acos)}, {"asin", math1(math.Asin)},
	{"atan", math1(math.Atan)}, {"atan2", math2(math.Atan2)}, {"ceil", math1(math.Ceil)},
	{"cos", math1(math.Cos)}, {"cosh", math1(math.Cosh)},
	{"deg", math1(func(x float64) float64 { return x * (180 / math.Pi) })},
	{"exp", math1(math.Exp)}, {"floor", math1(math.Floor)}, {"fmod", math2(math.Mod)},
	{"frexp", mathFrexp}, {"ldexp", mathLdexp}, {"log", math1(math.Log)},
	{"log10", math1(math.Log10)}, {"max", mathMax}, {"min", mathMin},
	{"mod", math2(math.Mod)}, {"modf", mathModf}, {"pow", math2(math.Pow)},
	{"rad", math1(func(x float64) float64 { return x * (math.Pi / 180) })},
	{"random", mathRandom}, {"randomseed", mathRandomSeed},
	{"sin", math1(math.Sin)}, {"sinh", math1(math.Sinh)}, {"sqrt", math1(math.Sqrt)},
	{"tan", math1(math.Tan)}, {"tanh", math1(math.Tanh)},
}

func mathFrexp(L *lua.LState) int {
	m, e := math.Frexp(checkNumber(L, 1))
	L.Push(lua.LNumber(m))
	L.Push(lua.LNumber(e))
	return 2
}

func mathLdexp(L *lua.LState) int {
	L.Push(lua.LNumber(math.Ldexp(checkNumber(L, 1), checkInt(L, 2))))
	return 1
}

// mathModf is C's modf: the fraction of an infinity is 0.
func mathModf(L *lua.LState) int {
	x := checkNumber(L, 1)
	ip, fp := math.Modf(x)
	if math.IsInf(x, 0) {
		fp = math.Copysign(0, x)
	}
	L.Push(lua.LNumber(ip))
	L.Push(lua.LNumber(fp))
	return 2
}

func mathMax(L *lua.LState) int {
	most := checkNumber(L, 1)
	for i := 2; i <= L.GetTop(); i++ {
		if d := checkNumber(L, i); d > most {
			most = d
		}
	}
	L.Push(lua.LNumber(most))
	return 1
}

func mathMin(L *lua.LState) int {
	least := checkNumber(L, 1)
	for i := 2; i <= L.GetTop(); i++ {
		if d := checkNumber(L, i); d < least {
			least = d
		}
	}
	L.Push(lua.LNumber(least))
	return 1
}

func mathRandom(L *lua.LState) int {
	s := stateOf(L)
	if s.rng == nil {
		s.rng = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	r := s.rng.Float64()
	switch L.GetTop() {
	case 0:
		L.Push(lua.LNumber(r))
	case 1:
		u := checkInt(L, 1)
		if u < 1 {
			argError(L, 1, "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(r*float64(u)) + 1))
	case 2:
		lo, hi := checkInt(L, 1), checkInt(L, 2)
		if lo > hi {
			argError(L, 2, "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(r*float64(hi-lo+1)) + float64(lo)))
	default:
		raise(L, "wrong number of arguments")
	}
	return 1
}

func mathRandomSeed(L *lua.LState) int {
	seed := uint64(checkInt(L, 1))
	stateOf(L).rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	return 0
}
