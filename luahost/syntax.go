package luahost

import (
	"fmt"
	"strings"

	"github.com/yuin/gopher-lua/parse"
)

// maxSyntaxLevels bounds how deeply a chunk's source nests: blocks,
// brackets and chains of right-associative operators. C Lua refuses more
// than 200 ("chunk has too many syntax levels"); gopher-lua has no bound,
// and its parser and compiler recurse on such source, using memory no
// process is charged for and, for long ".." chains, time no kill can
// interrupt.
const maxSyntaxLevels = 200

// checkSyntaxLevels scans src and refuses it if it nests deeper than
// maxSyntaxLevels. Lexical errors are left for the parser to report.
func checkSyntaxLevels(src, name string) error {
	sc := parse.NewScanner(strings.NewReader(src), name)
	lx := &parse.Lexer{}
	var depth, chain int
	var chains []int // the chain of each enclosing bracket
	for {
		tok, err := sc.Scan(lx)
		if err != nil || tok.Type <= 0 {
			return nil
		}
		switch tok.Type {
		case '(', '{', '[':
			chains = append(chains, chain)
			chain = 0
			depth++
		case ')', '}', ']':
			depth--
			if n := len(chains); n > 0 {
				chain, chains = chains[n-1], chains[:n-1]
			}
		case parse.TFunction, parse.TDo, parse.TThen, parse.TRepeat:
			depth++
			chain = 0
		case parse.TEnd, parse.TUntil, parse.TElseIf:
			depth--
			chain = 0
		case parse.T2Comma, '^', parse.TNot, '-', '#':
			// Right-associative and unary operators nest in the parser.
			chain++
		case ',', ';', '=', parse.TLocal, parse.TReturn, parse.TElse, parse.TBreak,
			parse.TIf, parse.TWhile, parse.TFor, parse.TIn:
			chain = 0
		}
		if depth+chain > maxSyntaxLevels {
			return &SyntaxError{Name: name, Err: &parse.Error{
				Pos:     tok.Pos,
				Message: fmt.Sprintf("chunk has too many syntax levels (more than %d)", maxSyntaxLevels),
				Token:   tok.Str,
			}}
		}
	}
}
