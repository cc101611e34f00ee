package luahost

import (
	"context"
	"errors"
	"fmt"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/dlua/dlua/proc"
)

// EvalResult is what a line of Lua did in Eval.
type EvalResult struct {
	PID    proc.PID // the process that ran it
	Output string   // what it printed
	Values []string // what it returned, each printed as Lua
	Err    string   // the error that ended it, if any
}

// Eval runs a line of Lua in a fresh process, as the console's prompt
// does: as an expression if it is one ("1+1", "proc.info(p)"), else as a
// statement. Globals in env are set first. It waits for the process to end
// and returns its output and results. An error in the line is a result
// (Err), not an error of Eval.
func (h *Host) Eval(ctx context.Context, line string, env map[string]proc.Value) (EvalResult, error) {
	proto, err := h.compileChunk("return "+line, "prompt")
	if err != nil {
		if proto, err = h.compileChunk(line, "prompt"); err != nil {
			return EvalResult{Err: err.Error()}, nil
		}
	}
	var res EvalResult
	var out strings.Builder
	body := func(p *proc.Process) proc.Value {
		s := newState(h, p, h.limits)
		defer s.close()
		s.capture = &out
		for k, v := range env {
			s.globals.RawSetString(k, s.fromValue(v))
		}
		fn := s.L.NewFunctionFromProto(proto)
		var results []lua.LValue
		reason := s.callCollect(fn, &results)
		for _, v := range results {
			if pv, err := s.toValue(v, "result"); err == nil {
				res.Values = append(res.Values, FormatValue(pv))
			} else {
				res.Values = append(res.Values, lua.LVAsString(s.L.ToStringMeta(v)))
			}
		}
		return reason
	}
	pid, _, err := h.node.Spawn(nil, proc.SpawnOpts{Initial: "prompt"}, body)
	if err != nil {
		return EvalResult{}, err
	}
	reason, err := h.node.Wait(ctx, pid)
	if err != nil {
		return EvalResult{}, err
	}
	res.PID = pid
	res.Output = out.String()
	if reason != proc.Normal {
		res.Err = FormatValue(reason)
	}
	return res, nil
}

// callCollect runs fn like call, keeping what it returns.
func (s *state) callCollect(fn *lua.LFunction, results *[]lua.LValue) proc.Value {
	wrapper := gofn(func(L *lua.LState) int {
		top := L.GetTop()
		L.Push(fn)
		L.Call(0, lua.MultRet)
		for i := top + 1; i <= L.GetTop(); i++ {
			*results = append(*results, L.Get(i))
		}
		return 0
	})
	return s.call(wrapper, nil)
}

// SendExpr evaluates expr in a fresh process and sends its value to pid.
func (h *Host) SendExpr(ctx context.Context, pid proc.PID, expr string) error {
	return h.exprTo(ctx, "send(__target, (%s))", pid, expr)
}

// ExitExpr evaluates expr in a fresh process and sends pid an exit signal
// with its value as reason.
func (h *Host) ExitExpr(ctx context.Context, pid proc.PID, expr string) error {
	return h.exprTo(ctx, "exit(__target, (%s))", pid, expr)
}

func (h *Host) exprTo(ctx context.Context, format string, pid proc.PID, expr string) error {
	if strings.TrimSpace(expr) == "" {
		return errors.New("empty expression")
	}
	res, err := h.Eval(ctx, fmt.Sprintf(format, expr), map[string]proc.Value{"__target": pid})
	if err != nil {
		return err
	}
	if res.Err != "" {
		return errors.New(res.Err)
	}
	return nil
}
