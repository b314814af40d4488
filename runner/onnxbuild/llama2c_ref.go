package onnxbuild

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Llama2CEncode is llama2.c's encoder (run.c encode with bos=1, eos=0), as a reference for
// tokenizer tests: BOS (id 1), then the text with one space prepended (when non-empty) split into one
// token per UTF-8 character (or its bytes, ids 3+byte), then repeatedly the adjacent pair whose merged
// piece has the highest score is merged (leftmost on ties) until no pair merges.
func Llama2CEncode(toks []Llama2CToken, text string) []int {
	ids := map[string]int{}
	for i, t := range toks {
		ids[strings.ReplaceAll(t.Piece, "▁", " ")] = i
	}
	out := []int{1}
	if text == "" {
		return out
	}
	text = " " + text
	for i := 0; i < len(text); {
		_, n := utf8.DecodeRuneInString(text[i:]) // an invalid byte stands alone (n == 1)
		c := text[i : i+n]
		i += n
		if id, ok := ids[c]; ok {
			out = append(out, id)
			continue
		}
		for _, b := range []byte(c) {
			out = append(out, int(b)+3)
		}
	}
	piece := func(id int) string { return strings.ReplaceAll(toks[id].Piece, "▁", " ") }
	for {
		best, bestID, bestIdx := float32(-1e10), -1, -1
		for i := 1; i+1 < len(out); i++ {
			if id, ok := ids[piece(out[i])+piece(out[i+1])]; ok && toks[id].Score > best {
				best, bestID, bestIdx = toks[id].Score, id, i
			}
		}
		if bestIdx < 0 {
			return out
		}
		out[bestIdx] = bestID
		out = append(out[:bestIdx+1], out[bestIdx+2:]...)
	}
}

// Llama2CDecodePiece returns what llama2.c's run.c prints for token after prev: the piece with the
// leading space stripped when prev is BOS (1), <0xXX> as the raw byte, and nothing for a single
// unprintable byte (safe_printf).
func Llama2CDecodePiece(toks []Llama2CToken, prev, token int) []byte {
	p := strings.ReplaceAll(toks[token].Piece, "▁", " ")
	if prev == 1 && strings.HasPrefix(p, " ") {
		p = p[1:]
	}
	if len(p) == 6 && strings.HasPrefix(p, "<0x") && p[5] == '>' {
		if v, err := strconv.ParseUint(p[3:5], 16, 8); err == nil {
			p = string([]byte{byte(v)})
		}
	}
	if len(p) == 1 {
		c := p[0]
		printable := c >= 0x20 && c < 0x7f
		space := c == ' ' || (c >= '\t' && c <= '\r')
		if !printable && !space {
			return nil
		}
	}
	return []byte(p)
}
