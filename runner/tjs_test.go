// The onnxruntime-genai builder's own fp16 directory against transformers.js on the same graph.
//
// Regenerate the reference ids with `make goldens-tjs` (runner/testdata/tjs/goldens.mjs: npm
// @huggingface/transformers 4.3.2 on onnxruntime-node 1.30.0; it copies the shared directory into
// transformers.js's layout, onnx/model.onnx + a config.json written from genai_config.json).
package runner

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/acoer/acoer-bench/runner/onnxbuild"
)

// tjsGolden is one line of runner/testdata/tjs/genai_fp16_greedy.jsonl.
type tjsGolden struct {
	Text      string `json:"text"`
	PromptIDs []int  `json:"prompt_ids"`
	IDs       []int  `json:"ids"`
}

func readTJSGoldens(t *testing.T) (header map[string]any, lines []tjsGolden) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "tjs", "genai_fp16_greedy.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if header == nil {
			if err := json.Unmarshal(sc.Bytes(), &header); err != nil {
				t.Fatal(err)
			}
			continue
		}
		var g tjsGolden
		if err := json.Unmarshal(sc.Bytes(), &g); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, g)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return header, lines
}

// The shared onnxruntime-genai fp16 directory (float16 weights, KV and logits; MultiHeadAttention and
// RotaryEmbedding with position_ids) gives transformers.js's greedy ids for every prompt, alone and
// through the scheduler with several slots, and the project's tokenizer encodes each prompt to the ids
// transformers.js's does.
func TestGenAIFP16MatchesTransformersJS(t *testing.T) {
	dir := filepath.Join(sharedDir(t), "models", "genai-tiny-llama-fp16")
	needORT(t)
	header, goldens := readTJSGoldens(t)
	if len(goldens) < 8 || header["transformers_js"] != "4.3.2" {
		t.Fatalf("goldens: %v, %d lines", header, len(goldens))
	}
	m, err := Open(dir, Options{Provider: ProviderCPU})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	dec := Decoding{MaxNewTokens: int(header["max_new_tokens"].(float64)), EOSIDs: []int{-1}}
	reqs := make([]Request, len(goldens))
	for i, g := range goldens {
		ids, err := m.EncodePrompt(g.Text, false, "")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(ids, g.PromptIDs) {
			t.Errorf("%q: the project's tokenizer gives %v, transformers.js's %v", g.Text, ids, g.PromptIDs)
		}
		reqs[i] = Request{PromptIDs: g.PromptIDs}
	}
	for i, r := range reqs {
		out, err := m.Generate(t.Context(), []Request{r}, dec)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(out[0].IDs, goldens[i].IDs) {
			t.Errorf("%q alone: %v, transformers.js %v", goldens[i].Text, out[0].IDs, goldens[i].IDs)
		}
	}
	for _, slots := range []int{3, len(reqs)} {
		got := make([]Completion, len(reqs))
		if _, err := m.Stream(t.Context(), reqs, dec, slots, func(i int, c Completion) error { got[i] = c; return nil }); err != nil {
			t.Fatal(err)
		}
		for i := range reqs {
			if !reflect.DeepEqual(got[i].IDs, goldens[i].IDs) {
				t.Errorf("%q, %d slots: %v, transformers.js %v", goldens[i].Text, slots, got[i].IDs, goldens[i].IDs)
			}
		}
	}
}

// tjsLayoutGolden is one line of runner/testdata/tjs/layouts_greedy.jsonl.
type tjsLayoutGolden struct {
	DType       string `json:"dtype"`
	Graph       string `json:"graph"`
	GraphSHA256 string `json:"graph_sha256"`
	PromptIDs   []int  `json:"prompt_ids"`
	IDs         []int  `json:"ids"`
}

// Seeded models in transformers.js's layout (onnx/model.onnx and, beside it, model_fp16.onnx with
// float16 weights, KV and logits, model_q4.onnx with MatMulNBits + GatherBlockQuantized, model_q4f16.onnx,
// model_int8.onnx and model_uint8.onnx with DequantizeLinear, model_quantized.onnx with
// DynamicQuantizeLinear + MatMulInteger, model_bnb4.onnx with MatMulBnb4), built as the goldens'
// build-model commands build them, give transformers.js's greedy ids with the variant its dtype picks
// (fp32, fp16, q4, q4f16, int8, uint8, q8, bnb4), alone and through the scheduler.
func TestTransformersJSLayoutsMatchTransformersJS(t *testing.T) {
	needORT(t)
	f, err := os.ReadFile(filepath.Join("testdata", "tjs", "layouts_greedy.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var goldens []tjsLayoutGolden
	for i, line := range strings.Split(strings.TrimSpace(string(f)), "\n") {
		if i == 0 {
			continue // the header
		}
		var g tjsLayoutGolden
		if err := json.Unmarshal([]byte(line), &g); err != nil {
			t.Fatal(err)
		}
		goldens = append(goldens, g)
	}
	// build-model --seed 9 --preset tiny --max-seq-len 512 --eos-bias 4 --layout transformers.js, then
	// --add-variant with --quant fp16 --kv-float16 --logits-float16, and with --quant q4.
	cfg, w := layoutModel(t)
	tjs := onnxbuild.DirOptions{Layout: onnxbuild.LayoutTransformersJS}
	dir := layoutDir(t, cfg, w, tjs)
	for _, v := range []struct {
		adjust  func(*onnxbuild.LlamaConfig)
		variant string
	}{
		{func(c *onnxbuild.LlamaConfig) {
			c.Quant, c.KVFloat16, c.LogitsFloat16 = onnxbuild.QuantFP16, true, true
		}, "fp16"},
		{func(c *onnxbuild.LlamaConfig) { c.Quant = onnxbuild.QuantQ4 }, "q4"},
		{func(c *onnxbuild.LlamaConfig) {
			c.Quant, c.KVFloat16, c.LogitsFloat16 = onnxbuild.QuantQ4F16, true, true
		}, "q4f16"},
		{func(c *onnxbuild.LlamaConfig) { c.Quant = onnxbuild.QuantInt8 }, "int8"},
		{func(c *onnxbuild.LlamaConfig) { c.Quant = onnxbuild.QuantUint8 }, "uint8"},
		{func(c *onnxbuild.LlamaConfig) { c.Quant = onnxbuild.QuantQ8 }, "quantized"},
		{func(c *onnxbuild.LlamaConfig) { c.Quant = onnxbuild.QuantBnb4 }, "bnb4"},
	} {
		c := cfg
		v.adjust(&c)
		o := tjs
		o.Variant = v.variant
		if err := onnxbuild.AddVariant(dir, c, w, o); err != nil {
			t.Fatal(err)
		}
	}
	byDType := map[string][]tjsLayoutGolden{}
	for _, g := range goldens {
		byDType[g.DType] = append(byDType[g.DType], g)
	}
	if len(byDType) != 8 {
		t.Fatalf("goldens for %d dtypes", len(byDType))
	}
	for dtype, gs := range byDType {
		variant := dtype // transformers.js's dtype names are variant names the runner takes (fp32, q8 aliases)
		if sum, _ := fileSHA256(filepath.Join(dir, filepath.FromSlash(gs[0].Graph))); sum != gs[0].GraphSHA256 {
			t.Fatalf("%s: the graph built here (sha256 %s) is not the goldens' (%s): the builder changed; regenerate with make goldens-tjs", gs[0].Graph, sum, gs[0].GraphSHA256)
		}
		m, err := Open(dir, Options{Provider: ProviderCPU, Variant: variant})
		if err != nil {
			t.Fatal(err)
		}
		if m.Info().ModelFile != filepath.Join(dir, filepath.FromSlash(gs[0].Graph)) {
			t.Errorf("%s: opened %s", dtype, m.Info().ModelFile)
		}
		dec := Decoding{MaxNewTokens: 24}
		reqs := make([]Request, len(gs))
		for i, g := range gs {
			reqs[i] = Request{PromptIDs: g.PromptIDs}
		}
		for _, slots := range []int{1, 2, len(reqs)} {
			got := make([]Completion, len(reqs))
			if _, err := m.Stream(t.Context(), reqs, dec, slots, func(i int, c Completion) error { got[i] = c; return nil }); err != nil {
				t.Fatal(err)
			}
			for i, g := range gs {
				if !reflect.DeepEqual(got[i].IDs, g.IDs) {
					t.Errorf("%s, prompt %v, %d slots: %v, transformers.js %v", dtype, g.PromptIDs, slots, got[i].IDs, g.IDs)
				}
			}
		}
		m.Close()
	}
}
