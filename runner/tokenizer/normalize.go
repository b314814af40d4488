package tokenizer

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// normalizer transforms a text segment before pre-tokenization.
type normalizer interface {
	normalize(s string) string
}

type unicodeNorm struct{ form norm.Form }

func (n unicodeNorm) normalize(s string) string { return n.form.String(s) }

type lowercase struct{}

// normalize lowercases per character as Rust's char::to_lowercase (Unicode full mappings: U+0130
// becomes "i\u0307"; no final-sigma rule, unlike str::to_lowercase).
func (lowercase) normalize(s string) string {
	return strings.Map(unicode.ToLower, strings.ReplaceAll(s, "\u0130", "i\u0307"))
}

// prepend adds its string in front of a non-empty segment.
type prepend struct{ s string }

func (p prepend) normalize(s string) string {
	if s == "" {
		return s
	}
	return p.s + s
}

// replace substitutes every match of a pattern.
type replace struct {
	pat     pattern
	content string
}

func (r replace) normalize(s string) string {
	if lit, ok := r.pat.(literalPattern); ok {
		return strings.ReplaceAll(s, string(lit), r.content)
	}
	var b strings.Builder
	prev := 0
	for _, m := range r.pat.findAll(s) {
		b.WriteString(s[prev:m[0]])
		b.WriteString(r.content)
		prev = m[1]
	}
	b.WriteString(s[prev:])
	return b.String()
}

// strip removes leading and/or trailing whitespace.
type strip struct{ left, right bool }

func (st strip) normalize(s string) string {
	if st.left {
		s = strings.TrimLeftFunc(s, isRustWhitespace)
	}
	if st.right {
		s = strings.TrimRightFunc(s, isRustWhitespace)
	}
	return s
}

type normSequence []normalizer

func (q normSequence) normalize(s string) string {
	for _, n := range q {
		s = n.normalize(s)
	}
	return s
}

// isRustWhitespace is Rust's char::is_whitespace (the Unicode White_Space property).
func isRustWhitespace(r rune) bool {
	switch {
	case r >= 0x09 && r <= 0x0D, r == 0x20, r == 0x85, r == 0xA0, r == 0x1680,
		r >= 0x2000 && r <= 0x200A, r == 0x2028, r == 0x2029, r == 0x202F, r == 0x205F, r == 0x3000:
		return true
	}
	return false
}
