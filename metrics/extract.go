package metrics

import (
	"regexp"
	"strings"
)

// Extraction rules, tried in this order on the response (after a closed <think>...</think> block
// is cut away):
//
//	boxed        the last \boxed{...} / \fbox{...} (brace-matched; also "\boxed 5"); boxes that
//	             directly precede it ("\boxed{-2} and \boxed{1}") are joined into a list "-2, 1"
//	answer_is    "the (final) answer is X" (lm-eval's strict "The answer is", Qwen's "he answer is")
//	hash         "#### X" (GSM8K reference format, lm-eval strict-match)
//	answer_colon "Answer: X", "**Final Answer:** X"
//	last_number  the last number in the text, thousands separators removed (lm-eval
//	             flexible-extract, Qwen's use_last_number); a trailing a/b is kept
//	none         nothing found
//
// For the text rules the answer is cut at the end of its sentence; a leading $...$ / \(...\) span
// is taken whole; for numeric benchmarks (gsm8k, aime, amc) the first number of the snippet is kept.

// Rule names recorded in Verdict.Rule.
const (
	RuleBoxed       = "boxed"
	RuleAnswerIs    = "answer_is"
	RuleHash        = "hash"
	RuleAnswerColon = "answer_colon"
	RuleLastNumber  = "last_number"
	RuleNone        = "none"
)

// gradeMaxResponseLen bounds the response text searched (the tail is kept: answers come last).
const gradeMaxResponseLen = 1 << 20

type gradeBoxSpan struct {
	start, end int // of the whole \boxed{...}
	content    string
	closed     bool
}

// gradeBoxes finds every \boxed / \fbox in s, in order.
func gradeBoxes(s string) []gradeBoxSpan {
	var out []gradeBoxSpan
	// next occurrence of each name at or after i (-1: none left); recomputed only when passed, so
	// the scan stays linear
	nextBoxed, nextFbox := -2, -2
	for i := 0; i < len(s); {
		if nextBoxed != -1 && nextBoxed < i {
			nextBoxed = gradeIndexFrom(s, `\boxed`, i)
		}
		if nextFbox != -1 && nextFbox < i {
			nextFbox = gradeIndexFrom(s, `\fbox`, i)
		}
		if nextBoxed < 0 && nextFbox < 0 {
			break
		}
		var at, n int
		if nextBoxed >= 0 && (nextFbox < 0 || nextBoxed < nextFbox) {
			at, n = nextBoxed, len(`\boxed`)
		} else {
			at, n = nextFbox, len(`\fbox`)
		}
		p := at + n
		// \boxed{...}, \boxed {...}, \boxed 5
		q := p
		for q < len(s) && (s[q] == ' ' || s[q] == '\t') {
			q++
		}
		if q < len(s) && s[q] == '{' {
			depth := 0
			end := -1
			for r := q; r < len(s); r++ {
				c := s[r]
				if c == '\\' && r+1 < len(s) && (s[r+1] == '{' || s[r+1] == '}') {
					r++
					continue
				}
				if c == '{' {
					depth++
				} else if c == '}' {
					depth--
					if depth == 0 {
						end = r
						break
					}
				}
			}
			if end < 0 {
				out = append(out, gradeBoxSpan{start: at, end: len(s), content: s[q+1:], closed: false})
				i = len(s)
				continue
			}
			out = append(out, gradeBoxSpan{start: at, end: end + 1, content: s[q+1 : end], closed: true})
			i = end + 1
			continue
		}
		if p < len(s) && (s[p] == ' ' || s[p] == '\t') {
			// "\boxed 5": up to $, a newline or a closing math delimiter
			r := q
			for r < len(s) && s[r] != '$' && s[r] != '\n' && !strings.HasPrefix(s[r:], `\]`) && !strings.HasPrefix(s[r:], `\)`) {
				r++
			}
			if c := strings.TrimRight(strings.TrimSpace(s[q:r]), ".,;"); c != "" {
				out = append(out, gradeBoxSpan{start: at, end: r, content: c, closed: true})
			}
			i = r
			continue
		}
		i = p
	}
	return out
}

func gradeIndexFrom(s, sub string, from int) int {
	if j := strings.Index(s[from:], sub); j >= 0 {
		return from + j
	}
	return -1
}

// gradeMaxJoinedBoxes bounds how many adjacent boxes are joined into one list answer.
const gradeMaxJoinedBoxes = 64

var gradeBoxGapReplacer = strings.NewReplacer("$", "", `\]`, "", `\[`, "", `\)`, "", `\(`, "", ",", "", ";", "",
	`\text{ and }`, "", `\text{and}`, "", " and ", "", " or ", "", `\quad`, "", `\qquad`, "", "&", "", `\\`, "")

// gradeBoxedAnswer returns the content of the last closed box, joined with the boxes listed right
// before it ("\boxed{1}, \boxed{2}" -> "1, 2"), and the content of the last box alone.
func gradeBoxedAnswerBoth(s string) (joined, last string, ok bool) {
	boxes := gradeBoxes(s)
	// an unclosed (truncated) or empty last box is skipped for the previous one
	n := len(boxes) - 1
	for n >= 0 && (!boxes[n].closed || strings.TrimSpace(boxes[n].content) == "") {
		n--
	}
	if n < 0 {
		return "", "", false
	}
	last = strings.TrimSpace(boxes[n].content)
	parts := []string{last}
	for m := n - 1; m >= 0 && boxes[m].closed && len(parts) < gradeMaxJoinedBoxes; m-- {
		gap := gradeBoxGapReplacer.Replace(" " + s[boxes[m].end:boxes[m+1].start] + " ")
		if strings.TrimSpace(gap) != "" {
			break
		}
		parts = append(parts, strings.TrimSpace(boxes[m].content))
	}
	if len(parts) == 1 {
		return last, last, true
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, ", "), last, true
}

// gradeBoxedAnswer is the joined form of gradeBoxedAnswerBoth.
func gradeBoxedAnswer(s string) (string, bool) {
	j, _, ok := gradeBoxedAnswerBoth(s)
	return j, ok
}

// LastBoxed returns the brace-matched content of the last \boxed{} / \fbox{} in s (how MATH golds
// are read from solutions), and whether there was one.
func LastBoxed(s string) (string, bool) {
	_, last, ok := gradeBoxedAnswerBoth(s)
	return last, ok
}

// gradeStripThink cuts a closed reasoning block. The answer is looked for after the last </think>.
// A response whose template pre-filled <think> contains only </think>: it counts as opened and
// closed. A response that opened <think> and never closed it is searched whole (as the reference
// graders do: split on </think> keeps the whole text), with ThinkClosed=false recorded.
func gradeStripThink(s string) (text string, opened, closed bool) {
	opened = strings.Contains(s, "<think>")
	if i := strings.LastIndex(s, "</think>"); i >= 0 {
		return s[i+len("</think>"):], true, true
	}
	if opened {
		s = strings.Replace(s, "<think>", "", 1)
	}
	return s, opened, false
}

var (
	gradeAnswerIsRe    = regexp.MustCompile(`^(?i)answer\s+(?:is|will\s+be)\s*:?\s*`)
	gradeAnswerColonRe = regexp.MustCompile(`^(?i)answer\s*(?:\*\*|__)?\s*[:：]\s*(?:\*\*|__)?\s*`)
	gradeHashRe        = regexp.MustCompile(`^####\s*`)
	gradeLastNumberRe  = regexp.MustCompile(`-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:/\d+(?:\.\d+)?)?|-?\.\d+`)
	gradeNumberRe      = regexp.MustCompile(`-?\$?\s*(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:/\d+(?:\.\d+)?)?|-?\.\d+`)
)

// Extract returns the final answer of response for benchmark and the rule that found it (see the
// Rule* constants). The answer is "" with rule "none" when nothing was found.
func Extract(benchmark, response string) (answer, rule string) {
	text, _, _ := gradeStripThink(response)
	return gradeExtract(gradeCanonicalBenchmark(benchmark), text)
}

func gradeExtract(bench, text string) (string, string) {
	if len(text) > gradeMaxResponseLen {
		text = text[len(text)-gradeMaxResponseLen:]
	}
	numeric := bench != "math"
	// Minerva's "Final Answer: The final answer is $X$. I hope it is correct." wins over boxes
	// written earlier in the text (as in Qwen2.5-Math's extract_answer and Math-Verify's priorities)
	if a := gradeMinerva(text); a != "" {
		if numeric {
			if m := gradeNumberRe.FindString(a); m != "" {
				return strings.ReplaceAll(gradeNumCleaner.Replace(m), ",", ""), RuleAnswerIs
			}
		} else {
			return a, RuleAnswerIs
		}
	}
	if j, ok := gradeBoxedAnswer(text); ok && strings.TrimSpace(j) != "" {
		return j, RuleBoxed
	}
	if a := gradeAfterLast(text, "answer", gradeAnswerIsRe, numeric); a != "" {
		return a, RuleAnswerIs
	}
	if a := gradeAfterLast(text, "####", gradeHashRe, numeric); a != "" {
		return a, RuleHash
	}
	if a := gradeAfterLast(text, "answer", gradeAnswerColonRe, numeric); a != "" {
		return a, RuleAnswerColon
	}
	if a := gradeLastNumber(text, !numeric); a != "" {
		return a, RuleLastNumber
	}
	return "", RuleNone
}

// gradeMinerva returns X of the last "final answer is $X$. I hope", or "".
func gradeMinerva(text string) string {
	const head, tail = "final answer is $", "$. I hope"
	end := strings.LastIndex(text, tail)
	if end < 0 {
		return ""
	}
	start := strings.LastIndex(text[:end], head)
	if start < 0 {
		return ""
	}
	a := strings.TrimSpace(text[start+len(head) : end])
	if a == "" || len(a) > 1000 || strings.Contains(a, "\n\n") {
		return ""
	}
	return a
}

// gradeLastIndexFold returns the last index of the lower-case ASCII literal w in s[:end] in any
// letter case, or -1.
func gradeLastIndexFold(s, w string, end int) int {
	for i := min(end, len(s)) - len(w); i >= 0; i-- {
		if s[i]|0x20 != w[0]|0x20 {
			continue
		}
		j := 1
		for j < len(w) && s[i+j]|0x20 == w[j]|0x20 {
			j++
		}
		if j == len(w) {
			return i
		}
	}
	return -1
}

// gradeLastNumber returns the last number of text. With inMath (the math family) a number inside
// a $...$ / \(...\) / \[...\] span returns the span's answer instead (the right-hand side of its
// last "="): "is $(7, 6)$" gives "(7, 6)", "$\frac{3}{4}$" gives "\frac{3}{4}", not "4".
func gradeLastNumber(text string, inMath bool) string {
	// the last number ends at the last digit: search a window before it
	i := strings.LastIndexAny(text, "0123456789")
	if i < 0 {
		return ""
	}
	if inMath {
		if span, ok := gradeMathSpanAround(text, i); ok {
			parts := gradeSplitTop(span, "=")
			if a := strings.TrimSpace(parts[len(parts)-1]); a != "" {
				return a
			}
		}
	}
	if inMath {
		if run, ok := gradeLatexRunAround(text, i); ok {
			return run
		}
	}
	lo := max(0, i-256)
	locs := gradeLastNumberRe.FindAllStringIndex(text[lo:i+1], -1)
	if len(locs) == 0 {
		return ""
	}
	l := locs[len(locs)-1]
	m := strings.ReplaceAll(text[lo+l[0]:lo+l[1]], ",", "")
	// "-$5" (lm-eval's flexible-extract keeps the sign across the currency sign)
	if st := lo + l[0]; m[0] != '-' && st >= 2 && text[st-1] == '$' && text[st-2] == '-' {
		m = "-" + m
	}
	return m
}

// gradeLatexRunAround returns the LaTeX expression written without math delimiters around position
// i ("so x = \frac{1}{2}." gives "\frac{1}{2}"): the run of non-space characters holding i, with
// balanced braces and a backslash command in it, sentence punctuation trimmed.
func gradeLatexRunAround(text string, i int) (string, bool) {
	const maxRun = 200
	lo, hi := i, i+1
	for lo > 0 && i-lo < maxRun && !gradeIsSpace(text[lo-1]) {
		lo--
	}
	for hi < len(text) && hi-i < maxRun && !gradeIsSpace(text[hi]) {
		hi++
	}
	run := strings.TrimRight(text[lo:hi], ".,;:!?")
	if k := strings.LastIndexByte(run, '='); k >= 0 {
		run = run[k+1:]
	}
	run = strings.TrimLeft(run, ":,")
	for k := 0; k < 4 && strings.Count(run, "(") > strings.Count(run, ")") && strings.HasPrefix(run, "("); k++ {
		run = run[1:]
	}
	for k := 0; k < 4 && strings.Count(run, ")") > strings.Count(run, "(") && strings.HasSuffix(run, ")"); k++ {
		run = run[:len(run)-1]
	}
	if !strings.Contains(run, `\`) || strings.Count(run, "{") != strings.Count(run, "}") || strings.ContainsAny(run, "$") {
		return "", false
	}
	return run, run != ""
}

func gradeIsSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// gradeMathSpanAround returns the content of the inline math span containing position i, if any
// (spans longer than 300 bytes are ignored).
func gradeMathSpanAround(text string, i int) (string, bool) {
	const maxSpan = 300
	lo := max(0, i-maxSpan)
	before := text[lo:i]
	after := text[i:min(len(text), i+maxSpan)]
	// \( ... \) and \[ ... \]
	for _, d := range [][2]string{{`\(`, `\)`}, {`\[`, `\]`}} {
		if o := strings.LastIndex(before, d[0]); o >= 0 && !strings.Contains(before[o:], d[1]) {
			if c := strings.Index(after, d[1]); c >= 0 {
				return strings.TrimSpace(before[o+2:] + after[:c]), true
			}
		}
	}
	// $ ... $: inside when the number of unescaped $ before i is odd
	count := 0
	for k := 0; k < i; k++ {
		if text[k] == '$' && (k == 0 || text[k-1] != '\\') {
			count++
		}
	}
	if count%2 == 0 {
		return "", false
	}
	o := strings.LastIndexByte(before, '$')
	c := strings.IndexByte(after, '$')
	if o < 0 || c < 0 {
		return "", false
	}
	span := strings.Trim(strings.TrimSpace(before[o+1:]+after[:c]), "$ ")
	return span, span != ""
}

// gradeAfterLast returns the cleaned answer following the last phrase that starts with literal
// and matches the anchored re, or "". At most three matching phrases (from the end) are tried, and
// at most 10000 occurrences of the literal are looked at, so the work stays linear.
func gradeAfterLast(text, literal string, re *regexp.Regexp, numeric bool) string {
	tried := 0
	end := len(text)
	for n := 0; n < 10000 && tried < 3; n++ {
		i := gradeLastIndexFold(text, literal, end)
		if i < 0 {
			return ""
		}
		end = i + len(literal) - 1
		window := text[i:min(len(text), i+128)]
		loc := re.FindStringIndex(window)
		if loc == nil {
			continue
		}
		tried++
		if a := gradeSnippet(text[i+loc[1]:], numeric); a != "" {
			return a
		}
	}
	return ""
}

var gradeNumCleaner = strings.NewReplacer("$", "", " ", "")

var gradeSentenceEnd = regexp.MustCompile(`\.(\s|$)|\s+I hope|\n`)

// gradeSnippet cuts the answer out of the text that follows an answer phrase.
func gradeSnippet(rest string, numeric bool) string {
	rest = strings.TrimLeft(rest, " \t")
	rest = strings.TrimLeft(rest, "\n")
	rest = strings.TrimLeft(rest, " \t*_")
	if len(rest) > 4096 {
		rest = rest[:4096]
	}
	var s string
	switch {
	case strings.HasPrefix(rest, "$$"):
		s = gradeUntil(rest[2:], "$$")
	case strings.HasPrefix(rest, "$"):
		s = gradeUntilDollar(rest[1:])
	case strings.HasPrefix(rest, `\(`):
		s = gradeUntil(rest[2:], `\)`)
	case strings.HasPrefix(rest, `\[`):
		s = gradeUntil(rest[2:], `\]`)
	default:
		s = rest
		if loc := gradeSentenceEnd.FindStringIndex(s); loc != nil {
			s = s[:loc[0]]
		}
	}
	s = strings.TrimSpace(strings.Trim(strings.TrimSpace(s), "*_"))
	if numeric {
		m := gradeNumberRe.FindString(s)
		if m == "" {
			return ""
		}
		return strings.ReplaceAll(gradeNumCleaner.Replace(m), ",", "")
	}
	// "The largest $n$ is 34": keep what follows the last " is "
	if i := strings.LastIndex(s, " is "); i >= 0 && strings.Contains(s[:i], "$") {
		s = strings.TrimSpace(s[i+4:])
	}
	if strings.Count(s, "$") >= 2 {
		// a sentence with inline math: the last math span
		parts := strings.Split(s, "$")
		for k := len(parts) - 2; k >= 1; k -= 2 {
			if t := strings.TrimSpace(parts[k]); t != "" {
				s = t
				break
			}
		}
	}
	return strings.TrimSpace(s)
}

func gradeUntil(s, closer string) string {
	if i := strings.Index(s, closer); i >= 0 {
		return s[:i]
	}
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// gradeUntilDollar is gradeUntil(s, "$") that steps over an escaped \$ ("$\$1,234$").
func gradeUntilDollar(s string) string {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '$':
			return s[:i]
		case '\n':
			return s[:i]
		}
	}
	return s
}
