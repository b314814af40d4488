package onnxbuild

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteModelDirFiles(t *testing.T) {
	cfg := testConfig()
	cfg.KVFloat16 = true
	w := RandomWeights(cfg, 1)
	tj, err := ByteTokenizerJSON()
	if err != nil {
		t.Fatal(err)
	}
	tc, _ := Llama2TokenizerConfigJSON(cfg.MaxSeqLen)
	parent := t.TempDir()
	dir := filepath.Join(parent, "model")
	opts := DirOptions{TokenizerJSON: tj, TokenizerConfigJSON: tc, ExtraFiles: map[string][]byte{"special_tokens_map.json": []byte("{}")}}
	if err := WriteModelDir(dir, cfg, w, opts); err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"model_type": "llama", "vocab_size": 61.0, "hidden_size": 32.0, "intermediate_size": 48.0,
		"num_hidden_layers": 2.0, "num_attention_heads": 4.0, "num_key_value_heads": 2.0, "max_position_embeddings": 64.0,
		"rms_norm_eps": 1e-5, "rope_theta": 10000.0, "bos_token_id": 1.0, "eos_token_id": 2.0, "tie_word_embeddings": true,
		"torch_dtype": "float32", "acoer_kv_dtype": "float16"}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("config.json %s = %v, want %v", k, c[k], v)
		}
	}
	for _, f := range []string{"model.onnx", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, ExternalDataName)); err == nil {
		t.Errorf("small model written with external data")
	}
	// A second write without Overwrite fails and leaves the dir alone; with Overwrite it replaces it.
	if err := WriteModelDir(dir, cfg, w, opts); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("second write: err = %v, want 'not empty'", err)
	}
	opts.Overwrite = true
	opts.ExternalThreshold = 1 // anything is large
	if err := WriteModelDir(dir, cfg, w, opts); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, ExternalDataName)); err != nil {
		t.Errorf("threshold 1 did not write external data: %v", err)
	}
	ents, _ := os.ReadDir(parent)
	if len(ents) != 1 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("parent dir holds %v, want only the model dir (no temp leftovers)", names)
	}
	// Bad weights are an error before anything is written.
	w.Layers[0].WQ = w.Layers[0].WQ[:10]
	if err := WriteModelDir(filepath.Join(parent, "bad"), cfg, w, DirOptions{}); err == nil {
		t.Error("short wq accepted")
	}
	if _, err := os.Stat(filepath.Join(parent, "bad")); err == nil {
		t.Error("failed write left a dir")
	}
}

func TestRandomWeightsDeterministic(t *testing.T) {
	cfg := testConfig()
	a, b, c := RandomWeights(cfg, 5), RandomWeights(cfg, 5), RandomWeights(cfg, 6)
	if a.Layers[1].W2[7] != b.Layers[1].W2[7] || a.Embed[100] != b.Embed[100] {
		t.Error("same seed gave different weights")
	}
	if a.Embed[100] == c.Embed[100] {
		t.Error("different seeds gave the same weights")
	}
	if err := a.AddLogitBias(cfg.VocabSize, 2, 4); err != nil {
		t.Fatal(err)
	}
	ids := []int{1, 5, 9}
	la, lb := Reference(cfg, a, ids), Reference(cfg, b, ids)
	if d := la[2][2] - lb[2][2]; math.Abs(d-4) > 1e-9 {
		t.Errorf("EOS bias moved its logit by %v, want 4", d)
	}
	if err := a.AddLogitBias(cfg.VocabSize, cfg.VocabSize, 1); err == nil {
		t.Error("bias outside the vocab accepted")
	}
}

func TestReadLlama2CErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, hdr []int32, floats int) string {
		p := filepath.Join(dir, name)
		b := make([]byte, 4*len(hdr)+4*floats)
		for i, v := range hdr {
			binary.LittleEndian.PutUint32(b[4*i:], uint32(v))
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// dim 8, hidden 16, 1 layer, 2 heads, 1 kv head, vocab 4, seq 4: tensors below.
	hdr := []int32{8, 16, 1, 2, 1, 4, 4}
	d, kv, h, v, s, hs := 8, 4, 16, 4, 4, 4
	n := v*d + d + d*d + 2*kv*d + d*d + d + 3*h*d + d + s*hs
	if _, _, err := ReadLlama2C(write("ok.bin", hdr, n)); err != nil {
		t.Fatalf("well-formed checkpoint: %v", err)
	}
	untied := append([]int32(nil), hdr...)
	untied[5] = -4
	cfg, w, err := ReadLlama2C(write("untied.bin", untied, n+v*d))
	if err != nil || cfg.TieEmbeddings || len(w.LMHead) != v*d {
		t.Fatalf("untied checkpoint: cfg %+v, err %v", cfg, err)
	}
	for name, tc := range map[string]struct {
		hdr    []int32
		floats int
	}{
		"truncated":   {hdr, n - 1},
		"too long":    {hdr, n + 1},
		"zero dim":    {[]int32{0, 16, 1, 2, 1, 4, 4}, n},
		"bad heads":   {[]int32{8, 16, 1, 3, 1, 4, 4}, n},
		"short file":  {hdr[:3], 0},
		"huge header": {[]int32{1 << 30, 16, 1, 2, 1, 4, 4}, 0},
	} {
		if _, _, err := ReadLlama2C(write(name, tc.hdr, tc.floats)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, _, err := ReadLlama2C(filepath.Join(dir, "missing.bin")); err == nil {
		t.Error("missing file: no error")
	}
}

func FuzzParseLlama2CTokenizer(f *testing.F) {
	f.Add([]byte{7, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, '<', 'u', 'n', 'k', '>'})
	f.Add([]byte{})
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255})
	f.Fuzz(func(t *testing.T, b []byte) {
		toks, err := ParseLlama2CTokenizer(b, "fuzz")
		if err == nil {
			if _, err := sentencePieceTokenizerJSON(toks); err != nil && !strings.Contains(err.Error(), "duplicate") {
				t.Fatal(err)
			}
		}
	})
}

func TestByteTokenizerJSON(t *testing.T) {
	b, err := ByteTokenizerJSON()
	if err != nil {
		t.Fatal(err)
	}
	h := loadHFLike(t, b)
	if len(h.vocab) != 354 {
		t.Errorf("vocab size %d, want 354", len(h.vocab))
	}
	for _, s := range []string{"Hello, world!", "x = 3 * (4 + 5)", "héllo ✓"} {
		if got := h.decode(h.encode(s)); got != s {
			t.Errorf("round trip %q -> %q", s, got)
		}
	}
}

// Each layout writes the files its exporter does, with the data file named after its graph (and in
// chunks when asked); AddVariant adds a variant's graph beside the others and refuses to replace one.
func TestLayoutFileNames(t *testing.T) {
	cfg := testConfig()
	w := RandomWeights(cfg, 1)
	yes := true
	for _, c := range []struct {
		opts  DirOptions
		files []string
	}{
		{DirOptions{}, []string{"model.onnx", "config.json", "generation_config.json"}},
		{DirOptions{ExternalData: &yes}, []string{"model.onnx", ExternalDataName}},
		{DirOptions{Layout: LayoutTransformersJS, ExternalData: &yes}, []string{"onnx/model.onnx", "onnx/model.onnx_data", "config.json"}},
		{DirOptions{Layout: LayoutTransformersJS, Variant: "fp16", ExternalData: &yes, ExternalChunkBytes: 8 << 10},
			[]string{"onnx/model_fp16.onnx", "onnx/model_fp16.onnx_data", "onnx/model_fp16.onnx_data_1"}},
		{DirOptions{Layout: LayoutOptimumMerged}, []string{"decoder_model_merged.onnx"}},
		{DirOptions{Layout: LayoutOptimumMerged, Subfolder: true, Variant: "quantized"}, []string{"onnx/decoder_model_merged_quantized.onnx", "config.json"}},
		{DirOptions{Layout: LayoutOptimumSplit, ExternalData: &yes}, []string{"decoder_model.onnx", "decoder_model.onnx_data", "decoder_with_past_model.onnx", "decoder_with_past_model.onnx_data"}},
	} {
		dir := filepath.Join(t.TempDir(), "m")
		if err := WriteModelDir(dir, cfg, w, c.opts); err != nil {
			t.Fatalf("%+v: %v", c.opts, err)
		}
		for _, f := range c.files {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Errorf("%+v: no %s", c.opts, f)
			}
		}
	}
	if err := WriteModelDir(filepath.Join(t.TempDir(), "m"), cfg, w, DirOptions{Layout: LayoutOptimumSplit, ExternalData: &yes, ExternalDataName: "w.bin"}); err == nil {
		t.Error("one data file name for the two graphs of a split pair accepted")
	}
	if err := WriteModelDir(filepath.Join(t.TempDir(), "m"), cfg, w, DirOptions{Layout: "onnx-fancy"}); err == nil || !strings.Contains(err.Error(), "unknown layout") {
		t.Errorf("unknown layout: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "m")
	opts := DirOptions{Layout: LayoutTransformersJS}
	if err := WriteModelDir(dir, cfg, w, opts); err != nil {
		t.Fatal(err)
	}
	q := cfg
	q.Quant = QuantQ4
	opts.Variant = "q4"
	if err := AddVariant(dir, q, w, opts); err != nil {
		t.Fatal(err)
	}
	if err := AddVariant(dir, q, w, opts); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second AddVariant: %v", err)
	}
	ents, _ := os.ReadDir(filepath.Join(dir, "onnx"))
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "model.onnx,model_q4.onnx" {
		t.Errorf("onnx/ holds %v", names)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 3 { // config.json, generation_config.json, onnx: no temp dir left
		t.Errorf("model dir holds %d entries", len(ents))
	}
}

// The weight kinds refuse what they cannot store.
func TestQuantValidation(t *testing.T) {
	for _, c := range []struct {
		adjust func(*LlamaConfig)
		want   string
	}{
		{func(c *LlamaConfig) { c.Quant = "q3" }, "unknown weight kind"},
		{func(c *LlamaConfig) { c.Quant, c.GenAI, c.Dim, c.Heads = QuantQ4, true, 64, 4 }, "genai graph quantizes with Int4"},
		{func(c *LlamaConfig) { c.LastLogitsOnly, c.LogitsToKeep = true, "num_logits_to_keep" }, "exclude each other"},
		{func(c *LlamaConfig) { c.CachePosition, c.NoPositionIDs = true, true }, "takes position_ids too"},
	} {
		cfg := testConfig()
		c.adjust(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", cfg, err, c.want)
		}
	}
}
