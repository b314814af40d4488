package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// Hand-written matchers for the split regexes of common tokenizers. Each is equivalent to the
// backtracking (leftmost-first) regex it replaces; TestFastMatchers and FuzzFastMatchers check them
// against regexp2 on every input. They run an order of magnitude faster than the regex engine.
const (
	// cl100k-style pattern of Qwen2/2.5/3 (one digit per token).
	patQwen = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	// Llama 3 / cl100k (up to three digits per token).
	patLlama3 = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	// DeepSeek V3/R1's three splits.
	patDigits3  = `\p{N}{1,3}`
	patCJK      = "[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+"
	patDeepSeek = "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"
)

func fastMatcher(src string) func(s string, emit func(start, end int)) {
	switch src {
	case patQwen:
		return func(s string, emit func(int, int)) { matchCL100k(s, 1, emit) }
	case patLlama3:
		return func(s string, emit func(int, int)) { matchCL100k(s, 3, emit) }
	case gpt2Pattern:
		return matchGPT2
	case patDigits3:
		return func(s string, emit func(int, int)) { matchRuns(s, unicode.IsNumber, 3, emit) }
	case patCJK:
		return func(s string, emit func(int, int)) { matchRuns(s, isDeepSeekCJK, 0, emit) }
	case patDeepSeek:
		return matchDeepSeek
	}
	return nil
}

// rune classes
const (
	clsOther = iota
	clsLetter
	clsNumber
	clsSpace   // whitespace other than \r \n
	clsNewline // \r or \n
)

var asciiClass [128]uint8

func init() {
	for c := 0; c < 128; c++ {
		r := rune(c)
		switch {
		case r == '\r' || r == '\n':
			asciiClass[c] = clsNewline
		case unicode.IsSpace(r):
			asciiClass[c] = clsSpace
		case unicode.IsLetter(r):
			asciiClass[c] = clsLetter
		case unicode.IsNumber(r):
			asciiClass[c] = clsNumber
		default:
			asciiClass[c] = clsOther
		}
	}
}

func classOf(r rune) uint8 {
	if r < 128 {
		return asciiClass[r]
	}
	switch {
	case unicode.IsLetter(r):
		return clsLetter
	case unicode.IsNumber(r):
		return clsNumber
	case unicode.IsSpace(r):
		return clsSpace
	}
	return clsOther
}

// at decodes the rune at byte i (utf8.RuneError, 0 at the end).
func at(s string, i int) (rune, int) {
	if i >= len(s) {
		return utf8.RuneError, 0
	}
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(s[i:])
}

func isWS(c uint8) bool { return c == clsSpace || c == clsNewline }

// wsRun returns the end of the whitespace run starting at i and the end of its last newline (-1: none).
func wsRun(s string, i int) (end, lastNL int) {
	lastNL = -1
	for i < len(s) {
		r, n := at(s, i)
		c := classOf(r)
		if !isWS(c) {
			break
		}
		i += n
		if c == clsNewline {
			lastNL = i
		}
	}
	return i, lastNL
}

// matchWhitespaceTail handles `\s*[\r\n]+|\s+(?!\S)|\s+` at i (s[i] is whitespace); returns the end.
func matchWhitespaceTail(s string, i int) int {
	end, lastNL := wsRun(s, i)
	if lastNL > 0 {
		return lastNL
	}
	if end == len(s) {
		return end
	}
	// \s+(?!\S): give back the last whitespace character when followed by non-space
	_, n := utf8.DecodeLastRuneInString(s[i:end])
	if end-n > i {
		return end - n
	}
	return end // \s+ : a single whitespace before non-space
}

// contraction matches the contractions alternative (case-insensitive when fold) at i, where s[i] is an apostrophe.
func contraction(s string, i int, fold bool) int {
	lower := func(c byte) byte {
		if fold && c >= 'A' && c <= 'Z' {
			return c + 32
		}
		return c
	}
	if i+1 >= len(s) {
		return -1
	}
	switch lower(s[i+1]) {
	case 's', 't', 'm', 'd':
		return i + 2
	case 'r', 'v':
		if i+2 < len(s) && lower(s[i+2]) == 'e' {
			return i + 3
		}
	case 'l':
		if i+2 < len(s) && lower(s[i+2]) == 'l' {
			return i + 3
		}
	}
	if fold && i+1 < len(s) {
		// (?i)s also matches U+017F LATIN SMALL LETTER LONG S
		if r, n := at(s, i+1); r == 'ſ' {
			return i + 1 + n
		}
	}
	return -1
}

// runOf returns the end of the run of runes with class cls starting at i.
func runOf(s string, i int, cls uint8) int {
	for i < len(s) {
		r, n := at(s, i)
		if classOf(r) != cls {
			break
		}
		i += n
	}
	return i
}

func matchCL100k(s string, maxDigits int, emit func(int, int)) {
	for i := 0; i < len(s); {
		r, n := at(s, i)
		c := classOf(r)
		end := -1
		if r == '\'' {
			end = contraction(s, i, true)
		}
		if end < 0 {
			switch c {
			case clsLetter:
				end = runOf(s, i+n, clsLetter)
			case clsNumber:
				end = i + n
				for k := 1; k < maxDigits; k++ {
					r2, n2 := at(s, end)
					if n2 == 0 || classOf(r2) != clsNumber {
						break
					}
					end += n2
				}
			case clsSpace, clsNewline:
				if c == clsSpace { // [^\r\n\p{L}\p{N}]?\p{L}+ with a whitespace prefix
					if r2, n2 := at(s, i+n); n2 > 0 && classOf(r2) == clsLetter {
						end = runOf(s, i+n+n2, clsLetter)
						break
					}
				}
				if r == ' ' { //  ?[^\s\p{L}\p{N}]+[\r\n]*
					if r2, n2 := at(s, i+n); n2 > 0 && classOf(r2) == clsOther {
						end = runOf(s, runOf(s, i+n+n2, clsOther), clsNewline)
						break
					}
				}
				end = matchWhitespaceTail(s, i)
			default: // other
				if r2, n2 := at(s, i+n); n2 > 0 && classOf(r2) == clsLetter {
					end = runOf(s, i+n+n2, clsLetter)
				} else {
					end = runOf(s, runOf(s, i+n, clsOther), clsNewline)
				}
			}
		}
		emit(i, end)
		i = end
	}
}

func matchGPT2(s string, emit func(int, int)) {
	for i := 0; i < len(s); {
		r, n := at(s, i)
		c := classOf(r)
		end := -1
		if r == '\'' {
			end = contraction(s, i, false)
		}
		if end < 0 {
			start := i
			if r == ' ' {
				if r2, n2 := at(s, i+n); n2 > 0 && classOf(r2) != clsSpace && classOf(r2) != clsNewline {
					start, c = i+n, classOf(r2)
				}
			}
			switch c {
			case clsLetter, clsNumber, clsOther:
				end = runOf(s, start, c)
			default:
				end = matchGPT2Whitespace(s, i)
			}
		}
		emit(i, end)
		i = end
	}
}

// matchGPT2Whitespace is `\s+(?!\S)|\s+` at i.
func matchGPT2Whitespace(s string, i int) int {
	end, _ := wsRun(s, i)
	if end == len(s) {
		return end
	}
	_, n := utf8.DecodeLastRuneInString(s[i:end])
	if end-n > i {
		return end - n
	}
	return end
}

// matchRuns emits maximal runs of runes satisfying f (at most max runes each when max > 0).
func matchRuns(s string, f func(rune) bool, max int, emit func(int, int)) {
	for i := 0; i < len(s); {
		r, n := at(s, i)
		if !f(r) {
			i += n
			continue
		}
		end, k := i+n, 1
		for end < len(s) && (max == 0 || k < max) {
			r2, n2 := at(s, end)
			if !f(r2) {
				break
			}
			end += n2
			k++
		}
		emit(i, end)
		i = end
	}
}

func isDeepSeekCJK(r rune) bool {
	return (r >= 0x4e00 && r <= 0x9fa5) || (r >= 0x3040 && r <= 0x309f) || (r >= 0x30a0 && r <= 0x30ff)
}

func isASCIIPunct(r rune) bool {
	return (r >= '!' && r <= '/') || (r >= ':' && r <= '@') || (r >= '[' && r <= '`') || (r >= '{' && r <= '~')
}

func isASCIILetter(r rune) bool { return (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z') }

func isLM(r rune) bool  { return unicode.IsLetter(r) || unicode.IsMark(r) }
func isPS(r rune) bool  { return unicode.IsPunct(r) || unicode.IsSymbol(r) }
func isNL(r rune) bool  { return r == '\r' || r == '\n' }
func isWSr(r rune) bool { return unicode.IsSpace(r) }

func runWhile(s string, i int, f func(rune) bool) int {
	for i < len(s) {
		r, n := at(s, i)
		if !f(r) {
			break
		}
		i += n
	}
	return i
}

// matchDeepSeek is patDeepSeek.
func matchDeepSeek(s string, emit func(int, int)) {
	for i := 0; i < len(s); {
		r, n := at(s, i)
		r2, n2 := at(s, i+n)
		end := -1
		switch {
		case isASCIIPunct(r) && n2 > 0 && isASCIILetter(r2):
			end = runWhile(s, i+n, isASCIILetter)
		case !isNL(r) && !unicode.IsLetter(r) && !isPS(r) && n2 > 0 && isLM(r2):
			end = runWhile(s, i+n, isLM)
		case isLM(r):
			end = runWhile(s, i+n, isLM)
		case r == ' ' && n2 > 0 && isPS(r2):
			end = runWhile(s, runWhile(s, i+n, isPS), isNL)
		case isPS(r):
			end = runWhile(s, runWhile(s, i, isPS), isNL)
		case isWSr(r):
			end = matchWhitespaceTail(s, i)
		}
		if end < 0 {
			i += n
			continue
		}
		emit(i, end)
		i = end
	}
}
