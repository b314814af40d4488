package metrics

import (
	"context"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"regexp"
	"strings"
)

// Equivalence of a predicted answer and a gold answer, gold-directed:
//
//  1. both are normalised (latex_norm.go); equal normalised strings are equivalent;
//  2. a gold letter choice (A-E) accepts "(C)", "\text{C}", "C";
//  3. both are parsed into a structure: scalar, tuple/interval (bracket types respected: (1,2] is not
//     [1,2]), set \{...\} (order-insensitive), bare comma list "1, -2" (order-insensitive, the way
//     MATH lists solutions), matrix (pmatrix/bmatrix/array), union of intervals (order-insensitive);
//     "a \pm b" becomes the list {a+b, a-b};
//  4. scalars: relations and equations ("x = 5" vs "5"; "y = 2x+3" vs "2x - y + 3 = 0" up to a
//     constant factor), text answers (case-insensitive), then numbers and expressions: both sides
//     evaluated (complex arithmetic); without variables they must agree within a relative tolerance
//     of 1e-4 (Python's isclose(rel_tol=1e-4), as Qwen2.5-Math's math_equal); with variables they
//     must agree at seeded random points (a cheap stand-in for sympy's simplify);
//  5. when either side carried a percent sign, the gold g also matches g/100 and g*100 (Qwen's
//     include_percentage, limited to answers that mention percent).

const (
	gradeRelTol      = 1e-4
	gradeExactRelTol = 1e-9
	gradeAbsTol      = 1e-9
	gradeSymRelTol   = 1e-6
	gradeSymPoints   = 6
)

type gradeValKind uint8

const (
	gvScalar gradeValKind = iota
	gvSeq                 // (a, b), [a, b), ...: ordered, brackets respected
	gvSet                 // \{a, b\}: unordered
	gvList                // a, b: unordered
	gvMatrix              // rows x cols, row-major elems
	gvUnion               // A \cup B: unordered
	gvEmpty               // the empty set
)

type gradeVal struct {
	kind        gradeValKind
	open, close string
	elems       []gradeVal
	rows, cols  int
	text        string // gvScalar: the normalised element text
}

// Equivalent reports whether pred is an acceptable rendering of gold (gold-directed), under
// DefaultGradeTimeout. A parse failure or timeout is "not equivalent".
func Equivalent(pred, gold string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), DefaultGradeTimeout)
	defer cancel()
	ok, _ := EquivalentContext(ctx, pred, gold)
	return ok
}

// EquivalentContext is Equivalent under ctx; reason explains a negative answer that is not a plain
// mismatch ("timeout", "answer too long"). It never panics.
func EquivalentContext(ctx context.Context, pred, gold string) (ok bool, reason string) {
	b := newGradeBudget(ctx)
	defer func() {
		if r := recover(); r != nil {
			ok = false
			if ob, isBudget := r.(gradeOutOfBudget); isBudget {
				reason = ob.reason
			} else {
				reason = "internal error in comparer"
			}
		}
	}()
	b.check()
	return gradeEquivalent(pred, gold, b)
}

func gradeEquivalent(pred, gold string, b *gradeBudget) (bool, string) {
	if len(pred) > gradeMaxAnswerLen || len(gold) > gradeMaxAnswerLen {
		return strings.TrimSpace(pred) == strings.TrimSpace(gold), "answer too long"
	}
	if p, g := strings.TrimSpace(pred), strings.TrimSpace(gold); p == g && p != "" {
		return true, "" // identical answers (Qwen's first check)
	}
	np, pctP := gradeNormalize(pred)
	ng, pctG := gradeNormalize(gold)
	if ng == "" || np == "" {
		return false, ""
	}
	if gradeKey(np) == gradeKey(ng) {
		return true, ""
	}
	if len(np) > gradeMaxAnswerLen || len(ng) > gradeMaxAnswerLen {
		return false, "answer too long"
	}
	if c := gradeChoice(ng); c != "" {
		return gradePredChoice(np) == c, ""
	}
	// an AMC-style answer "(C) 2" against a value gold: the value
	if m := gradeChoiceLabel.FindStringIndex(np); m != nil && m[1] < len(np) {
		np = strings.TrimSpace(np[m[1]:])
		if gradeKey(np) == gradeKey(ng) {
			return true, ""
		}
	}
	vp := gradeParseVal(np, b, 0)
	vg := gradeParseVal(ng, b, 0)
	if gradeValEqual(vp, vg, gradePctOf(pctP, pctG), b) {
		return true, ""
	}
	// a decimal comma against a scalar gold: "1,22" = 1.22, "0,111" = 0.111 (Math-Verify)
	if vg.kind == gvScalar {
		if m := gradeDecimalComma.FindStringSubmatch(np); m != nil && !gradeThousands.MatchString(np) {
			return gradeScalarEqual(m[1]+"."+m[2], vg.text, gradePctOf(pctP, pctG), b), ""
		}
	}
	return false, ""
}

// ---- structure ----

// gradeSplitTop splits s at sep outside brackets, braces and environments.
func gradeSplitTop(s, sep string) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\':
			switch {
			case strings.HasPrefix(s[i:], `\begin`):
				depth++
			case strings.HasPrefix(s[i:], `\end`):
				depth--
			}
			if depth == 0 && strings.HasPrefix(s[i:], sep) && sep[0] == '\\' && !(gradeLetterAt(sep, 1) && gradeLetterAt(s, i+len(sep))) {
				parts = append(parts, s[start:i])
				i += len(sep)
				start = i
				continue
			}
			i += 2
			continue
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']' || c == '}':
			depth--
		case strings.HasPrefix(s[i:], "⦃"):
			depth++
			i += len("⦃")
			continue
		case strings.HasPrefix(s[i:], "⦄"):
			depth--
			i += len("⦄")
			continue
		}
		if depth == 0 && sep[0] != '\\' && strings.HasPrefix(s[i:], sep) {
			parts = append(parts, s[start:i])
			i += len(sep)
			start = i
			continue
		}
		i++
	}
	return append(parts, s[start:])
}

func gradeLetterAt(s string, i int) bool {
	return i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z')
}

var gradeDecimalComma = regexp.MustCompile(`^(-?\d+),(\d+)$`)

var gradeThousands = regexp.MustCompile(`^-?[1-9]\d{0,2}(,\d{3})+(\.\d+)?$`)

var gradeMatrixBegin = regexp.MustCompile(`^\\begin\{(pmatrix|bmatrix|matrix|vmatrix|Bmatrix|smallmatrix|array)\}(\{[^{}]*\})?`)

// gradeParseVal parses a normalised answer into its structure.
func gradeParseVal(s string, b *gradeBudget, depth int) gradeVal {
	b.step()
	s = strings.TrimSpace(s)
	if depth > 20 {
		return gradeVal{kind: gvScalar, text: s}
	}
	if s == "∅" || s == "⦃⦄" || s == "{}" {
		return gradeVal{kind: gvEmpty}
	}
	if strings.Contains(s, `\cup`) {
		if parts := gradeSplitTop(s, `\cup`); len(parts) > 1 {
			v := gradeVal{kind: gvUnion}
			for _, p := range parts {
				v.elems = append(v.elems, gradeParseVal(p, b, depth+1))
			}
			return v
		}
	}
	// "(a, b) = (2, 3)", "x = \{1, 2\}": the bracketed right-hand side
	if strings.Contains(s, "=") {
		if parts, ops := gradeSplitRel(s); len(ops) > 0 && gradeAllEq(ops) {
			last := parts[len(parts)-1]
			if gradeBracketed(last) && (gradeSimpleLHS(parts[0]) || gradeBracketed(parts[0])) {
				return gradeParseVal(last, b, depth+1)
			}
		}
	}
	if m := gradeMatrixBegin.FindStringSubmatchIndex(s); m != nil {
		env, bodyStart := s[m[2]:m[3]], m[1]
		if env != "array" && m[4] >= 0 {
			bodyStart = m[4] // only array has a column specification: {1}&{2} is a cell
		}
		if v, ok := gradeParseMatrix(s, env, bodyStart, b, depth); ok {
			return v
		}
	}
	if parts := gradeSplitTop(s, ","); len(parts) > 1 {
		if gradeThousands.MatchString(s) {
			return gradeVal{kind: gvScalar, text: strings.ReplaceAll(s, ",", "")}
		}
		v := gradeVal{kind: gvList}
		for _, p := range gradeMergeThousands(parts) {
			if strings.TrimSpace(p) == "" {
				continue // "7, -2, and -5"
			}
			v.elems = gradeAppendFlat(v.elems, gradeParseVal(p, b, depth+1))
		}
		return v
	}
	if len(s) >= 2 {
		open := s[:1]
		if strings.HasPrefix(s, "⦃") {
			open = "⦃"
		}
		if strings.Contains("([{", open) || open == "⦃" {
			if end := gradeMatchingClose(s, 0); end >= 0 && end+len(gradeCloserAt(s, end)) == len(s) {
				closer := gradeCloserAt(s, end)
				inner := s[len(open):end]
				parts := gradeSplitTop(inner, ",") // no thousands merging inside brackets: [-36,104] is an interval
				switch {
				case open == "⦃" || (open == "{" && len(parts) > 1):
					if strings.TrimSpace(inner) == "" {
						return gradeVal{kind: gvEmpty}
					}
					v := gradeVal{kind: gvSet}
					for _, p := range parts {
						v.elems = gradeAppendFlat(v.elems, gradeParseVal(p, b, depth+1))
					}
					return v
				case len(parts) == 1:
					if open == "(" && closer == ")" || open == "{" {
						return gradeParseVal(inner, b, depth+1)
					}
					// [x] or a mismatched single element: keep as written
				default:
					v := gradeVal{kind: gvSeq, open: open, close: closer}
					for _, p := range parts {
						v.elems = append(v.elems, gradeParseVal(p, b, depth+1))
					}
					return v
				}
			}
		}
	}
	v := gradeVal{kind: gvScalar, text: s}
	if vs := gradeExpandPM(v); len(vs) > 1 {
		return gradeVal{kind: gvList, elems: vs}
	}
	return v
}

// gradeAppendFlat appends v, or the members of v when it is a bare list (a \pm expansion).
func gradeAppendFlat(dst []gradeVal, v gradeVal) []gradeVal {
	if v.kind == gvList {
		return append(dst, v.elems...)
	}
	return append(dst, v)
}

// gradeBracketed reports whether s is wrapped in one bracket pair with top-level content: "(1,2)".
func gradeBracketed(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" || !(strings.ContainsRune("([{", rune(s[0])) || strings.HasPrefix(s, "⦃")) {
		return false
	}
	end := gradeMatchingClose(s, 0)
	return end >= 0 && end+len(gradeCloserAt(s, end)) == len(s)
}

func gradeCloserAt(s string, i int) string {
	if strings.HasPrefix(s[i:], "⦄") {
		return "⦄"
	}
	return s[i : i+1]
}

// gradeMergeThousands rejoins "10" "080" split at a thousands separator ("10,080" in a list).
func gradeMergeThousands(parts []string) []string {
	out := parts[:0:0]
	for _, p := range parts {
		if n := len(out); n > 0 && len(p) >= 3 && gradeAllDigits(p[:3]) && (len(p) == 3 || !(p[3] >= '0' && p[3] <= '9')) &&
			gradeThousandsHead(out[n-1]) && (len(p) == 3 || p[3] == '.' && len(p) > 4 && gradeAllDigits(p[4:])) {
			out[n-1] += p
			continue
		}
		out = append(out, p)
	}
	return out
}

// gradeThousandsHead reports whether s ends a number that may continue with a thousands group:
// "10", "-1", "1,000" (already merged as "1000" counts too when its digit run is a multiple of 3 +1..3).
func gradeThousandsHead(s string) bool {
	t := strings.TrimPrefix(strings.TrimSpace(s), "-")
	if t != s && strings.HasPrefix(s, " ") {
		return false
	}
	if !gradeAllDigits(t) || t[0] == '0' {
		return false
	}
	return len(t) <= 3 || gradeThousandsGrouped(t)
}

func gradeThousandsGrouped(t string) bool { return len(t) >= 4 && len(t) <= 15 }

// gradeExpandPM turns a scalar containing \pm / \mp into its list of values.
func gradeExpandPM(v gradeVal) []gradeVal {
	if v.kind != gvScalar || !(strings.Contains(v.text, `\pm`) || strings.Contains(v.text, `\mp`)) {
		return []gradeVal{v}
	}
	variants := []string{v.text}
	for range 3 {
		var next []string
		changed := false
		for _, t := range variants {
			i := strings.Index(t, `\pm`)
			j := strings.Index(t, `\mp`)
			if i < 0 && j < 0 {
				next = append(next, t)
				continue
			}
			changed = true
			if i >= 0 && (j < 0 || i < j) {
				next = append(next, t[:i]+"+"+t[i+3:], t[:i]+"-"+t[i+3:])
			} else {
				next = append(next, t[:j]+"-"+t[j+3:], t[:j]+"+"+t[j+3:])
			}
		}
		variants = next
		if !changed {
			break
		}
	}
	out := make([]gradeVal, len(variants))
	for i, t := range variants {
		out[i] = gradeVal{kind: gvScalar, text: strings.TrimSpace(t)}
	}
	return out
}

func gradeParseMatrix(s, env string, bodyStart int, b *gradeBudget, depth int) (gradeVal, bool) {
	endTag := `\end{` + env + `}`
	end := strings.LastIndex(s, endTag)
	if end < bodyStart || strings.TrimSpace(s[end+len(endTag):]) != "" {
		return gradeVal{}, false
	}
	body := strings.TrimSpace(s[bodyStart:end])
	var rows [][]string
	for _, r := range gradeSplitTop(body, `\\`) {
		r = strings.TrimSpace(r)
		if r == "" || r == `\hline` {
			continue
		}
		rows = append(rows, gradeSplitTop(r, "&"))
	}
	if len(rows) == 0 {
		return gradeVal{}, false
	}
	v := gradeVal{kind: gvMatrix, rows: len(rows), cols: len(rows[0])}
	for _, r := range rows {
		if len(r) != v.cols {
			return gradeVal{}, false
		}
		for _, c := range r {
			v.elems = append(v.elems, gradeParseVal(c, b, depth+1))
		}
	}
	return v, true
}

// ---- comparison ----

func gradeValEqual(p, g gradeVal, pct gradePct, b *gradeBudget) bool {
	b.step()
	// a one-element container is its element
	if p.kind != g.kind {
		if (p.kind == gvList || p.kind == gvSet) && len(p.elems) == 1 && g.kind == gvScalar {
			return gradeValEqual(p.elems[0], g, pct, b)
		}
		if (g.kind == gvList || g.kind == gvSet) && len(g.elems) == 1 && p.kind == gvScalar {
			return gradeValEqual(p, g.elems[0], pct, b)
		}
	}
	switch g.kind {
	case gvScalar:
		if p.kind == gvSeq || p.kind == gvUnion {
			// gold "-2 \le x \le 7" against pred "[-2, 7]" (Math-Verify compares a pred interval
			// with a gold inequality; the reverse is not accepted)
			if iv, ok := gradeRelationInterval(g.text); ok {
				return gradeValEqual(p, iv, pct, b)
			}
			if p.kind == gvUnion {
				for _, or := range []string{`\lor`, `\vee`} {
					if parts := gradeSplitTop(g.text, or); len(parts) > 1 {
						var elems []gradeVal
						for _, q := range parts {
							elems = append(elems, gradeVal{kind: gvScalar, text: strings.TrimSpace(q)})
						}
						if u, ok := gradeRelationUnion(elems); ok {
							return gradeValEqual(p, u, pct, b)
						}
					}
				}
			}
		}
		if p.kind != gvScalar {
			// "x=1, y=2" style lists never equal a scalar; a tuple as a scalar text may still match
			return false
		}
		return gradeScalarEqual(p.text, g.text, pct, b)
	case gvEmpty:
		return p.kind == gvEmpty
	case gvList:
		if p.kind == gvUnion {
			// gold "x < -2 or x > 2" against pred "(-\infty,-2) \cup (2,\infty)"
			if u, ok := gradeRelationUnion(g.elems); ok {
				return gradeValEqual(p, u, pct, b)
			}
		}
		switch p.kind {
		case gvList, gvSet, gvSeq:
			if gradeUnordered(p.elems, g.elems, pct, b) {
				return true
			}
			return gradeEquationListEqual(p, g, pct, b)
		}
		return false
	case gvSet:
		switch p.kind {
		case gvList, gvSet:
			return gradeUnordered(p.elems, g.elems, pct, b)
		case gvSeq:
			// a tuple (1,3) may render the set {1,3} (Math-Verify, Qwen), an interval [1,3] may not
			return p.open == "(" && p.close == ")" && gradeOrdered(p.elems, g.elems, pct, b)
		}
		return false
	case gvSeq:
		switch p.kind {
		case gvSeq:
			if p.open != g.open || p.close != g.close {
				return false
			}
			return gradeOrdered(p.elems, g.elems, pct, b)
		case gvList:
			if g.open == "(" && g.close == ")" {
				if gradeOrdered(p.elems, g.elems, pct, b) {
					return true
				}
				return gradeEquationListEqual(p, g, pct, b)
			}
			return false
		case gvSet:
			return g.open == "(" && g.close == ")" && gradeOrdered(p.elems, g.elems, pct, b)
		case gvMatrix:
			return (p.rows == 1 || p.cols == 1) && gradeOrdered(p.elems, g.elems, pct, b)
		}
		return false
	case gvMatrix:
		switch p.kind {
		case gvMatrix:
			return p.rows == g.rows && p.cols == g.cols && gradeOrdered(p.elems, g.elems, pct, b)
		case gvSeq:
			return (g.rows == 1 || g.cols == 1) && p.open == "(" && gradeOrdered(p.elems, g.elems, pct, b)
		}
		return false
	case gvUnion:
		return p.kind == gvUnion && gradeUnordered(p.elems, g.elems, pct, b)
	}
	return false
}

func gradeOrdered(p, g []gradeVal, pct gradePct, b *gradeBudget) bool {
	if len(p) != len(g) {
		return false
	}
	for i := range p {
		if !gradeValEqual(p[i], g[i], pct, b) {
			return false
		}
	}
	return true
}

func gradeUnordered(p, g []gradeVal, pct gradePct, b *gradeBudget) bool {
	if len(p) != len(g) {
		return false
	}
	if len(p) > 64 {
		// long lists: compare the sorted normal forms only (bounded work)
		kp, kg := make([]string, len(p)), make([]string, len(g))
		for i := range p {
			kp[i], kg[i] = gradeValKey(p[i]), gradeValKey(g[i])
		}
		gradeSortStrings(kp)
		gradeSortStrings(kg)
		for i := range kp {
			if kp[i] != kg[i] {
				return false
			}
		}
		return true
	}
	used := make([]bool, len(p))
outer:
	for _, ge := range g {
		for i, pe := range p {
			if !used[i] && gradeValEqual(pe, ge, pct, b) {
				used[i] = true
				continue outer
			}
		}
		return false
	}
	return true
}

// gradeEquationListEqual compares "x=1, y=2" with "(1, 2)" or "1, 2": the right-hand sides in order.
func gradeEquationListEqual(p, g gradeVal, pct gradePct, b *gradeBudget) bool {
	strip := func(v gradeVal) (gradeVal, bool) {
		out := gradeVal{kind: gvList}
		any := false
		for _, e := range v.elems {
			if e.kind == gvScalar {
				if parts, ops := gradeSplitRel(e.text); len(parts) == 2 && ops[0] == "=" && gradeSimpleLHS(parts[0]) {
					out.elems = append(out.elems, gradeVal{kind: gvScalar, text: parts[1]})
					any = true
					continue
				}
			}
			out.elems = append(out.elems, e)
		}
		return out, any
	}
	sp, okp := strip(p)
	sg, okg := strip(g)
	if !okp && !okg {
		return false
	}
	return gradeOrdered(sp.elems, sg.elems, pct, b)
}

// ---- scalars ----

var gradeRelOps = []string{`\le`, `\ge`, `\ne`, `\approx`, "=", "<", ">"}

// gradeSplitRel splits s at top-level relation operators (=, <, >, \le, \ge, \ne, \approx).
func gradeSplitRel(s string) (parts, ops []string) {
	depth, start := 0, 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']' || c == '}':
			depth--
		case c == '\\':
			matched := ""
			if depth == 0 {
				for _, op := range gradeRelOps[:4] {
					if strings.HasPrefix(s[i:], op) && !gradeLetterAt(s, i+len(op)) {
						matched = op
						break
					}
				}
			}
			if matched != "" {
				parts = append(parts, s[start:i])
				ops = append(ops, matched)
				i += len(matched)
				start = i
				continue
			}
			i += 2
			continue
		case depth == 0 && (c == '=' || c == '<' || c == '>'):
			parts = append(parts, s[start:i])
			ops = append(ops, string(c))
			i++
			start = i
			continue
		}
		i++
	}
	parts = append(parts, s[start:])
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts, ops
}

var gradeSimpleLHSRe = regexp.MustCompile(`^([a-zA-Z]|\\[a-zA-Z]+)('|_\{?[a-zA-Z0-9]+\}?)?(\([a-zA-Z]\))?$`)

// gradeSimpleLHS reports whether s names a variable or function value: x, k, x_1, \theta, f(x), or
// (as Qwen's is_simple_equation) anything of at most two characters.
func gradeSimpleLHS(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" {
		return false
	}
	if gradeSimpleLHSRe.MatchString(s) {
		return true
	}
	return len(s) <= 2 && !gradeAllDigits(s) && !strings.ContainsAny(s, "0123456789.")
}

var (
	gradeChoiceReplacer  = strings.NewReplacer(`\text`, "", `\mathrm`, "", `\textbf`, "", "{", "", "}", "", " ", "")
	gradeTextKeyReplacer = strings.NewReplacer(`\text`, "", `\mathrm`, "", `\textbf`, "", `\mathbf`, "", "{", "", "}", "")
)

var gradeChoiceLabel = regexp.MustCompile(`^\(([A-E])\)\s+`)

var gradeChoiceRe = regexp.MustCompile(`^\(?([A-E])\)?$`)

// gradeChoice returns the letter of a multiple-choice answer "(C)", "C", "\text{(C)}", or "". Only
// capital letters count (as Qwen's reference in ["A".."E"]): a gold "c" is a variable.
func gradeChoice(s string) string {
	k := gradeChoiceReplacer.Replace(s)
	if m := gradeChoiceRe.FindStringSubmatch(k); m != nil {
		return m[1]
	}
	return ""
}

var (
	gradeChoiceParenRe = regexp.MustCompile(`\(([A-E])\)`)
	gradeChoiceWordRe  = regexp.MustCompile(`\b([A-E])\b`)
)

// gradePredChoice finds the choice letter in a predicted answer the way Qwen's choice_answer_clean
// does: "(D) 1,008,016" -> D, "\textbf{(C)}\ 12" -> C; a parenthesised letter first, else the last
// standalone letter A-E.
func gradePredChoice(s string) string {
	if c := gradeChoice(strings.ToUpper(s)); c != "" {
		return c
	}
	k := strings.ToUpper(gradeChoiceReplacer.Replace(s))
	if ms := gradeChoiceParenRe.FindAllStringSubmatch(k, -1); len(ms) > 0 {
		return ms[len(ms)-1][1]
	}
	if ms := gradeChoiceWordRe.FindAllStringSubmatch(k, -1); len(ms) > 0 {
		// one letter only: "A, C" names several choices and matches none
		for _, m := range ms[1:] {
			if m[1] != ms[0][1] {
				return ""
			}
		}
		return ms[0][1]
	}
	return ""
}

var gradeWordRe = regexp.MustCompile(`[a-zA-Z]{3,}`)
var gradeCmdRe = regexp.MustCompile(`\\[a-zA-Z]+`)

// gradeWordy reports whether s reads as text (a run of 3+ letters outside commands), in which case
// it is compared as text, not as a product of single-letter variables.
func gradeWordy(s string) bool {
	if !gradeWordRe.MatchString(s) {
		return false
	}
	return gradeWordRe.MatchString(gradeCmdRe.ReplaceAllString(s, " "))
}

func gradeTextKey(s string) string {
	return gradeKey(gradeTextKeyReplacer.Replace(s))
}

func gradeScalarEqual(p, g string, pct gradePct, b *gradeBudget) bool {
	b.step()
	if gradeKey(p) == gradeKey(g) {
		return true
	}
	if c := gradeChoice(g); c != "" {
		return gradePredChoice(p) == c
	}
	if gradeWordy(p) || gradeWordy(g) {
		return gradeTextKey(p) == gradeTextKey(g)
	}
	pp, pops := gradeSplitRel(p)
	gp, gops := gradeSplitRel(g)
	switch {
	case len(pops) == 0 && len(gops) == 0:
		return gradeExprEqual(p, g, pct, b)
	case len(gops) == 0:
		// pred "x = 5" (or "x = 2+3 = 5") against gold "5": the last side
		if gradeAllEq(pops) && (gradeSimpleLHS(pp[0]) || len(pp) > 2 || pp[0] == "" || gradeConstantExpr(pp[0], b)) {
			last := pp[len(pp)-1]
			if pops[len(pops)-1] == `\approx` && len(pp) > 2 {
				last = pp[len(pp)-2]
			}
			return gradeExprEqual(last, g, pct, b)
		}
		return false
	case len(pops) == 0:
		// gold "x = 5" against pred "5"
		if gradeAllEq(gops) && gradeSimpleLHS(gp[0]) {
			return gradeExprEqual(p, gp[len(gp)-1], pct, b)
		}
		return false
	}
	// both relations
	if len(pops) == 1 && len(gops) == 1 {
		return gradeRelationEqual(pp[0], pops[0], pp[1], gp[0], gops[0], gp[1], b)
	}
	if gradeAllEq(pops) && gradeAllEq(gops) {
		// chains: compare first = last ("x = 5+5+1 = 1/3 \approx 11": the side before a final \approx)
		plast := pp[len(pp)-1]
		if pops[len(pops)-1] == `\approx` && len(pp) > 2 {
			plast = pp[len(pp)-2]
		}
		return gradeRelationEqual(pp[0], "=", plast, gp[0], "=", gp[len(gp)-1], b) ||
			gradeExprEqual(plast, gp[len(gp)-1], pct, b) && gradeKey(pp[0]) == gradeKey(gp[0])
	}
	return false
}

func gradeAllEq(ops []string) bool {
	for _, o := range ops {
		if o != "=" && o != `\approx` {
			return false
		}
	}
	return true
}

// gradeExprEqual compares two expressions numerically (no variables) or at random points.
func gradeExprEqual(p, g string, pct gradePct, b *gradeBudget) bool {
	if gradeKey(p) == gradeKey(g) {
		return true
	}
	np, err := gradeParseExpr(p, b)
	if err != nil {
		return false
	}
	ng, err := gradeParseExpr(g, b)
	if err != nil {
		return false
	}
	vars := map[string]struct{}{}
	gradeCollectVars(np, vars)
	gradeCollectVars(ng, vars)
	if len(vars) == 0 {
		// decimals are approximations: relative tolerance 1e-4 (Qwen's isclose); two exact forms
		// (integers, fractions, radicals, pi) must agree up to float noise, so 70\sqrt{2} is not 99
		tol := gradeExactRelTol
		if gradeHasDecimal(p) || gradeHasDecimal(g) {
			tol = gradeRelTol
		}
		vp, vg := gradeEval(np, nil, b), gradeEval(ng, nil, b)
		// integer arithmetic below 2^53 is exact in float64: 10000000001 is not 10^{10}
		intExact := tol == gradeExactRelTol && gradeIntArith(np) && gradeIntArith(ng) &&
			math.Abs(real(vp)) < 1<<53 && math.Abs(real(vg)) < 1<<53
		if intExact && vp == vg || !intExact && gradeClose(vp, vg, tol) {
			return true
		}
		if imag(vg) == 0 && imag(vp) == 0 {
			// a percent gold g% is g or g/100; a percent pred p% against a fraction gold is
			// p = g*100 (Qwen's include_percentage, Math-Verify's reading of %: gold 10\%
			// does not accept 1000)
			if pct&gradePctGold != 0 && gradeClose(vp, vg/100, tol) {
				return true
			}
			if pct&gradePctPred != 0 && gradeClose(vp, vg*100, tol) {
				return true
			}
		}
		return false
	}
	return gradeSameFunction(np, ng, vars, false, b)
}

// gradeSameFunction evaluates both trees at seeded random points. With proportional set it
// accepts p = c*g for a constant c != 0 (equations), returning the sign check to the caller via
// gradeRatio.
func gradeSameFunction(np, ng *gradeNode, vars map[string]struct{}, proportional bool, b *gradeBudget) bool {
	ok, _ := gradeCompareAtPoints(np, ng, vars, proportional, b)
	return ok
}

// gradeCompareAtPoints returns whether p and g agree (or are proportional) at the sample points and,
// for proportional comparisons, the ratio found.
func gradeCompareAtPoints(np, ng *gradeNode, vars map[string]struct{}, proportional bool, b *gradeBudget) (bool, complex128) {
	names := make([]string, 0, len(vars))
	for v := range vars {
		names = append(names, v)
	}
	// deterministic order for the seeded draws
	gradeSortStrings(names)
	rng := rand.New(rand.NewPCG(0x5eed, uint64(len(names))))
	env := make(map[string]complex128, len(names))
	valid := 0
	var ratio complex128
	haveRatio := false
	for k := 0; k < gradeSymPoints*3 && valid < gradeSymPoints; k++ {
		for _, n := range names {
			env[n] = complex(0.25+1.75*rng.Float64(), 0)
		}
		vp, vg := gradeEval(np, env, b), gradeEval(ng, env, b)
		fp, fg := gradeFinite(vp), gradeFinite(vg)
		if !fp && !fg {
			continue
		}
		if fp != fg {
			return false, 0
		}
		valid++
		if !proportional {
			if !gradeClose(vp, vg, gradeSymRelTol) {
				return false, 0
			}
			continue
		}
		if cmplx.Abs(vg) < 1e-12 {
			if cmplx.Abs(vp) > 1e-9 {
				return false, 0
			}
			continue
		}
		r := vp / vg
		if !haveRatio {
			if cmplx.Abs(r) < 1e-12 {
				return false, 0
			}
			ratio, haveRatio = r, true
			continue
		}
		if !gradeClose(r, ratio, gradeSymRelTol) {
			return false, 0
		}
	}
	if valid < 3 {
		return false, 0
	}
	if proportional && !haveRatio {
		return false, 0
	}
	return true, ratio
}

// gradeRelationEqual compares two relations "lhs op rhs" as f = lhs - rhs with op normalised to
// <, \le, =, \ne: equal when the ops agree and f_p = c * f_g (c > 0 for inequalities).
func gradeRelationEqual(pl, pop, pr, gl, gop, gr string, b *gradeBudget) bool {
	norm := func(l, op, r string) (string, string, string) {
		switch op {
		case ">":
			return r, "<", l
		case `\ge`:
			return r, `\le`, l
		case `\approx`:
			return l, "=", r
		}
		return l, op, r
	}
	pl, pop, pr = norm(pl, pop, pr)
	gl, gop, gr = norm(gl, gop, gr)
	if pop != gop {
		return false
	}
	if gradeKey(pl) == gradeKey(gl) && gradeKey(pr) == gradeKey(gr) {
		return true
	}
	nodes := make([]*gradeNode, 4)
	for i, s := range []string{pl, pr, gl, gr} {
		n, err := gradeParseExpr(s, b)
		if err != nil {
			return false
		}
		nodes[i] = n
	}
	fp := &gradeNode{kind: gnSub, a: nodes[0], b: nodes[1]}
	fg := &gradeNode{kind: gnSub, a: nodes[2], b: nodes[3]}
	vars := map[string]struct{}{}
	gradeCollectVars(fp, vars)
	gradeCollectVars(fg, vars)
	if len(vars) == 0 {
		return false
	}
	ok, ratio := gradeCompareAtPoints(fp, fg, vars, true, b)
	if !ok {
		return false
	}
	if pop == "<" || pop == `\le` {
		return real(ratio) > 0 && math.Abs(imag(ratio)) < 1e-9
	}
	return true
}

func gradeFinite(v complex128) bool {
	return !cmplx.IsNaN(v) && !cmplx.IsInf(v)
}

// gradeClose is Python's isclose(a, b, rel_tol=tol) with a tiny absolute tolerance for float
// noise; infinities are equal when they point the same way.
func gradeClose(a, b complex128, tol float64) bool {
	if cmplx.IsNaN(a) || cmplx.IsNaN(b) {
		if ar, br := real(a), real(b); math.IsInf(ar, 0) && math.IsInf(br, 0) {
			return ar == br
		}
		return false
	}
	if cmplx.IsInf(a) || cmplx.IsInf(b) {
		return cmplx.IsInf(a) && cmplx.IsInf(b) && math.Signbit(real(a)) == math.Signbit(real(b)) &&
			math.IsInf(real(a), 0) == math.IsInf(real(b), 0)
	}
	d := cmplx.Abs(a - b)
	if d <= tol*math.Max(cmplx.Abs(a), cmplx.Abs(b)) {
		return true
	}
	// the absolute tolerance only absorbs float noise around an exact zero: two tiny non-zero
	// values (\frac{1}{2^{98}}, \frac{1}{2^{99}}) are compared relatively, as isclose does
	return d <= gradeAbsTol && (a == 0 || b == 0)
}

func gradeSortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// gradeValKey is a string form of a parsed value (for the bounded comparison of long lists).
func gradeValKey(v gradeVal) string {
	if v.kind == gvScalar {
		return gradeKey(v.text)
	}
	var sb strings.Builder
	sb.WriteString(v.open)
	for i, e := range v.elems {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(gradeValKey(e))
	}
	sb.WriteString(v.close)
	return sb.String()
}

// gradeHasDecimal reports whether s contains a decimal literal ("3.5", ".25") or scientific notation.
func gradeHasDecimal(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '.' && s[i+1] >= '0' && s[i+1] <= '9' {
			return true
		}
		if (s[i] == 'e' || s[i] == 'E') && i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
			return true
		}
	}
	return false
}

// gradeRelationInterval turns a one-variable inequality ("x > 1", "-2 \le x \le 7", "5 \ge x")
// into the interval it describes.
func gradeRelationInterval(s string) (gradeVal, bool) {
	parts, ops := gradeSplitRel(s)
	isVar := func(x string) bool { return gradeSimpleLHS(x) && !strings.ContainsAny(x, "()") }
	lower := func(op string) bool { return op == "<" || op == `\le` }
	strict := func(op string) bool { return op == "<" || op == ">" }
	for _, op := range ops {
		if op != "<" && op != ">" && op != `\le` && op != `\ge` {
			return gradeVal{}, false
		}
	}
	mk := func(lo, hi string, loOpen, hiOpen bool) gradeVal {
		v := gradeVal{kind: gvSeq, open: "[", close: "]"}
		if loOpen {
			v.open = "("
		}
		if hiOpen {
			v.close = ")"
		}
		v.elems = []gradeVal{{kind: gvScalar, text: lo}, {kind: gvScalar, text: hi}}
		return v
	}
	switch {
	case len(parts) == 2 && isVar(parts[0]):
		// x < a  /  x > a
		if lower(ops[0]) {
			return mk(`-\infty`, parts[1], true, strict(ops[0])), true
		}
		return mk(parts[1], `\infty`, strict(ops[0]), true), true
	case len(parts) == 2 && isVar(parts[1]):
		// a < x  /  a > x
		if lower(ops[0]) {
			return mk(parts[0], `\infty`, strict(ops[0]), true), true
		}
		return mk(`-\infty`, parts[0], true, strict(ops[0])), true
	case len(parts) == 3 && isVar(parts[1]) && lower(ops[0]) == lower(ops[1]):
		if lower(ops[0]) {
			return mk(parts[0], parts[2], strict(ops[0]), strict(ops[1])), true
		}
		return mk(parts[2], parts[0], strict(ops[1]), strict(ops[0])), true
	}
	return gradeVal{}, false
}

// gradeConstantExpr reports whether s parses as an expression without variables ("9 \times 2").
func gradeConstantExpr(s string, b *gradeBudget) bool {
	n, err := gradeParseExpr(s, b)
	if err != nil {
		return false
	}
	vars := map[string]struct{}{}
	gradeCollectVars(n, vars)
	return len(vars) == 0
}

// gradeIntArith reports whether n is integer literals under + - * ^ (small non-negative integer
// exponents), unary minus and !, so that its float64 value is exact while it stays below 2^53.
func gradeIntArith(n *gradeNode) bool {
	if n == nil {
		return false
	}
	switch n.kind {
	case gnNum:
		return n.intLit
	case gnAdd, gnSub, gnMul:
		return gradeIntArith(n.a) && gradeIntArith(n.b)
	case gnPow:
		return gradeIntArith(n.a) && n.b != nil && n.b.kind == gnNum && n.b.intLit && real(n.b.val) >= 0 && real(n.b.val) <= 64
	case gnNeg, gnFact:
		return gradeIntArith(n.a)
	}
	return false
}

// gradeRelationUnion reads the gold alternatives "x < -2", "x > 2" (written with "or", \lor or
// \vee) as the union of their intervals, when every one is a one-variable inequality.
func gradeRelationUnion(elems []gradeVal) (gradeVal, bool) {
	if len(elems) < 2 {
		return gradeVal{}, false
	}
	u := gradeVal{kind: gvUnion}
	for _, e := range elems {
		if e.kind != gvScalar {
			return gradeVal{}, false
		}
		iv, ok := gradeRelationInterval(e.text)
		if !ok {
			return gradeVal{}, false
		}
		u.elems = append(u.elems, iv)
	}
	return u, true
}

// gradePct records which side carried a percent sign.
type gradePct uint8

const (
	gradePctPred gradePct = 1 << iota
	gradePctGold
)

func gradePctOf(pred, gold bool) gradePct {
	var p gradePct
	if pred {
		p |= gradePctPred
	}
	if gold {
		p |= gradePctGold
	}
	return p
}
