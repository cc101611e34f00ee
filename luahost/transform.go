package luahost

// Rewrites of the parsed chunk, made before gopher-lua compiles it, for
// the constructs its compiler gets wrong.
//
// Multiple assignment. Lua 5.1 evaluates every expression of
// "a, b = b, a" before it assigns anything; gopher-lua compiles each value
// straight into the register of a local target, so the second value reads
// the first target already assigned (a, b = b, a gives 2, 2; iterative
// fib and gcd go wrong silently). An assignment of several targets of
// which one is a name becomes
//
//	do
//	  local (t1), (k1) = obj1, key1   -- each indexed target's table and key
//	  local (v1), ..., (vn) = values  -- every value, adjusted as Lua does
//	  targetn = (vn) ... target1 = (v1)
//	end
//
// with temporaries whose names no Lua code can spell, so that the values
// are all computed first, the tables and keys of the targets before them
// (as Lua 5.1 evaluates them), and the stores made last to first, as Lua
// 5.1 makes them.

import (
	"math"
	"strconv"

	"github.com/yuin/gopher-lua/ast"
)

// transformChunk rewrites stmts in place.
func transformChunk(stmts []ast.Stmt) {
	var t transformer
	t.block(stmts)
}

type transformer struct{ temps int }

func (t *transformer) temp() string {
	t.temps++
	return "(assign " + strconv.Itoa(t.temps) + ")"
}

func (t *transformer) block(stmts []ast.Stmt) {
	for i, st := range stmts {
		stmts[i] = t.stmt(st)
	}
}

func (t *transformer) stmt(st ast.Stmt) ast.Stmt {
	switch st := st.(type) {
	case *ast.AssignStmt:
		t.exprs(st.Lhs)
		t.exprs(st.Rhs)
		return t.assign(st)
	case *ast.LocalAssignStmt:
		t.exprs(st.Exprs)
	case *ast.FuncCallStmt:
		t.expr(st.Expr)
	case *ast.DoBlockStmt:
		t.block(st.Stmts)
	case *ast.WhileStmt:
		t.expr(st.Condition)
		t.block(st.Stmts)
	case *ast.RepeatStmt:
		t.block(st.Stmts)
		t.expr(st.Condition)
	case *ast.IfStmt:
		t.expr(st.Condition)
		t.block(st.Then)
		t.block(st.Else)
	case *ast.NumberForStmt:
		t.expr(st.Init)
		t.expr(st.Limit)
		t.expr(st.Step)
		t.block(st.Stmts)
	case *ast.GenericForStmt:
		t.exprs(st.Exprs)
		t.block(st.Stmts)
	case *ast.FuncDefStmt:
		t.expr(st.Func)
	case *ast.ReturnStmt:
		t.exprs(st.Exprs)
	}
	return st
}

func (t *transformer) exprs(es []ast.Expr) {
	for _, e := range es {
		t.expr(e)
	}
}

// expr rewrites the function bodies inside e.
func (t *transformer) expr(e ast.Expr) {
	switch e := e.(type) {
	case *ast.FunctionExpr:
		t.block(e.Stmts)
	case *ast.AttrGetExpr:
		t.expr(e.Object)
		t.expr(e.Key)
	case *ast.TableExpr:
		for _, f := range e.Fields {
			t.expr(f.Key)
			t.expr(f.Value)
		}
	case *ast.FuncCallExpr:
		t.expr(e.Func)
		t.expr(e.Receiver)
		t.exprs(e.Args)
	case *ast.LogicalOpExpr:
		t.expr(e.Lhs)
		t.expr(e.Rhs)
	case *ast.RelationalOpExpr:
		t.expr(e.Lhs)
		t.expr(e.Rhs)
	case *ast.StringConcatOpExpr:
		t.expr(e.Lhs)
		t.expr(e.Rhs)
	case *ast.ArithmeticOpExpr:
		t.expr(e.Lhs)
		t.expr(e.Rhs)
	case *ast.UnaryMinusOpExpr:
		t.expr(e.Expr)
	case *ast.UnaryNotOpExpr:
		t.expr(e.Expr)
	case *ast.UnaryLenOpExpr:
		t.expr(e.Expr)
	case *ast.NumberExpr:
		normalizeNumber(e)
	}
}

// normalizeNumber rewrites a numeral so that gopher-lua's compiler,
// which reads it with Go's rules (010 is 8, 1e400 is NaN), gets the
// value Lua 5.1's reads.
func normalizeNumber(e *ast.NumberExpr) {
	f, ok := str2number(e.Value)
	if !ok {
		return
	}
	switch {
	case math.IsInf(f, 1):
		e.Value = "Inf"
	case math.IsInf(f, -1):
		e.Value = "-Inf"
	default:
		e.Value = strconv.FormatFloat(f, 'g', -1, 64)
	}
}

// assign rewrites a multiple assignment with a name among its targets.
func (t *transformer) assign(st *ast.AssignStmt) ast.Stmt {
	if len(st.Lhs) < 2 {
		return st
	}
	named := false
	for _, e := range st.Lhs {
		if _, ok := e.(*ast.IdentExpr); ok {
			named = true
		}
	}
	if !named {
		return st
	}
	line, last := st.Line(), st.LastLine()
	ident := func(name string) *ast.IdentExpr {
		e := &ast.IdentExpr{Value: name}
		e.SetLine(line)
		e.SetLastLine(last)
		return e
	}
	var out []ast.Stmt
	local := func(names []string, exprs []ast.Expr) {
		s := &ast.LocalAssignStmt{Names: names, Exprs: exprs}
		s.SetLine(line)
		s.SetLastLine(last)
		out = append(out, s)
	}
	// the tables and keys of the indexed targets, left to right
	targets := make([]ast.Expr, len(st.Lhs))
	var names []string
	var exprs []ast.Expr
	for i, e := range st.Lhs {
		get, ok := e.(*ast.AttrGetExpr)
		if !ok {
			targets[i] = e
			continue
		}
		obj := t.temp()
		names, exprs = append(names, obj), append(exprs, get.Object)
		key := get.Key
		switch get.Key.(type) {
		case *ast.StringExpr, *ast.NumberExpr, *ast.TrueExpr, *ast.FalseExpr:
		default:
			k := t.temp()
			names, exprs = append(names, k), append(exprs, get.Key)
			key = ident(k)
		}
		target := &ast.AttrGetExpr{Object: ident(obj), Key: key}
		target.SetLine(get.Line())
		target.SetLastLine(get.LastLine())
		targets[i] = target
	}
	if len(names) > 0 {
		local(names, exprs)
	}
	values := make([]string, len(st.Lhs))
	for i := range values {
		values[i] = t.temp()
	}
	local(values, st.Rhs)
	for i := len(targets) - 1; i >= 0; i-- {
		a := &ast.AssignStmt{Lhs: []ast.Expr{targets[i]}, Rhs: []ast.Expr{ident(values[i])}}
		a.SetLine(line)
		a.SetLastLine(last)
		out = append(out, a)
	}
	do := &ast.DoBlockStmt{Stmts: out}
	do.SetLine(line)
	do.SetLastLine(last)
	return do
}
