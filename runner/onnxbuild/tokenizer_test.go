package onnxbuild

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// hfLike is a small interpreter of the tokenizer.json this package writes (Prepend/Replace
// normalizer, BPE by merge rank with byte fallback, <s> template, Replace/ByteFallback/Fuse/Strip
// decoder). It checks the JSON's content, not Hugging Face's implementation: the tokenizer package
// verifies that against real tokenizers.
type hfLike struct {
	vocab map[string]int
	inv   []string
	rank  map[string]int
}

func loadHFLike(t *testing.T, data []byte) *hfLike {
	t.Helper()
	var tj struct {
		Model struct {
			Vocab  map[string]int `json:"vocab"`
			Merges []string       `json:"merges"`
		} `json:"model"`
	}
	if err := json.Unmarshal(data, &tj); err != nil {
		t.Fatal(err)
	}
	h := &hfLike{vocab: tj.Model.Vocab, inv: make([]string, len(tj.Model.Vocab)), rank: map[string]int{}}
	for p, id := range h.vocab {
		h.inv[id] = p
	}
	for i, m := range tj.Model.Merges {
		if _, dup := h.rank[m]; !dup {
			h.rank[m] = i
		}
	}
	return h
}

func (h *hfLike) encode(text string) []int {
	out := []int{1}
	if text == "" {
		return out
	}
	norm := "▁" + strings.ReplaceAll(text, " ", "▁")
	var syms []string
	for _, r := range norm {
		syms = append(syms, string(r))
	}
	for {
		bestRank, bestIdx := -1, -1
		for i := 0; i+1 < len(syms); i++ {
			if r, ok := h.rank[syms[i]+" "+syms[i+1]]; ok && (bestRank < 0 || r < bestRank) {
				bestRank, bestIdx = r, i
			}
		}
		if bestIdx < 0 {
			break
		}
		syms[bestIdx] += syms[bestIdx+1]
		syms = append(syms[:bestIdx+1], syms[bestIdx+2:]...)
	}
	for _, s := range syms {
		if id, ok := h.vocab[s]; ok {
			out = append(out, id)
			continue
		}
		for _, b := range []byte(s) {
			out = append(out, h.vocab[fmt.Sprintf("<0x%02X>", b)])
		}
	}
	return out
}

func (h *hfLike) decode(ids []int) string {
	var buf bytes.Buffer
	for _, id := range ids {
		p := h.inv[id]
		if id <= 2 {
			continue // skip special tokens
		}
		if len(p) == 6 && strings.HasPrefix(p, "<0x") {
			v, _ := strconv.ParseUint(p[3:5], 16, 8)
			buf.WriteByte(byte(v))
			continue
		}
		buf.WriteString(strings.ReplaceAll(p, "▁", " "))
	}
	return strings.TrimPrefix(buf.String(), " ")
}

func TestLlama2CTokenizerJSON(t *testing.T) {
	tokPath := filepath.Join(sharedDir(t), "models", "stories260K", "tok512.bin")
	toks, err := ReadLlama2CTokenizer(tokPath)
	if err != nil {
		t.Fatal(err)
	}
	data, err := Llama2CTokenizerJSON(tokPath)
	if err != nil {
		t.Fatal(err)
	}
	var tj map[string]any
	if err := json.Unmarshal(data, &tj); err != nil {
		t.Fatal(err)
	}
	model := tj["model"].(map[string]any)
	if model["type"] != "BPE" || model["byte_fallback"] != true || model["fuse_unk"] != true || model["unk_token"] != "<unk>" {
		t.Errorf("model header = %v", model)
	}
	vocab := model["vocab"].(map[string]any)
	if len(vocab) != 512 || vocab["<s>"] != 1.0 || vocab["</s>"] != 2.0 || vocab["<0x0A>"] != 13.0 || vocab["▁t"] != 259.0 {
		t.Errorf("vocab: %d entries, <s>=%v </s>=%v <0x0A>=%v ▁t=%v", len(vocab), vocab["<s>"], vocab["</s>"], vocab["<0x0A>"], vocab["▁t"])
	}
	merges := model["merges"].([]any)
	if len(merges) == 0 || merges[0] != "▁ t" || merges[1] != "h e" {
		t.Errorf("first merges = %v", merges[:min(3, len(merges))])
	}
	for _, k := range []string{"normalizer", "decoder", "post_processor"} {
		if tj[k] == nil {
			t.Errorf("%s missing", k)
		}
	}
	if tj["pre_tokenizer"] != nil {
		t.Errorf("pre_tokenizer = %v, want null", tj["pre_tokenizer"])
	}
	added := tj["added_tokens"].([]any)
	if len(added) != 3 || added[1].(map[string]any)["content"] != "<s>" || added[1].(map[string]any)["special"] != true {
		t.Errorf("added_tokens = %v", added)
	}

	story, err := os.ReadFile(filepath.Join(sharedDir(t), "models", "stories260K", "expected_greedy_200.txt"))
	if err != nil {
		t.Fatal(err)
	}
	h := loadHFLike(t, data)
	texts := append(strings.Split(string(story), "\n"), "", "a", "Hello world", "  two  spaces ", "héllo wörld ✓ 日本 🙂",
		"Once upon a time", "tab\there", "new\nline", string(story))
	for _, text := range texts {
		want := Llama2CEncode(toks, text)
		got := h.encode(text)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("encode(%q):\n tokenizer.json: %v\n llama2.c:       %v", text, got, want)
		}
		if dec := h.decode(got); dec != text {
			t.Errorf("decode(encode(%q)) = %q", text, dec)
		}
	}
}

func TestLlama2TokenizerConfigJSON(t *testing.T) {
	b, err := Llama2TokenizerConfigJSON(512)
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	if c["add_bos_token"] != true || c["bos_token"] != "<s>" || c["eos_token"] != "</s>" {
		t.Errorf("tokenizer_config = %s", b)
	}
}
