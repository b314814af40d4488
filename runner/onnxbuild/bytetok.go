package onnxbuild

import "fmt"

// ByteTokenizerPieces returns a minimal Llama 2 style vocabulary for seeded test models that come
// without a tokenizer: <unk>, <s>, </s>, the 256 byte tokens <0x00>..<0xFF>, "▁" and the printable
// ASCII characters (354 pieces, no merges). Every text encodes (ASCII per character, anything else
// through byte fallback) and decodes back exactly.
func ByteTokenizerPieces() []Llama2CToken {
	toks := []Llama2CToken{{Piece: "<unk>"}, {Piece: "<s>"}, {Piece: "</s>"}}
	for b := range 256 {
		toks = append(toks, Llama2CToken{Piece: fmt.Sprintf("<0x%02X>", b)})
	}
	toks = append(toks, Llama2CToken{Piece: "▁", Score: -1})
	for c := byte(0x21); c < 0x7f; c++ {
		toks = append(toks, Llama2CToken{Piece: string(c), Score: -float32(c)})
	}
	return toks
}

// ByteTokenizerJSON returns the tokenizer.json of ByteTokenizerPieces (see Llama2CTokenizerJSON for
// the layout).
func ByteTokenizerJSON() ([]byte, error) { return sentencePieceTokenizerJSON(ByteTokenizerPieces()) }
