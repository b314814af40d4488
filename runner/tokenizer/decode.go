package tokenizer

import (
	"strings"
	"unicode/utf8"
)

// postProcessor adds special tokens after encoding (only when addSpecial is true for the supported ones).
type postProcessor interface {
	process(ids []int, addSpecial bool) []int
}

// templateProcessing is TemplateProcessing's "single" template.
type templateProcessing struct {
	items []templateItem
}

type templateItem struct {
	sequence bool  // the input sequence (A)
	ids      []int // a special token's ids
}

func (tp templateProcessing) process(ids []int, addSpecial bool) []int {
	if !addSpecial {
		return ids
	}
	n := len(ids)
	for _, it := range tp.items {
		n += len(it.ids)
	}
	out := make([]int, 0, n)
	for _, it := range tp.items {
		if it.sequence {
			out = append(out, ids...)
		} else {
			out = append(out, it.ids...)
		}
	}
	return out
}

// noopPost is a post-processor that adds nothing to a single sequence's ids (ByteLevel).
type noopPost struct{}

func (noopPost) process(ids []int, _ bool) []int { return ids }

// wrapPost puts cls before and sep after (BertProcessing, RobertaProcessing).
type wrapPost struct{ cls, sep int }

func (w wrapPost) process(ids []int, addSpecial bool) []int {
	if !addSpecial {
		return ids
	}
	out := make([]int, 0, len(ids)+2)
	out = append(out, w.cls)
	out = append(out, ids...)
	return append(out, w.sep)
}

type postSequence []postProcessor

func (q postSequence) process(ids []int, addSpecial bool) []int {
	for _, p := range q {
		ids = p.process(ids, addSpecial)
	}
	return ids
}

// decoder turns tokens back into text pieces (Hugging Face's decode_chain); the pieces are joined.
type decoder interface {
	decodeChain(tokens []string) []string
}

type byteLevelDec struct{}

func (byteLevelDec) decodeChain(tokens []string) []string {
	var buf []byte
	for _, t := range tokens {
		start := len(buf)
		ok := true
		for _, r := range t {
			b, in := byteDecoder[r]
			if !in {
				ok = false
				break
			}
			buf = append(buf, b)
		}
		if !ok {
			buf = append(buf[:start], t...)
		}
	}
	return []string{lossyUTF8(buf)}
}

type metaspaceDec struct {
	replacement rune
	scheme      prependScheme
}

func (m metaspaceDec) decodeChain(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		var b strings.Builder
		for _, r := range t {
			if r == m.replacement {
				if i == 0 && m.scheme != prependNever {
					continue
				}
				b.WriteByte(' ')
			} else {
				b.WriteRune(r)
			}
		}
		out[i] = b.String()
	}
	return out
}

type byteFallbackDec struct{}

func (byteFallbackDec) decodeChain(tokens []string) []string {
	out := make([]string, 0, len(tokens))
	var pending []byte
	flush := func() {
		if len(pending) == 0 {
			return
		}
		if utf8.Valid(pending) {
			out = append(out, string(pending))
		} else {
			for range pending {
				out = append(out, "\uFFFD")
			}
		}
		pending = pending[:0]
	}
	for _, t := range tokens {
		if b, ok := parseByteToken(t); ok {
			pending = append(pending, b)
			continue
		}
		flush()
		out = append(out, t)
	}
	flush()
	return out
}

// parseByteToken parses "<0xXX>".
func parseByteToken(t string) (byte, bool) {
	if len(t) != 6 || !strings.HasPrefix(t, "<0x") || t[5] != '>' {
		return 0, false
	}
	var v byte
	for _, c := range []byte(t[3:5]) {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		v = v*16 + d
	}
	return v, true
}

type fuseDec struct{}

func (fuseDec) decodeChain(tokens []string) []string { return []string{strings.Join(tokens, "")} }

type stripDec struct {
	content     rune
	start, stop int
}

func (s stripDec) decodeChain(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		rs := []rune(t)
		startCut := 0
		for k := 0; k < s.start && k < len(rs); k++ {
			if rs[k] != s.content {
				break
			}
			startCut = k + 1
		}
		stopCut := len(rs)
		for k := 0; k < s.stop; k++ {
			idx := len(rs) - k - 1
			if idx < 0 || rs[idx] != s.content {
				break
			}
			stopCut = idx
		}
		if stopCut < startCut {
			stopCut = startCut
		}
		out[i] = string(rs[startCut:stopCut])
	}
	return out
}

type replaceDec struct{ r replace }

func (d replaceDec) decodeChain(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		out[i] = d.r.normalize(t)
	}
	return out
}

type decSequence []decoder

func (q decSequence) decodeChain(tokens []string) []string {
	for _, d := range q {
		tokens = d.decodeChain(tokens)
	}
	return tokens
}
