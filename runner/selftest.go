package runner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
)

// SelfTest opens a TinyDecoder model (written to a temporary directory) on opts.Provider and checks a
// small batched greedy generation against the decoder's Go reference: an end-to-end check of ONNX
// Runtime, the provider, the session plumbing and the generation loop, without any model files. It
// returns the provider actually used.
func SelfTest(ctx context.Context, opts Options) (string, error) {
	dir, err := os.MkdirTemp("", "acoer-selftest-*")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	const eos = 3
	td := TinyDecoder{Vocab: 64, Layers: 2}
	if err := td.WriteDir(dir, 512, eos); err != nil {
		return "", err
	}
	opts.Tokenizer = func(string) (Tokenizer, error) { return idTokenizer{td.Vocab}, nil }
	m, err := Open(dir, opts)
	if err != nil {
		return "", err
	}
	defer m.Close()
	prompts := [][]int{{1, 5, 9}, {1}, {1, 12, 3, 30, 7, 20, 4}}
	reqs := make([]Request, len(prompts))
	for i, p := range prompts {
		reqs[i] = Request{PromptIDs: p}
	}
	out, err := m.Generate(ctx, reqs, Decoding{MaxNewTokens: 16})
	if err != nil {
		return m.Provider(), err
	}
	for i, p := range prompts {
		if want := td.Greedy(p, 16, eos); !reflect.DeepEqual(out[i].IDs, want) {
			return m.Provider(), fmt.Errorf("self-test on %s: prompt %v generated %v, want %v", m.Provider(), p, out[i].IDs, want)
		}
	}
	return m.Provider(), nil
}

// WriteDir writes a model directory around the graph: model.onnx, config.json and generation_config.json.
// It has no tokenizer files (the graph has no real vocabulary): pass Options.Tokenizer to Open.
func (s TinyDecoder) WriteDir(dir string, contextLength, eos int) error {
	files := map[string][]byte{
		"model.onnx":             s.ONNX(),
		"config.json":            []byte(fmt.Sprintf(`{"vocab_size": %d, "max_position_embeddings": %d, "num_hidden_layers": %d, "num_key_value_heads": 1, "head_dim": 1}`, s.Vocab, contextLength, s.Layers)),
		"generation_config.json": []byte(fmt.Sprintf(`{"eos_token_id": [%d], "pad_token_id": 0}`, eos)),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// idTokenizer decodes ids as "<id>" (for graphs without a vocabulary).
type idTokenizer struct{ vocab int }

func (t idTokenizer) Encode(text string, addSpecial bool) []int {
	var ids []int
	for _, f := range strings.Fields(text) {
		if id, err := strconv.Atoi(strings.Trim(f, "<>")); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}
func (t idTokenizer) Decode(ids []int, skip bool) string {
	var b strings.Builder
	for _, id := range ids {
		fmt.Fprintf(&b, "<%d>", id)
	}
	return b.String()
}
func (t idTokenizer) TokenToID(s string) (int, bool) {
	id, err := strconv.Atoi(strings.Trim(s, "<>"))
	return id, err == nil
}
func (t idTokenizer) VocabSize() int              { return t.vocab }
func (t idTokenizer) Settings() TokenizerSettings { return TokenizerSettings{} }
func (t idTokenizer) ApplyChat([]ChatMessage, bool) (string, error) {
	return "", fmt.Errorf("no chat template")
}
