package tokenizer

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// tinyByteLevel builds a small GPT-2 style tokenizer (all 256 byte tokens, a few merges, one special
// token) so that the fuzz test runs without the real tokenizer files.
func tinyByteLevel(t testing.TB) *Tokenizer {
	vocab := map[string]int{}
	for b := 0; b < 256; b++ {
		vocab[byteEncoder[b]] = b
	}
	merges := [][2]string{{"Ġ", "t"}, {"h", "e"}, {"Ġt", "he"}, {"1", "2"}, {"Ġ", "Ġ"}, {"ä", "¸"}}
	for _, m := range merges {
		vocab[m[0]+m[1]] = len(vocab)
	}
	spec := map[string]any{
		"added_tokens": []any{map[string]any{"id": len(vocab), "content": "<|x|>", "special": true,
			"single_word": false, "lstrip": false, "rstrip": false, "normalized": false}},
		"normalizer":     nil,
		"pre_tokenizer":  map[string]any{"type": "ByteLevel", "add_prefix_space": false, "use_regex": true, "trim_offsets": true},
		"post_processor": map[string]any{"type": "ByteLevel", "add_prefix_space": false, "use_regex": true, "trim_offsets": true},
		"decoder":        map[string]any{"type": "ByteLevel"},
		"model":          map[string]any{"type": "BPE", "vocab": vocab, "merges": merges},
	}
	data, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := FromJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// FuzzRoundTrip: decode(encode(s)) == s (after the tokenizer's normalizer, and with invalid UTF-8
// replaced) for byte-level tokenizers; nothing panics for any tokenizer. Real tokenizers are used when
// the files are present (make testdata). Run: go test ./runner/tokenizer -run '^$' -fuzz FuzzRoundTrip
func FuzzRoundTrip(f *testing.F) {
	for _, s := range []string{"", "hello world", " the 12345 ", "<|im_start|>user\nhi<|im_end|>", "日本語 😀 e\u0301",
		"\xff\xfe bad", "  \n\n\t x", "<s>[INST] a [/INST]", "'S 'll ſ", "<|x|>", "a\u200db"} {
		f.Add(s)
	}
	type named struct {
		name      string
		tk        *Tokenizer
		byteLevel bool
		nfc       bool
	}
	toks := []named{{"tiny", tinyByteLevel(f), true, false}}
	for _, n := range tokenizerNames {
		if tk, err := tryLoadNamed(f, n); err == nil {
			toks = append(toks, named{n, tk, n != "llama2", n == "qwen3"})
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, nt := range toks {
			ids := nt.tk.Encode(s, true)
			plain := nt.tk.Encode(s, false)
			got := nt.tk.Decode(plain, false)
			_ = nt.tk.Decode(ids, true)
			if !utf8.ValidString(got) {
				t.Fatalf("%s: decode gave invalid UTF-8 for %q", nt.name, s)
			}
			if !nt.byteLevel {
				continue
			}
			want := s
			if !utf8.ValidString(want) {
				want = toValidUTF8(want)
			}
			if nt.nfc {
				// the normalizer applies to the text between special tokens
				want = nfcOutsideSpecial(nt.tk, want)
			}
			if got != want {
				t.Fatalf("%s: round trip of %q gave %q (ids %v)", nt.name, s, got, plain)
			}
		}
	})
}

func nfcOutsideSpecial(tk *Tokenizer, s string) string {
	var b strings.Builder
	for _, sg := range tk.added.raw.split(s) {
		if sg.id >= 0 {
			b.WriteString(sg.s)
		} else {
			b.WriteString(norm.NFC.String(sg.s))
		}
	}
	return b.String()
}
