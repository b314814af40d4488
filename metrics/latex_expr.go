package metrics

import (
	"errors"
	"math"
	"math/cmplx"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds a small LaTeX-math expression parser and a complex-valued evaluator. It covers
// what final answers are made of: numbers (integers, decimals, scientific notation), + - * / ^,
// \frac (and \frac12), \sqrt[n]{x} (and \sqrt2), \pi, \infty, implicit multiplication (2\sqrt{3},
// 3\pi, 2x), unary minus, parentheses, |x|, n!, \binom, the usual functions (\sin ... \ln, \log_b,
// \exp), variables (single letters, Greek letters, subscripted names) and mixed numbers
// (1\frac{4}{5} = 9/5). It never simplifies symbolically: an expression with variables is compared
// by evaluating it at a few seeded random points (see equiv.go).

// gradeErrParse is returned for text that is not an expression this parser knows.
var gradeErrParse = errors.New("not a parseable expression")

type gradeNodeKind uint8

const (
	gnNum gradeNodeKind = iota
	gnVar
	gnAdd
	gnSub
	gnMul
	gnDiv
	gnPow
	gnNeg
	gnFunc
	gnFact
	gnAbs
	gnBinom
	gnLog // log with base: a = argument, b = base
)

// gradeNode is one node of a parsed expression.
type gradeNode struct {
	kind gradeNodeKind
	val  complex128 // gnNum
	name string     // gnVar: variable name; gnFunc: function name
	a, b *gradeNode
	// intLit marks a number written as a plain integer literal; fracLit a \frac of two integer
	// literals (both for mixed numbers such as 1\frac{4}{5}).
	intLit, fracLit bool
}

type gradeTokKind uint8

const (
	gtEOF gradeTokKind = iota
	gtNum
	gtIdent
	gtCmd
	gtSym
)

type gradeTok struct {
	kind gradeTokKind
	s    string
	// space: whitespace came before the token (for plain-text mixed numbers "4 4/9")
	space bool
}

// gradeLex splits a normalised answer into tokens. Letters are single-letter identifiers (so xy is
// x*y); digits separated by a single space followed by exactly three digits are joined ("1 000").
func gradeLex(s string, b *gradeBudget) ([]gradeTok, error) {
	toks := make([]gradeTok, 0, len(s)/2+1)
	i := 0
	space := false
	for i < len(s) {
		b.step()
		c := s[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			i++
			space = true
			continue
		}
		before := len(toks)
		switch {
		case c >= '0' && c <= '9' || (c == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9'):
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			// thousands separators left inside braces: \frac{12}{5,525}
			if j-i <= 3 && s[i] != '0' {
				for j+4 <= len(s) && s[j] == ',' && gradeAllDigits(s[j+1:j+4]) && (j+4 == len(s) || !(s[j+4] >= '0' && s[j+4] <= '9')) {
					j += 4
				}
			}
			// thousands groups separated by one space: "1 000 000"
			for j+4 <= len(s) && s[j] == ' ' && gradeAllDigits(s[j+1:j+4]) && (j+4 == len(s) || !(s[j+4] >= '0' && s[j+4] <= '9')) && s[i] != '.' {
				j += 4
			}
			if j < len(s) && s[j] == '.' && j+1 < len(s) && s[j+1] >= '0' && s[j+1] <= '9' {
				j++
				for j < len(s) && s[j] >= '0' && s[j] <= '9' {
					j++
				}
			}
			// scientific notation: 1.5e-3, 2E5
			if j+1 < len(s) && (s[j] == 'e' || s[j] == 'E') {
				k := j + 1
				if k < len(s) && (s[k] == '+' || s[k] == '-') {
					k++
				}
				if k < len(s) && s[k] >= '0' && s[k] <= '9' {
					for k < len(s) && s[k] >= '0' && s[k] <= '9' {
						k++
					}
					j = k
				}
			}
			toks = append(toks, gradeTok{kind: gtNum, s: gradeNumTokReplacer.Replace(s[i:j])})
			i = j
		case c == '\\':
			j := i + 1
			for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z') {
				j++
			}
			if j == i+1 { // \{ \, \\ ...
				if j < len(s) {
					_, w := utf8.DecodeRuneInString(s[j:])
					j += w
				}
			}
			toks = append(toks, gradeTok{kind: gtCmd, s: s[i+1 : j]})
			i = j
		default:
			r, w := utf8.DecodeRuneInString(s[i:])
			if unicode.IsLetter(r) {
				toks = append(toks, gradeTok{kind: gtIdent, s: s[i : i+w]})
				i += w
				break
			}
			sym := s[i : i+w]
			if i+1 < len(s) {
				switch s[i : i+2] {
				case "**":
					sym, w = "^", 2
				case "<=", ">=", "!=":
					sym, w = s[i:i+2], 2
				}
			}
			toks = append(toks, gradeTok{kind: gtSym, s: sym})
			i += w
		}
		if len(toks) > before {
			toks[before].space = space
		}
		space = false
	}
	return toks, nil
}

var gradeNumTokReplacer = strings.NewReplacer(" ", "", ",", "")

func gradeAllDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// gradeParser is a recursive-descent parser over tokens.
type gradeParser struct {
	toks     []gradeTok
	pos      int
	depth    int
	absDepth int
	b        *gradeBudget
}

const gradeMaxDepth = 120

// gradeParseExpr parses s (already normalised) into an expression tree.
func gradeParseExpr(s string, b *gradeBudget) (*gradeNode, error) {
	toks, err := gradeLex(s, b)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, gradeErrParse
	}
	p := &gradeParser{toks: toks, b: b}
	n, err := p.expr()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, gradeErrParse
	}
	return n, nil
}

func (p *gradeParser) peek() gradeTok {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return gradeTok{}
}

func (p *gradeParser) isSym(s string) bool {
	t := p.peek()
	return t.kind == gtSym && t.s == s
}

func (p *gradeParser) isCmd(names ...string) bool {
	t := p.peek()
	if t.kind != gtCmd {
		return false
	}
	for _, n := range names {
		if t.s == n {
			return true
		}
	}
	return false
}

func (p *gradeParser) enter() error {
	p.depth++
	p.b.step()
	if p.depth > gradeMaxDepth {
		return gradeErrParse
	}
	return nil
}

func (p *gradeParser) leave() { p.depth-- }

// expr := ['+'|'-'] term (('+'|'-') term)*
func (p *gradeParser) expr() (*gradeNode, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	var left *gradeNode
	var err error
	switch {
	case p.isSym("-"):
		p.pos++
		left, err = p.term()
		if err != nil {
			return nil, err
		}
		left = &gradeNode{kind: gnNeg, a: left}
	case p.isSym("+"):
		p.pos++
		left, err = p.term()
	default:
		left, err = p.term()
	}
	if err != nil {
		return nil, err
	}
	for {
		switch {
		case p.isSym("+"), p.isSym("-"):
			op := p.peek().s
			p.pos++
			right, err := p.term()
			if err != nil {
				return nil, err
			}
			if op == "+" {
				left = &gradeNode{kind: gnAdd, a: left, b: right}
			} else {
				left = &gradeNode{kind: gnSub, a: left, b: right}
			}
		default:
			return left, nil
		}
	}
}

// term := factor (('*'|'/'|\cdot|\times|\div) signedFactor | factor)*
func (p *gradeParser) term() (*gradeNode, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	left, err := p.power()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		switch {
		case t.kind == gtSym && (t.s == "*" || t.s == "/" || t.s == "×" || t.s == "÷" || t.s == "·"),
			t.kind == gtCmd && (t.s == "cdot" || t.s == "times" || t.s == "div" || t.s == "ast"):
			p.pos++
			right, err := p.signedPower()
			if err != nil {
				return nil, err
			}
			if t.s == "/" || t.s == "div" || t.s == "÷" {
				left = &gradeNode{kind: gnDiv, a: left, b: right}
			} else {
				left = &gradeNode{kind: gnMul, a: left, b: right}
			}
		case left.intLit && p.plainFractionNext():
			// "4 4/9": a plain-text mixed number
			num, _ := strconv.ParseFloat(p.toks[p.pos].s, 64)
			den, _ := strconv.ParseFloat(p.toks[p.pos+2].s, 64)
			p.pos += 3
			if den == 0 || num >= den {
				// "11 7/6", "11 6/6" are no mixed numbers (Math-Verify): no value at all, rather
				// than one read by an implicit operation
				return nil, gradeErrParse
			}
			left = &gradeNode{kind: gnAdd, a: left, b: &gradeNode{kind: gnNum, val: complex(num/den, 0)}}
		case p.startsPrimary():
			right, err := p.power()
			if err != nil {
				return nil, err
			}
			if left.intLit && right.fracLit { // mixed number 1\frac{4}{5}
				left = &gradeNode{kind: gnAdd, a: left, b: right}
			} else {
				left = &gradeNode{kind: gnMul, a: left, b: right}
			}
		default:
			return left, nil
		}
	}
}

// plainFractionNext reports "int / int" ahead, the first integer separated by a space and the
// whole fraction not followed by more of a term.
func (p *gradeParser) plainFractionNext() bool {
	if p.pos+2 >= len(p.toks) {
		return false
	}
	a, op, c := p.toks[p.pos], p.toks[p.pos+1], p.toks[p.pos+2]
	if !(a.kind == gtNum && a.space && gradeAllDigits(a.s) && op.kind == gtSym && op.s == "/" && !op.space &&
		c.kind == gtNum && !c.space && gradeAllDigits(c.s)) {
		return false
	}
	if p.pos+3 < len(p.toks) {
		n := p.toks[p.pos+3]
		if n.kind == gtNum || n.kind == gtIdent || n.kind == gtSym && (n.s == "^" || n.s == "(") {
			return false
		}
	}
	return true
}

func (p *gradeParser) signedPower() (*gradeNode, error) {
	if p.isSym("-") {
		p.pos++
		n, err := p.signedPower()
		if err != nil {
			return nil, err
		}
		return &gradeNode{kind: gnNeg, a: n}, nil
	}
	if p.isSym("+") {
		p.pos++
		return p.signedPower()
	}
	return p.power()
}

// startsPrimary reports whether the next token can begin an implicitly multiplied factor.
func (p *gradeParser) startsPrimary() bool {
	t := p.peek()
	switch t.kind {
	case gtNum, gtIdent:
		return true
	case gtSym:
		switch t.s {
		case "(", "[", "{", "π", "√", "∞":
			return true
		case "|":
			return p.absDepth == 0
		}
		return false
	case gtCmd:
		switch t.s {
		case "cdot", "times", "div", "ast", "le", "ge", "ne", "lt", "gt", "pm", "mp", "approx", "to", "in",
			"cup", "cap", "dots", "ldots", "cdots", "end", "begin", "right", "\\", "}", ",", "equiv", "mid", "setminus":
			return false
		}
		return len(t.s) > 1 || (t.s[0] >= 'a' && t.s[0] <= 'z') || (t.s[0] >= 'A' && t.s[0] <= 'Z')
	}
	return false
}

// power := postfix ['^' exponent]
func (p *gradeParser) power() (*gradeNode, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	base, err := p.postfix()
	if err != nil {
		return nil, err
	}
	if p.isSym("^") {
		p.pos++
		e, err := p.exponent()
		if err != nil {
			return nil, err
		}
		base = &gradeNode{kind: gnPow, a: base, b: e}
		// postfix after a power: x^2! is rare; allow a trailing factorial
		for p.isSym("!") {
			p.pos++
			base = &gradeNode{kind: gnFact, a: base}
		}
	}
	return base, nil
}

// exponent reads what follows '^': a brace group, a signed atom, a whole number (2^10 = 1024) or an atom.
func (p *gradeParser) exponent() (*gradeNode, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	switch {
	case p.isSym("-"):
		p.pos++
		n, err := p.exponent()
		if err != nil {
			return nil, err
		}
		return &gradeNode{kind: gnNeg, a: n}, nil
	case p.isSym("+"):
		p.pos++
		return p.exponent()
	}
	n, err := p.postfix()
	if err != nil {
		return nil, err
	}
	if p.isSym("^") { // right associative
		p.pos++
		e, err := p.exponent()
		if err != nil {
			return nil, err
		}
		n = &gradeNode{kind: gnPow, a: n, b: e}
	}
	return n, nil
}

// postfix := primary ('!' | '_' sub | "'")*
func (p *gradeParser) postfix() (*gradeNode, error) {
	n, err := p.primary()
	if err != nil {
		return nil, err
	}
	for {
		switch {
		case p.isSym("!"):
			p.pos++
			n = &gradeNode{kind: gnFact, a: n}
		case p.isSym("_") && (n.kind == gnVar || n.kind == gnNum):
			p.pos++
			sub, err := p.rawArg()
			if err != nil {
				return nil, err
			}
			name := n.name
			if n.kind == gnNum {
				name = gradeFormatNumTok(n)
			}
			n = &gradeNode{kind: gnVar, name: name + "_" + sub}
		case p.isSym("'") && n.kind == gnVar:
			p.pos++
			n = &gradeNode{kind: gnVar, name: n.name + "'"}
		default:
			return n, nil
		}
	}
}

func gradeFormatNumTok(n *gradeNode) string {
	return strconv.FormatFloat(real(n.val), 'g', -1, 64)
}

// rawArg returns the text of a LaTeX argument (brace group or single token) without parsing it,
// used for subscripts and \text{...}.
func (p *gradeParser) rawArg() (string, error) {
	t := p.peek()
	if t.kind == gtSym && t.s == "{" {
		p.pos++
		var sb strings.Builder
		depth := 1
		for p.pos < len(p.toks) {
			p.b.step()
			t := p.toks[p.pos]
			p.pos++
			if t.kind == gtSym && t.s == "{" {
				depth++
			} else if t.kind == gtSym && t.s == "}" {
				depth--
				if depth == 0 {
					return strings.TrimSpace(sb.String()), nil
				}
			}
			if t.kind == gtCmd {
				sb.WriteByte('\\')
			}
			sb.WriteString(t.s)
		}
		return "", gradeErrParse
	}
	switch t.kind {
	case gtNum:
		p.pos++
		return t.s, nil
	case gtIdent:
		p.pos++
		return t.s, nil
	case gtCmd:
		p.pos++
		return "\\" + t.s, nil
	}
	return "", gradeErrParse
}

// arg reads one LaTeX argument and parses it: {expr}, a single digit of a number (\frac12), a
// single letter, or a command atom (\pi).
func (p *gradeParser) arg() (*gradeNode, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	t := p.peek()
	switch t.kind {
	case gtSym:
		if t.s == "{" {
			p.pos++
			n, err := p.expr()
			if err != nil {
				return nil, err
			}
			if !p.isSym("}") {
				return nil, gradeErrParse
			}
			p.pos++
			return n, nil
		}
		if t.s == "(" || t.s == "[" {
			return p.primary()
		}
		return nil, gradeErrParse
	case gtNum:
		if len(t.s) > 1 && t.s[0] != '.' {
			// \frac12: the argument is the first digit only
			d := t.s[:1]
			p.toks[p.pos].s = t.s[1:]
			v, _ := strconv.ParseFloat(d, 64)
			return &gradeNode{kind: gnNum, val: complex(v, 0), intLit: true}, nil
		}
		return p.primary()
	case gtIdent, gtCmd:
		return p.primary()
	}
	return nil, gradeErrParse
}

var gradeFuncs = map[string]bool{
	"sin": true, "cos": true, "tan": true, "cot": true, "sec": true, "csc": true,
	"arcsin": true, "arccos": true, "arctan": true, "sinh": true, "cosh": true, "tanh": true,
	"ln": true, "exp": true, "log": true, "lg": true,
}

var gradeTextCmds = map[string]bool{
	"text": true, "textbf": true, "textit": true, "textnormal": true, "textrm": true, "mathrm": true,
	"mathbf": true, "mathit": true, "mbox": true, "operatorname": true, "mathsf": true, "boldsymbol": true,
	"mathcal": true, "bf": true, "rm": true,
}

func (p *gradeParser) primary() (*gradeNode, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	t := p.peek()
	switch t.kind {
	case gtEOF:
		return nil, gradeErrParse
	case gtNum:
		p.pos++
		v, err := strconv.ParseFloat(t.s, 64)
		if err != nil {
			return nil, gradeErrParse
		}
		intLit := !strings.ContainsAny(t.s, ".eE")
		return &gradeNode{kind: gnNum, val: complex(v, 0), intLit: intLit}, nil
	case gtIdent:
		p.pos++
		if t.s == "i" {
			return &gradeNode{kind: gnNum, val: complex(0, 1)}, nil
		}
		if t.s == "π" {
			return &gradeNode{kind: gnNum, val: complex(math.Pi, 0)}, nil
		}
		if t.s == "e" {
			// Euler's number, as latex2sympy reads a lone e
			return &gradeNode{kind: gnNum, val: complex(math.E, 0)}, nil
		}
		return &gradeNode{kind: gnVar, name: t.s}, nil
	case gtSym:
		switch t.s {
		case "(", "[":
			p.pos++
			saved := p.absDepth
			p.absDepth = 0
			n, err := p.expr()
			p.absDepth = saved
			if err != nil {
				return nil, err
			}
			if !p.isSym(")") && !p.isSym("]") {
				return nil, gradeErrParse
			}
			p.pos++
			if n.intLit {
				// "(11) 4/9" is no mixed number (Math-Verify)
				c := *n
				c.intLit = false
				return &c, nil
			}
			return n, nil
		case "{":
			p.pos++
			saved := p.absDepth
			p.absDepth = 0
			n, err := p.expr()
			p.absDepth = saved
			if err != nil {
				return nil, err
			}
			if !p.isSym("}") {
				return nil, gradeErrParse
			}
			p.pos++
			return n, nil
		case "|":
			p.pos++
			p.absDepth++
			n, err := p.expr()
			p.absDepth--
			if err != nil {
				return nil, err
			}
			if !p.isSym("|") {
				return nil, gradeErrParse
			}
			p.pos++
			return &gradeNode{kind: gnAbs, a: n}, nil
		case "π":
			p.pos++
			return &gradeNode{kind: gnNum, val: complex(math.Pi, 0)}, nil
		case "∞":
			p.pos++
			return &gradeNode{kind: gnNum, val: complex(math.Inf(1), 0)}, nil
		case "√":
			p.pos++
			x, err := p.arg()
			if err != nil {
				return nil, err
			}
			return &gradeNode{kind: gnPow, a: x, b: &gradeNode{kind: gnNum, val: 0.5}}, nil
		}
		return nil, gradeErrParse
	case gtCmd:
		p.pos++
		return p.command(t.s)
	}
	return nil, gradeErrParse
}

func (p *gradeParser) command(name string) (*gradeNode, error) {
	switch name {
	case "frac", "dfrac", "tfrac", "cfrac":
		a, err := p.arg()
		if err != nil {
			return nil, err
		}
		b, err := p.arg()
		if err != nil {
			return nil, err
		}
		return &gradeNode{kind: gnDiv, a: a, b: b, fracLit: a.kind == gnNum && a.intLit && b.kind == gnNum && b.intLit}, nil
	case "binom", "dbinom", "tbinom", "choose":
		a, err := p.arg()
		if err != nil {
			return nil, err
		}
		b, err := p.arg()
		if err != nil {
			return nil, err
		}
		return &gradeNode{kind: gnBinom, a: a, b: b}, nil
	case "sqrt":
		var index *gradeNode
		if p.isSym("[") {
			p.pos++
			n, err := p.expr()
			if err != nil {
				return nil, err
			}
			if !p.isSym("]") {
				return nil, gradeErrParse
			}
			p.pos++
			index = n
		}
		x, err := p.arg()
		if err != nil {
			return nil, err
		}
		if index == nil {
			return &gradeNode{kind: gnPow, a: x, b: &gradeNode{kind: gnNum, val: 0.5}}, nil
		}
		return &gradeNode{kind: gnFunc, name: "root", a: x, b: index}, nil
	case "pi":
		return &gradeNode{kind: gnNum, val: complex(math.Pi, 0)}, nil
	case "infty", "infinity", "inf":
		return &gradeNode{kind: gnNum, val: complex(math.Inf(1), 0)}, nil
	case "imath":
		return &gradeNode{kind: gnNum, val: complex(0, 1)}, nil
	}
	if gradeTextCmds[name] {
		raw, err := p.rawArg()
		if err != nil {
			return nil, err
		}
		raw = strings.ToLower(strings.Join(strings.Fields(raw), " "))
		if raw == "" {
			return nil, gradeErrParse
		}
		if name == "mathbf" || name == "boldsymbol" || name == "mathrm" || name == "operatorname" {
			// \mathbf{v}, \mathrm{d}: a symbol; a number inside keeps its value
			if v, err := strconv.ParseFloat(raw, 64); err == nil {
				return &gradeNode{kind: gnNum, val: complex(v, 0), intLit: !strings.ContainsAny(raw, ".eE")}, nil
			}
			if gradeFuncs[raw] {
				return p.function(raw)
			}
		}
		return &gradeNode{kind: gnVar, name: "\\text{" + raw + "}"}, nil
	}
	if gradeFuncs[name] {
		return p.function(name)
	}
	switch name {
	case "left", "right", "displaystyle", "bigl", "bigr", "Bigl", "Bigr", "big", "Big", ",", ";", "!", ":", " ", "quad", "qquad":
		// layout only: skip and parse what follows
		return p.primary()
	case "cdot", "times", "div", "le", "ge", "ne", "lt", "gt", "pm", "mp", "approx", "to", "in", "cup", "cap",
		"dots", "ldots", "cdots", "begin", "end", "\\", "{", "}", "boxed", "fbox", "circ", "%", "$", "&", "setminus":
		return nil, gradeErrParse
	}
	if len(name) == 1 && !(name[0] >= 'a' && name[0] <= 'z' || name[0] >= 'A' && name[0] <= 'Z') {
		return nil, gradeErrParse
	}
	// Greek letters and other symbols: a variable
	return &gradeNode{kind: gnVar, name: "\\" + name}, nil
}

// function parses a function application: \sin x, \sin^2(x), \sin^{-1} x, \log_2 8, \ln(x).
func (p *gradeParser) function(name string) (*gradeNode, error) {
	var power, base *gradeNode
	for i := 0; i < 2; i++ {
		if p.isSym("^") && power == nil {
			p.pos++
			e, err := p.exponent()
			if err != nil {
				return nil, err
			}
			power = e
			continue
		}
		if p.isSym("_") && base == nil && (name == "log") {
			p.pos++
			b, err := p.arg()
			if err != nil {
				return nil, err
			}
			base = b
			continue
		}
	}
	var x *gradeNode
	var err error
	if p.isSym("(") || p.isSym("[") || p.isSym("{") {
		x, err = p.primary()
	} else {
		// \sin 2x: the argument is the implicit product that follows
		x, err = p.power()
		for err == nil && p.startsPrimary() && !p.isFuncNext() {
			var r *gradeNode
			r, err = p.power()
			if err == nil {
				x = &gradeNode{kind: gnMul, a: x, b: r}
			}
		}
	}
	if err != nil {
		return nil, err
	}
	var n *gradeNode
	if base != nil {
		n = &gradeNode{kind: gnLog, a: x, b: base}
	} else {
		n = &gradeNode{kind: gnFunc, name: name, a: x}
	}
	if power != nil {
		if power.kind == gnNeg && power.a.kind == gnNum && power.a.val == 1 && strings.HasPrefix(name, "") && (name == "sin" || name == "cos" || name == "tan") {
			n.name = "arc" + name
		} else {
			n = &gradeNode{kind: gnPow, a: n, b: power}
		}
	}
	return n, nil
}

func (p *gradeParser) isFuncNext() bool {
	t := p.peek()
	return t.kind == gtCmd && gradeFuncs[t.s]
}

// gradeCollectVars adds the variable names of n to set.
func gradeCollectVars(n *gradeNode, set map[string]struct{}) {
	if n == nil {
		return
	}
	if n.kind == gnVar {
		set[n.name] = struct{}{}
		return
	}
	gradeCollectVars(n.a, set)
	gradeCollectVars(n.b, set)
}

// gradeEval evaluates n with the variables bound in env (missing variables evaluate to NaN).
func gradeEval(n *gradeNode, env map[string]complex128, b *gradeBudget) complex128 {
	b.step()
	switch n.kind {
	case gnNum:
		return n.val
	case gnVar:
		if v, ok := env[n.name]; ok {
			return v
		}
		return cmplx.NaN()
	case gnAdd:
		return gradeEval(n.a, env, b) + gradeEval(n.b, env, b)
	case gnSub:
		return gradeEval(n.a, env, b) - gradeEval(n.b, env, b)
	case gnMul:
		x, y := gradeEval(n.a, env, b), gradeEval(n.b, env, b)
		if imag(x) == 0 && imag(y) == 0 {
			return complex(real(x)*real(y), 0)
		}
		return x * y
	case gnDiv:
		x, y := gradeEval(n.a, env, b), gradeEval(n.b, env, b)
		if y == 0 {
			return cmplx.NaN()
		}
		if imag(x) == 0 && imag(y) == 0 {
			return complex(real(x)/real(y), 0)
		}
		return x / y
	case gnNeg:
		x := gradeEval(n.a, env, b)
		if imag(x) == 0 {
			return complex(-real(x), 0) // no negative zero: it would flip the branch of sqrt
		}
		return complex(-real(x), -imag(x))
	case gnPow:
		return gradePow(gradeEval(n.a, env, b), gradeEval(n.b, env, b))
	case gnAbs:
		return complex(cmplx.Abs(gradeEval(n.a, env, b)), 0)
	case gnFact:
		x := gradeEval(n.a, env, b)
		r := real(x)
		if imag(x) != 0 || r < 0 || r != math.Floor(r) || r > 170 {
			return cmplx.NaN()
		}
		return complex(math.Gamma(r+1), 0)
	case gnBinom:
		x, y := gradeEval(n.a, env, b), gradeEval(n.b, env, b)
		if imag(x) != 0 || imag(y) != 0 {
			return cmplx.NaN()
		}
		nn, k := real(x), real(y)
		if nn != math.Floor(nn) && k == math.Floor(k) && k >= 0 && k <= 64 {
			// \binom{n}{2} at a sample point of n: the falling factorial n(n-1).../k!, the
			// polynomial sympy's simplify sees (\binom{n}{2} = \frac{n(n-1)}{2})
			r := 1.0
			for j := 0.0; j < k; j++ {
				r *= (nn - j) / (j + 1)
			}
			return complex(r, 0)
		}
		if nn != math.Floor(nn) || k != math.Floor(k) || k < 0 || nn < 0 || k > nn || nn > 1e6 {
			return cmplx.NaN()
		}
		lg1, _ := math.Lgamma(nn + 1)
		lg2, _ := math.Lgamma(k + 1)
		lg3, _ := math.Lgamma(nn - k + 1)
		return complex(math.Round(math.Exp(lg1-lg2-lg3)), 0)
	case gnLog:
		x, base := gradeEval(n.a, env, b), gradeEval(n.b, env, b)
		d := cmplx.Log(base)
		if d == 0 {
			return cmplx.NaN()
		}
		return cmplx.Log(x) / d
	case gnFunc:
		x := gradeEval(n.a, env, b)
		switch n.name {
		case "root":
			k := gradeEval(n.b, env, b)
			if k == 0 {
				return cmplx.NaN()
			}
			// real odd roots of negative reals stay real: \sqrt[3]{-8} = -2
			if imag(x) == 0 && imag(k) == 0 && real(x) < 0 && math.Mod(real(k), 2) == 1 {
				return complex(-math.Pow(-real(x), 1/real(k)), 0)
			}
			return gradePow(x, 1/k)
		case "sin":
			return cmplx.Sin(x)
		case "cos":
			return cmplx.Cos(x)
		case "tan":
			return cmplx.Tan(x)
		case "cot":
			return 1 / cmplx.Tan(x)
		case "sec":
			return 1 / cmplx.Cos(x)
		case "csc":
			return 1 / cmplx.Sin(x)
		case "arcsin":
			return cmplx.Asin(x)
		case "arccos":
			return cmplx.Acos(x)
		case "arctan":
			return cmplx.Atan(x)
		case "sinh":
			return cmplx.Sinh(x)
		case "cosh":
			return cmplx.Cosh(x)
		case "tanh":
			return cmplx.Tanh(x)
		case "ln", "log":
			return cmplx.Log(x)
		case "lg":
			return cmplx.Log10(x)
		case "exp":
			return cmplx.Exp(x)
		}
	}
	return cmplx.NaN()
}

// gradePow is x^y that stays real (and exact for integers) where it can.
func gradePow(x, y complex128) complex128 {
	if imag(x) == 0 && imag(y) == 0 {
		xr, yr := real(x), real(y)
		if xr >= 0 || yr == math.Floor(yr) {
			return complex(math.Pow(xr, yr), 0)
		}
	}
	if x == 0 {
		if real(y) > 0 {
			return 0
		}
		return cmplx.NaN()
	}
	return cmplx.Pow(x, y)
}
