package onnxbuild

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
	"unicode/utf8"
)

// ReadLlama2C reads a checkpoint in llama2.c's legacy format: a header of 7 little-endian int32
// (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len; a negative vocab_size means
// the classifier is stored separately), then float32 tensors in the order token embedding,
// attention RMSNorm, wq, wk, wv, wo, FFN RMSNorm, w1, w2, w3, final RMSNorm, two legacy RoPE tables
// (skipped), and the classifier when not shared. llama2.c models rotate adjacent pairs
// (RopeInterleaved), use theta 10000 and RMSNorm eps 1e-5, start sequences with BOS id 1 and stop
// generating at BOS (so the config's EOS ids are 2 and 1).
func ReadLlama2C(path string) (LlamaConfig, *Weights, error) {
	f, err := os.Open(path)
	if err != nil {
		return LlamaConfig{}, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return LlamaConfig{}, nil, err
	}
	var hdr [7]int32
	if err := binary.Read(f, binary.LittleEndian, &hdr); err != nil {
		return LlamaConfig{}, nil, fmt.Errorf("%s: reading llama2.c header: %w", path, err)
	}
	shared := hdr[5] > 0
	vocab := int(hdr[5])
	if !shared {
		vocab = -vocab
	}
	cfg := LlamaConfig{
		Dim: int(hdr[0]), HiddenDim: int(hdr[1]), Layers: int(hdr[2]), Heads: int(hdr[3]), KVHeads: int(hdr[4]),
		VocabSize: vocab, MaxSeqLen: int(hdr[6]), RopeTheta: 10000, NormEps: 1e-5, RopeInterleaved: true,
		TieEmbeddings: shared, BOSTokenID: 1, EOSTokenIDs: []int{2, 1},
	}
	const maxSize = 1 << 34
	for _, v := range hdr {
		if v == 0 || v > 1<<20 || v < -(1<<20) {
			return LlamaConfig{}, nil, fmt.Errorf("%s: implausible llama2.c header %v", path, hdr)
		}
	}
	if cfg.Heads <= 0 || cfg.KVHeads <= 0 || cfg.Dim%cfg.Heads != 0 {
		return LlamaConfig{}, nil, fmt.Errorf("%s: implausible llama2.c header %v", path, hdr)
	}
	if err := cfg.Validate(); err != nil {
		return LlamaConfig{}, nil, fmt.Errorf("%s: %w", path, err)
	}
	d, kv, h, L, hs := cfg.Dim, cfg.KVDim(), cfg.HiddenDim, cfg.Layers, cfg.HeadDim()
	n := int64(vocab*d + L*d + L*d*d + 2*L*kv*d + L*d*d + L*d + 3*L*h*d + d + cfg.MaxSeqLen*hs)
	if !shared {
		n += int64(vocab * d)
	}
	if want := 28 + 4*n; st.Size() != want || want > maxSize {
		return LlamaConfig{}, nil, fmt.Errorf("%s: file has %d bytes, header %v implies %d", path, st.Size(), hdr, want)
	}
	buf := make([]byte, 4*n)
	if _, err := io.ReadFull(f, buf); err != nil {
		return LlamaConfig{}, nil, fmt.Errorf("%s: %w", path, err)
	}
	off := 0
	next := func(k int) []float32 {
		v := make([]float32, k)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(buf[off+4*i:]))
		}
		off += 4 * k
		return v
	}
	w := &Weights{Embed: next(vocab * d), Layers: make([]LayerWeights, L)}
	perLayer := func(k int, set func(l *LayerWeights, v []float32)) {
		all := next(L * k)
		for i := range L {
			set(&w.Layers[i], all[i*k:(i+1)*k:(i+1)*k])
		}
	}
	perLayer(d, func(l *LayerWeights, v []float32) { l.AttnNorm = v })
	perLayer(d*d, func(l *LayerWeights, v []float32) { l.WQ = v })
	perLayer(kv*d, func(l *LayerWeights, v []float32) { l.WK = v })
	perLayer(kv*d, func(l *LayerWeights, v []float32) { l.WV = v })
	perLayer(d*d, func(l *LayerWeights, v []float32) { l.WO = v })
	perLayer(d, func(l *LayerWeights, v []float32) { l.FFNNorm = v })
	perLayer(h*d, func(l *LayerWeights, v []float32) { l.W1 = v })
	perLayer(d*h, func(l *LayerWeights, v []float32) { l.W2 = v })
	perLayer(h*d, func(l *LayerWeights, v []float32) { l.W3 = v })
	w.FinalNorm = next(d)
	off += 4 * cfg.MaxSeqLen * hs // freq_cis_real and freq_cis_imag, [seq_len, head_size/2] each
	if !shared {
		w.LMHead = next(vocab * d)
	}
	return cfg, w, nil
}

// Llama2CToken is one entry of a llama2.c tokenizer.bin.
type Llama2CToken struct {
	Piece string // as SentencePiece spells it: "▁" for a space, "<s>", "<0x0A>", ...
	Score float32
}

// ReadLlama2CTokenizer reads a llama2.c tokenizer.bin: int32 max_token_length, then per token a
// float32 score, an int32 byte length and the bytes. llama2.c stores spaces where SentencePiece has
// "▁" and BOS/EOS as "\n<s>\n" / "\n</s>\n"; the pieces are mapped back to SentencePiece spelling.
func ReadLlama2CTokenizer(path string) ([]Llama2CToken, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseLlama2CTokenizer(b, path)
}

// ParseLlama2CTokenizer parses the bytes of a llama2.c tokenizer.bin (see ReadLlama2CTokenizer);
// path only names the source in errors.
func ParseLlama2CTokenizer(b []byte, path string) ([]Llama2CToken, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("%s: too short for a llama2.c tokenizer", path)
	}
	maxLen := int(int32(binary.LittleEndian.Uint32(b)))
	var toks []Llama2CToken
	for o := 4; o < len(b); {
		if o+8 > len(b) {
			return nil, fmt.Errorf("%s: truncated at token %d", path, len(toks))
		}
		score := math.Float32frombits(binary.LittleEndian.Uint32(b[o:]))
		n := int(int32(binary.LittleEndian.Uint32(b[o+4:])))
		o += 8
		if n < 0 || n > maxLen || o+n > len(b) {
			return nil, fmt.Errorf("%s: bad length %d for token %d", path, n, len(toks))
		}
		p := string(b[o : o+n])
		o += n
		if !utf8.ValidString(p) {
			return nil, fmt.Errorf("%s: token %d is not valid UTF-8", path, len(toks))
		}
		switch strings.TrimSpace(p) {
		case "<s>", "</s>":
			p = strings.TrimSpace(p)
		}
		toks = append(toks, Llama2CToken{Piece: strings.ReplaceAll(p, " ", "▁"), Score: score})
	}
	if len(toks) < 259 || toks[0].Piece != "<unk>" || toks[1].Piece != "<s>" || toks[2].Piece != "</s>" || toks[3].Piece != "<0x00>" {
		return nil, fmt.Errorf("%s: not a Llama 2 style llama2.c tokenizer (want <unk>, <s>, </s>, <0x00>.. first)", path)
	}
	return toks, nil
}

// tokenizerJSON is the layout of a Hugging Face tokenizer.json (Llama 2 flavour).
type tokenizerJSON struct {
	Version       string       `json:"version"`
	Truncation    any          `json:"truncation"`
	Padding       any          `json:"padding"`
	AddedTokens   []addedToken `json:"added_tokens"`
	Normalizer    any          `json:"normalizer"`
	PreTokenizer  any          `json:"pre_tokenizer"`
	PostProcessor any          `json:"post_processor"`
	Decoder       any          `json:"decoder"`
	Model         bpeModel     `json:"model"`
}

type addedToken struct {
	ID         int    `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

type bpeModel struct {
	Type                    string       `json:"type"`
	Dropout                 any          `json:"dropout"`
	UnkToken                string       `json:"unk_token"`
	ContinuingSubwordPrefix any          `json:"continuing_subword_prefix"`
	EndOfWordSuffix         any          `json:"end_of_word_suffix"`
	FuseUnk                 bool         `json:"fuse_unk"`
	ByteFallback            bool         `json:"byte_fallback"`
	IgnoreMerges            bool         `json:"ignore_merges"`
	Vocab                   orderedVocab `json:"vocab"`
	Merges                  []string     `json:"merges"`
}

// orderedVocab marshals as a JSON object in id order.
type orderedVocab []string

func (v orderedVocab) MarshalJSON() ([]byte, error) {
	var sb strings.Builder
	sb.WriteByte('{')
	for id, p := range v {
		if id > 0 {
			sb.WriteByte(',')
		}
		k, err := json.Marshal(p)
		if err != nil {
			return nil, err
		}
		sb.Write(k)
		fmt.Fprintf(&sb, ":%d", id)
	}
	sb.WriteByte('}')
	return []byte(sb.String()), nil
}

// SentencePieceMerges derives BPE merges from SentencePiece pieces and scores the way Hugging
// Face's converter (SentencePieceExtractor) does: every split of a piece into two pieces that are
// both in the vocabulary is a merge; splits of one piece are ordered by (left id, right id), and all
// merges by the merged piece's score, highest first (stable, so ties keep vocabulary order).
func SentencePieceMerges(toks []Llama2CToken) [][2]string {
	ids := make(map[string]int, len(toks))
	for i, t := range toks {
		if _, dup := ids[t.Piece]; !dup {
			ids[t.Piece] = i
		}
	}
	type merge struct {
		l, r  string
		score float32
	}
	var all []merge
	for _, t := range toks {
		var local []merge
		for i := range t.Piece {
			if i == 0 {
				continue
			}
			l, r := t.Piece[:i], t.Piece[i:]
			if _, ok := ids[l]; !ok {
				continue
			}
			if _, ok := ids[r]; !ok {
				continue
			}
			local = append(local, merge{l, r, t.Score})
		}
		sort.SliceStable(local, func(a, b int) bool {
			if ids[local[a].l] != ids[local[b].l] {
				return ids[local[a].l] < ids[local[b].l]
			}
			return ids[local[a].r] < ids[local[b].r]
		})
		all = append(all, local...)
	}
	sort.SliceStable(all, func(a, b int) bool { return all[a].score > all[b].score })
	out := make([][2]string, len(all))
	for i, m := range all {
		out[i] = [2]string{m.l, m.r}
	}
	return out
}

// Llama2CTokenizerJSON converts a llama2.c tokenizer.bin (Llama 2 SentencePiece vocabulary, e.g.
// tok512.bin) into a Hugging Face tokenizer.json equivalent to Llama 2's: normalizer Prepend("▁") +
// Replace(" ", "▁"), no pre-tokenizer, BPE with byte fallback and merges derived from the scores,
// a decoder that undoes it, and a post-processor that adds <s>.
func Llama2CTokenizerJSON(tokBinPath string) ([]byte, error) {
	toks, err := ReadLlama2CTokenizer(tokBinPath)
	if err != nil {
		return nil, err
	}
	return sentencePieceTokenizerJSON(toks)
}

func sentencePieceTokenizerJSON(toks []Llama2CToken) ([]byte, error) {
	vocab := make(orderedVocab, len(toks))
	seen := map[string]bool{}
	for i, t := range toks {
		if seen[t.Piece] {
			return nil, fmt.Errorf("onnxbuild: duplicate piece %q (id %d)", t.Piece, i)
		}
		seen[t.Piece] = true
		vocab[i] = t.Piece
	}
	var merges []string
	for _, m := range SentencePieceMerges(toks) {
		merges = append(merges, m[0]+" "+m[1])
	}
	special := func(id int, s string) addedToken {
		return addedToken{ID: id, Content: s, Special: true}
	}
	str := func(s string) map[string]string { return map[string]string{"String": s} }
	bos := map[string]any{"SpecialToken": map[string]any{"id": "<s>", "type_id": 0}}
	tj := tokenizerJSON{
		Version:     "1.0",
		AddedTokens: []addedToken{special(0, "<unk>"), special(1, "<s>"), special(2, "</s>")},
		Normalizer: map[string]any{"type": "Sequence", "normalizers": []any{
			map[string]any{"type": "Prepend", "prepend": "▁"},
			map[string]any{"type": "Replace", "pattern": str(" "), "content": "▁"},
		}},
		PostProcessor: map[string]any{
			"type":   "TemplateProcessing",
			"single": []any{bos, map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}}},
			"pair": []any{bos, map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}},
				map[string]any{"SpecialToken": map[string]any{"id": "<s>", "type_id": 1}},
				map[string]any{"Sequence": map[string]any{"id": "B", "type_id": 1}}},
			"special_tokens": map[string]any{"<s>": map[string]any{"id": "<s>", "ids": []int{1}, "tokens": []string{"<s>"}}},
		},
		Decoder: map[string]any{"type": "Sequence", "decoders": []any{
			map[string]any{"type": "Replace", "pattern": str("▁"), "content": " "},
			map[string]any{"type": "ByteFallback"},
			map[string]any{"type": "Fuse"},
			map[string]any{"type": "Strip", "content": " ", "start": 1, "stop": 0},
		}},
		Model: bpeModel{Type: "BPE", UnkToken: "<unk>", FuseUnk: true, ByteFallback: true, Vocab: vocab, Merges: merges},
	}
	return json.MarshalIndent(tj, "", "  ")
}

// Llama2TokenizerConfigJSON returns a tokenizer_config.json for a Llama 2 style tokenizer: BOS
// "<s>" added to encodings, EOS "</s>", no chat template.
func Llama2TokenizerConfigJSON(maxLen int) ([]byte, error) {
	dec := map[string]any{}
	for id, s := range []string{"<unk>", "<s>", "</s>"} {
		dec[fmt.Sprint(id)] = map[string]any{"content": s, "lstrip": false, "normalized": false, "rstrip": false, "single_word": false, "special": true}
	}
	return json.MarshalIndent(map[string]any{
		"add_bos_token":                true,
		"add_eos_token":                false,
		"added_tokens_decoder":         dec,
		"bos_token":                    "<s>",
		"eos_token":                    "</s>",
		"unk_token":                    "<unk>",
		"pad_token":                    nil,
		"clean_up_tokenization_spaces": false,
		"legacy":                       true,
		"model_max_length":             maxLen,
		"tokenizer_class":              "LlamaTokenizer",
	}, "", "  ")
}
