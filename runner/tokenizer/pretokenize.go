package tokenizer

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
)

// piece is a pre-token. first marks the piece that starts at offset 0 of the original text (what
// Metaspace's prepend_scheme "first" looks at).
type piece struct {
	s     string
	first bool
}

// preTokenizer splits segments into pre-tokens (words) for the model.
type preTokenizer interface {
	preTokenize(in []piece) []piece
}

// pattern finds non-overlapping matches as byte offsets [start, end).
type pattern interface {
	findAll(s string) [][2]int
	each(s string, emit func(start, end int))
}

func (p literalPattern) each(s string, emit func(int, int)) {
	for _, m := range p.findAll(s) {
		emit(m[0], m[1])
	}
}

func (p *regexPattern) each(s string, emit func(int, int)) {
	if p.fast != nil {
		p.fast(s, emit)
		return
	}
	for _, m := range p.slowFindAll(s) {
		emit(m[0], m[1])
	}
}

func (f charPattern) each(s string, emit func(int, int)) {
	for i, r := range s {
		if f(r) {
			emit(i, i+utf8.RuneLen(r))
		}
	}
}

type literalPattern string

func (p literalPattern) findAll(s string) [][2]int {
	if p == "" {
		return nil
	}
	var out [][2]int
	for off := 0; ; {
		i := strings.Index(s[off:], string(p))
		if i < 0 {
			return out
		}
		out = append(out, [2]int{off + i, off + i + len(p)})
		off += i + len(p)
	}
}

// regexPattern is a backtracking regex (lookaround, \p{..}) with Hugging Face (fancy-regex) semantics.
type regexPattern struct {
	src string
	re  *regexp2.Regexp
	// fast is a hand-written matcher equivalent to re for well-known patterns (nil: use re).
	fast func(s string, emit func(start, end int))
}

func compileRegex(src string) (*regexPattern, error) {
	re, err := regexp2.Compile(src, regexp2.None)
	if err != nil {
		return nil, fmt.Errorf("regex %q: %w", src, err)
	}
	return &regexPattern{src: src, re: re, fast: fastMatcher(src)}, nil
}

func (p *regexPattern) findAll(s string) [][2]int {
	var out [][2]int
	if p.fast != nil {
		p.fast(s, func(a, b int) { out = append(out, [2]int{a, b}) })
		return out
	}
	return p.slowFindAll(s)
}

// slowFindAll runs the regexp2 engine, converting its rune offsets to byte offsets.
func (p *regexPattern) slowFindAll(s string) [][2]int {
	var out [][2]int
	runes := []rune(s)
	m, err := p.re.FindRunesMatch(runes)
	// byte offset of rune index ri, computed incrementally (matches come in increasing order)
	ri, bi := 0, 0
	adv := func(to int) int {
		for ri < to {
			bi += utf8.RuneLen(runes[ri])
			ri++
		}
		return bi
	}
	for err == nil && m != nil {
		a := adv(m.Index)
		b := adv(m.Index + m.Length)
		out = append(out, [2]int{a, b})
		m, err = p.re.FindNextMatch(m)
	}
	return out
}

// charPattern matches every single character for which f is true.
type charPattern func(rune) bool

func (f charPattern) findAll(s string) [][2]int {
	var out [][2]int
	for i, r := range s {
		if f(r) {
			out = append(out, [2]int{i, i + utf8.RuneLen(r)})
		}
	}
	return out
}

type splitBehavior int

const (
	behaviorRemoved splitBehavior = iota
	behaviorIsolated
	behaviorMergedWithPrevious
	behaviorMergedWithNext
	behaviorContiguous
)

func parseBehavior(s string) (splitBehavior, error) {
	switch s {
	case "Removed":
		return behaviorRemoved, nil
	case "Isolated":
		return behaviorIsolated, nil
	case "MergedWithPrevious":
		return behaviorMergedWithPrevious, nil
	case "MergedWithNext":
		return behaviorMergedWithNext, nil
	case "Contiguous":
		return behaviorContiguous, nil
	}
	return 0, fmt.Errorf("unsupported split behavior %q", s)
}

type span struct {
	a, b  int
	match bool
}

// splitString splits s by the matches of pat as NormalizedString::split does, appending to out.
func splitString(out []piece, p piece, pat pattern, behavior splitBehavior, invert bool) []piece {
	s := p.s
	if s == "" {
		return out
	}
	if behavior == behaviorIsolated {
		// every match and every gap between matches is a piece (invert changes nothing here)
		prev := 0
		pat.each(s, func(a, b int) {
			if a > prev {
				out = append(out, piece{s: s[prev:a], first: p.first && prev == 0})
			}
			if b > a {
				out = append(out, piece{s: s[a:b], first: p.first && a == 0})
			}
			prev = b
		})
		if prev < len(s) {
			out = append(out, piece{s: s[prev:], first: p.first && prev == 0})
		}
		return out
	}
	ms := pat.findAll(s)
	spans := make([]span, 0, 2*len(ms)+1)
	prev := 0
	for _, m := range ms {
		if prev != m[0] {
			spans = append(spans, span{prev, m[0], false})
		}
		spans = append(spans, span{m[0], m[1], true})
		prev = m[1]
	}
	if prev != len(s) {
		spans = append(spans, span{prev, len(s), false})
	}
	if invert {
		for i := range spans {
			spans[i].match = !spans[i].match
		}
	}
	// remove marks spans to drop (only for Removed).
	var res []span
	switch behavior {
	case behaviorIsolated:
		res = spans
		for i := range res {
			res[i].match = false
		}
	case behaviorRemoved:
		res = spans
	case behaviorContiguous:
		prevMatch := false
		for _, sp := range spans {
			if len(res) > 0 && sp.match == prevMatch {
				res[len(res)-1].b = sp.b
			} else {
				res = append(res, span{sp.a, sp.b, false})
			}
			prevMatch = sp.match
		}
	case behaviorMergedWithPrevious:
		prevMatch := false
		for _, sp := range spans {
			if sp.match && !prevMatch && len(res) > 0 {
				res[len(res)-1].b = sp.b
			} else {
				res = append(res, span{sp.a, sp.b, false})
			}
			prevMatch = sp.match
		}
	case behaviorMergedWithNext:
		prevMatch := false
		for i := len(spans) - 1; i >= 0; i-- {
			sp := spans[i]
			if sp.match && !prevMatch && len(res) > 0 {
				res[len(res)-1].a = sp.a
			} else {
				res = append(res, span{sp.a, sp.b, false})
			}
			prevMatch = sp.match
		}
		for i, j := 0, len(res)-1; i < j; i, j = i+1, j-1 {
			res[i], res[j] = res[j], res[i]
		}
	}
	for _, sp := range res {
		if sp.match || sp.a == sp.b {
			continue
		}
		out = append(out, piece{s: s[sp.a:sp.b], first: p.first && sp.a == 0})
	}
	return out
}

// splitPre is the Split pre-tokenizer.
type splitPre struct {
	pat      pattern
	behavior splitBehavior
	invert   bool
}

func (sp splitPre) preTokenize(in []piece) []piece {
	out := make([]piece, 0, len(in)*2)
	for _, p := range in {
		out = splitString(out, p, sp.pat, sp.behavior, sp.invert)
	}
	return out
}

// digitsPre is the Digits pre-tokenizer.
type digitsPre struct{ individual bool }

func (d digitsPre) preTokenize(in []piece) []piece {
	b := behaviorContiguous
	if d.individual {
		b = behaviorIsolated
	}
	out := make([]piece, 0, len(in))
	for _, p := range in {
		out = splitString(out, p, charPattern(unicode.IsNumber), b, false)
	}
	return out
}

// gpt2Pattern is the regex of the ByteLevel pre-tokenizer's use_regex.
const gpt2Pattern = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`

// byteLevelPre is the ByteLevel pre-tokenizer: optional prefix space, optional GPT-2 split, then the
// byte-to-unicode mapping.
type byteLevelPre struct {
	addPrefixSpace bool
	re             pattern // nil unless use_regex
}

func (bl byteLevelPre) preTokenize(in []piece) []piece {
	out := make([]piece, 0, len(in))
	for _, p := range in {
		if bl.addPrefixSpace && p.s != "" && !strings.HasPrefix(p.s, " ") {
			p.s = " " + p.s
		}
		if bl.re != nil {
			out = splitString(out, p, bl.re, behaviorIsolated, false)
		} else if p.s != "" {
			out = append(out, p)
		}
	}
	for i := range out {
		out[i].s = byteLevelEncode(out[i].s)
	}
	return out
}

type prependScheme int

const (
	prependAlways prependScheme = iota
	prependFirst
	prependNever
)

// metaspacePre replaces spaces with the replacement character, optionally prepends it and splits on it.
type metaspacePre struct {
	replacement rune
	scheme      prependScheme
	split       bool
}

func (m metaspacePre) preTokenize(in []piece) []piece {
	rep := string(m.replacement)
	out := make([]piece, 0, len(in))
	for _, p := range in {
		s := strings.ReplaceAll(p.s, " ", rep)
		switch m.scheme { // prepending to an empty string is a no-op in Hugging Face
		case prependAlways:
			if s != "" && !strings.HasPrefix(s, rep) {
				s = rep + s
			}
		case prependFirst:
			if s != "" && !strings.HasPrefix(s, rep) && p.first {
				s = rep + s
			}
		}
		np := piece{s: s, first: p.first}
		if m.split {
			r := m.replacement
			out = splitString(out, np, charPattern(func(c rune) bool { return c == r }), behaviorMergedWithNext, false)
		} else if s != "" {
			out = append(out, np)
		}
	}
	return out
}

type preSequence []preTokenizer

func (q preSequence) preTokenize(in []piece) []piece {
	for _, p := range q {
		in = p.preTokenize(in)
	}
	return in
}

// byteEncoder maps each byte to its printable rune (GPT-2's bytes_to_unicode); byteDecoder inverts it.
var (
	byteEncoder [256]string
	byteDecoder = map[rune]byte{}
)

func init() {
	n := 0
	for b := 0; b < 256; b++ {
		var r rune
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			r = rune(b)
		} else {
			r = rune(256 + n)
			n++
		}
		byteEncoder[b] = string(r)
		byteDecoder[r] = byte(b)
	}
}

func byteLevelEncode(s string) string {
	identity := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < '!' || c > '~' {
			identity = false
			break
		}
	}
	if identity { // printable ASCII maps to itself
		return s
	}
	var b strings.Builder
	b.Grow(len(s) * 2)
	for i := 0; i < len(s); i++ {
		b.WriteString(byteEncoder[s[i]])
	}
	return b.String()
}
