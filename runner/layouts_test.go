// Model directories in every export layout the runner reads (transformers.js's onnx/ folder with
// variants and data chunks, optimum's merged decoder and split pair, the Qwen/DeepSeek-style quirks),
// built by the project and run on real ONNX Runtime against the same weights in the standard layout.
package runner

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/acoer/acoer-bench/runner/onnxbuild"
	ortgo "github.com/yalue/onnxruntime_go"
)

// layoutDir writes a model directory of cfg and w in opts' layout (the byte-level tokenizer; the
// configs from cfg) at a fresh path.
func layoutDir(t testing.TB, cfg onnxbuild.LlamaConfig, w *onnxbuild.Weights, opts onnxbuild.DirOptions) string {
	t.Helper()
	var err error
	if opts.TokenizerJSON, err = onnxbuild.ByteTokenizerJSON(); err != nil {
		t.Fatal(err)
	}
	if opts.TokenizerConfigJSON, err = onnxbuild.Llama2TokenizerConfigJSON(cfg.MaxSeqLen); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "model")
	if err := onnxbuild.WriteModelDir(dir, cfg, w, opts); err != nil {
		t.Fatal(err)
	}
	return dir
}

// layoutModel is the seeded tiny model the layout tests share: its config and weights (EOS biased so
// that rows finish at many different steps).
func layoutModel(t testing.TB) (onnxbuild.LlamaConfig, *onnxbuild.Weights) {
	t.Helper()
	cfg, err := onnxbuild.Preset("tiny", len(onnxbuild.ByteTokenizerPieces()))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxSeqLen = 512
	w := onnxbuild.RandomWeights(cfg, 9)
	if err := w.AddLogitBias(cfg.VocabSize, cfg.EOSTokenIDs[0], 4); err != nil {
		t.Fatal(err)
	}
	return cfg, w
}

// aloneIDs runs each request alone (batch 1) and returns the generated ids.
func aloneIDs(t *testing.T, m *Model, reqs []Request, dec Decoding) [][]int {
	t.Helper()
	out := make([][]int, len(reqs))
	for i, r := range reqs {
		c, err := m.Generate(t.Context(), []Request{r}, dec)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = c[0].IDs
	}
	return out
}

// twinCache holds the standard-layout results of the float32 configs the layouts are compared with.
var twinCache sync.Map // key -> [][]int

// layoutCase is one layout (and export quirk) the layout tests build and open.
type layoutCase struct {
	name    string
	adjust  func(*onnxbuild.LlamaConfig)
	opts    onnxbuild.DirOptions
	variant string // Options.Variant
	layout  string // the Info.Layout expected
	want    string // the Info.Variant expected
	chunked bool   // prefill in chunks of 5 positions (a split pair's later chunks run the graph with past)
}

// layoutCases are the layouts and export quirks TestLayoutsGiveTheStandardTokens builds.
func layoutCases() []layoutCase {
	yes := true
	return []layoutCase{
		{name: "transformers.js", opts: onnxbuild.DirOptions{Layout: onnxbuild.LayoutTransformersJS, ExternalData: &yes, ExternalChunkBytes: 300 << 10},
			layout: LayoutTransformersJS},
		{name: "transformers.js_fp16", adjust: func(c *onnxbuild.LlamaConfig) {
			c.Quant, c.KVFloat16, c.LogitsFloat16 = onnxbuild.QuantFP16, true, true
		},
			opts: onnxbuild.DirOptions{Layout: onnxbuild.LayoutTransformersJS, Variant: "fp16"}, variant: "fp16", layout: LayoutTransformersJS, want: "fp16"},
		{name: "transformers.js_q4", adjust: func(c *onnxbuild.LlamaConfig) { c.Quant = onnxbuild.QuantQ4 },
			opts: onnxbuild.DirOptions{Layout: onnxbuild.LayoutTransformersJS, Variant: "q4"}, variant: "q4", layout: LayoutTransformersJS, want: "q4"},
		{name: "transformers.js_int8", adjust: func(c *onnxbuild.LlamaConfig) { c.Quant = onnxbuild.QuantInt8 },
			opts: onnxbuild.DirOptions{Layout: onnxbuild.LayoutTransformersJS, Variant: "int8"}, variant: "onnx/model_int8.onnx", layout: LayoutTransformersJS, want: "int8"},
		{name: "transformers.js_uint8", adjust: func(c *onnxbuild.LlamaConfig) { c.Quant = onnxbuild.QuantUint8 },
			opts: onnxbuild.DirOptions{Layout: onnxbuild.LayoutTransformersJS, Variant: "uint8"}, variant: "uint8", layout: LayoutTransformersJS, want: "uint8"},
		{name: "transformers.js_bnb4", adjust: func(c *onnxbuild.LlamaConfig) { c.Quant = onnxbuild.QuantBnb4 },
			opts: onnxbuild.DirOptions{Layout: onnxbuild.LayoutTransformersJS, Variant: "bnb4"}, variant: "bnb4", layout: LayoutTransformersJS, want: "bnb4"},
		{name: "optimum_merged", opts: onnxbuild.DirOptions{Layout: onnxbuild.LayoutOptimumMerged}, layout: LayoutOptimumMerged},
		{name: "optimum_merged_onnx_kv16", adjust: func(c *onnxbuild.LlamaConfig) { c.KVFloat16 = true },
			opts: onnxbuild.DirOptions{Layout: onnxbuild.LayoutOptimumMerged, Subfolder: true, ExternalData: &yes}, layout: LayoutOptimumMerged},
		{name: "optimum_split", opts: onnxbuild.DirOptions{Layout: onnxbuild.LayoutOptimumSplit, ExternalData: &yes}, layout: LayoutOptimumSplit},
		{name: "optimum_split_onnx_quantized", adjust: func(c *onnxbuild.LlamaConfig) { c.Quant = onnxbuild.QuantUint8 },
			opts: onnxbuild.DirOptions{Layout: onnxbuild.LayoutOptimumSplit, Subfolder: true, Variant: "quantized"}, variant: "q8", layout: LayoutOptimumSplit, want: "quantized"},
		{name: "last_logits_only", adjust: func(c *onnxbuild.LlamaConfig) { c.LastLogitsOnly = true }, layout: LayoutStandard},
		{name: "num_logits_to_keep", adjust: func(c *onnxbuild.LlamaConfig) { c.LogitsToKeep = "num_logits_to_keep" }, layout: LayoutStandard},
		{name: "cache_position_logits_to_keep_merged", adjust: func(c *onnxbuild.LlamaConfig) { c.CachePosition, c.LogitsToKeep = true, "logits_to_keep" },
			opts: onnxbuild.DirOptions{Layout: onnxbuild.LayoutOptimumMerged}, layout: LayoutOptimumMerged},
		{name: "logits_fp16_kv_fp32", adjust: func(c *onnxbuild.LlamaConfig) { c.LogitsFloat16 = true }, layout: LayoutStandard},
		{name: "genai_last_logits_only", adjust: func(c *onnxbuild.LlamaConfig) { c.GenAI, c.LastLogitsOnly = true, true }, layout: LayoutGenAI},
		{name: "genai_num_logits_to_keep", adjust: func(c *onnxbuild.LlamaConfig) { c.GenAI, c.LogitsToKeep = true, "num_logits_to_keep" }, layout: LayoutGenAI},
		{name: "optimum_split_chunked", opts: onnxbuild.DirOptions{Layout: onnxbuild.LayoutOptimumSplit}, layout: LayoutOptimumSplit, chunked: true},
		{name: "optimum_merged_chunked_keep", adjust: func(c *onnxbuild.LlamaConfig) { c.LogitsToKeep = "num_logits_to_keep" },
			opts: onnxbuild.DirOptions{Layout: onnxbuild.LayoutOptimumMerged}, layout: LayoutOptimumMerged, chunked: true},
		{name: "genai_last_logits_only_chunked", adjust: func(c *onnxbuild.LlamaConfig) { c.GenAI, c.LastLogitsOnly = true, true }, layout: LayoutGenAI, chunked: true},
	}
}

// For each layout, a directory built by the project in that layout gives the same greedy ids as the
// same weights in the standard layout (model.onnx at the top, float32 weights: the exported weights
// for a quantized variant), alone and through the scheduler with several slots; and Info names the
// layout and the variant.
func TestLayoutsGiveTheStandardTokens(t *testing.T) {
	needORT(t)
	dec := Decoding{MaxNewTokens: 24}
	cases := layoutCases()
	for _, lc := range cases {
		t.Run(lc.name, func(t *testing.T) {
			cfg, w := layoutModel(t)
			if lc.adjust != nil {
				lc.adjust(&cfg)
			}
			dir := layoutDir(t, cfg, w, lc.opts)
			opts := Options{Provider: ProviderCPU, Variant: lc.variant}
			if lc.chunked {
				opts.MaxPrefillLogitsBytes = int64(5 * cfg.VocabSize * 4)
			}
			m, err := Open(dir, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			info := m.Info()
			if info.Layout != lc.layout || info.Variant != lc.want {
				t.Errorf("layout %q variant %q, want %q %q", info.Layout, info.Variant, lc.layout, lc.want)
			}
			reqs := ortWorkload(t, m)
			got := streamVsAlone(t, m, reqs, dec)

			// The standard twin: model.onnx at the top, none of the I/O quirks, KV and logits types kept
			// (they round the numbers), and the weights the variant computes with in float32; int8 and
			// uint8 weights stay as they are, since ONNX Runtime computes them with quantized
			// activations (TestWeightKinds).
			tcfg, tw := onnxbuild.ExportedWeights(cfg, w)
			if cfg.Quant == onnxbuild.QuantInt8 || cfg.Quant == onnxbuild.QuantUint8 {
				tcfg, tw = cfg, w
			}
			tcfg.LastLogitsOnly, tcfg.LogitsToKeep, tcfg.CachePosition = false, "", false
			key := fmt.Sprintf("%+v|%s|%v", tcfg, cfg.Quant, lc.chunked) // the exported weights differ by kind
			var want [][]int
			if v, ok := twinCache.Load(key); ok {
				want = v.([][]int)
			} else {
				tm, err := Open(layoutDir(t, tcfg, tw, onnxbuild.DirOptions{}), Options{Provider: ProviderCPU, MaxPrefillLogitsBytes: opts.MaxPrefillLogitsBytes})
				if err != nil {
					t.Fatal(err)
				}
				if tm.Info().Layout != LayoutStandard && !tcfg.GenAI {
					t.Errorf("twin layout %q", tm.Info().Layout)
				}
				want = aloneIDs(t, tm, reqs, dec)
				tm.Close()
				twinCache.Store(key, want)
			}
			lengths := map[int]bool{}
			for i := range reqs {
				lengths[len(got[i].IDs)] = true
				if !reflect.DeepEqual(got[i].IDs, want[i]) {
					t.Errorf("request %d (%d prompt tokens): %s gives %v, the standard layout %v", i, len(reqs[i].PromptIDs), lc.name, got[i].IDs, want[i])
				}
			}
			if len(lengths) < 2 {
				t.Errorf("lengths %v: too few distinct finishing steps to exercise the scheduler", lengths)
			}
			// Seeded sampling through the scheduler equals each request alone in this layout too.
			streamVsAlone(t, m, reqs, Decoding{MaxNewTokens: 16, Temperature: 0.9, TopP: 0.95})
		})
	}
}

// Each weight kind of the transformers.js variants, as ONNX Runtime runs it, against the float64
// reference on the weights it stores (ExportedWeights): float16 weights, and 4-bit MatMulNBits +
// GatherBlockQuantized, within 1e-4 and with the reference's greedy tokens; 4-bit with float16 scales
// and activations within float16's error. int8 and uint8 weights (DequantizeLinear) match within 1e-5
// when ONNX Runtime's MatMulNBits accuracy level is 0, but its default rewrites DequantizeLinear ->
// MatMul into MatMulNBits at accuracy level 4, which quantizes each row's activations to int8: the
// logits then differ from the float32 weights' by a few hundredths. The runner runs them as ONNX
// Runtime's defaults do (what the same file gives anywhere else), and rows stay independent of the
// batch (TestLayoutsGiveTheStandardTokens). q8 (quantize_dynamic's int8 weights with activations
// quantized per tensor at run time) is within the error of 8-bit activations.
func TestWeightKinds(t *testing.T) {
	needORT(t)
	for _, c := range []struct {
		kind        string
		tol         float64
		exactTol    float64 // with session.qdq_matmulnbits_accuracy_level 0 (0 = not checked)
		greedyEqual bool
	}{
		{onnxbuild.QuantFP16, 1e-4, 0, true}, {onnxbuild.QuantQ4, 1e-4, 0, true}, {onnxbuild.QuantQ4F16, 0.05, 0, false},
		{onnxbuild.QuantInt8, 0.2, 1e-5, false}, {onnxbuild.QuantUint8, 0.2, 1e-5, false}, {onnxbuild.QuantQ8, 0.5, 0, false},
		{onnxbuild.QuantBnb4, 1e-4, 0, true},
	} {
		t.Run(c.kind, func(t *testing.T) {
			cfg, w := layoutModel(t)
			cfg.Quant = c.kind
			m, err := Open(layoutDir(t, cfg, w, onnxbuild.DirOptions{Layout: onnxbuild.LayoutTransformersJS, Variant: c.kind}), Options{Provider: ProviderCPU, Variant: c.kind})
			// (q8 as model_q8.onnx: the alias's own name as a suffix is found too)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			rcfg, rw := onnxbuild.ExportedWeights(cfg, w)
			prompt, _ := m.EncodePrompt("The quick brown fox jumps over the lazy dog", false, "")
			diff := func(st stepper) float64 {
				ls := &logStep{stepper: st}
				out, _, _ := runAll(t, ls, m.cfg, []Request{{PromptIDs: prompt}}, Decoding{MaxNewTokens: 8, EOSIDs: []int{-1}}, 1)
				worst := 0.0
				for k := range ls.logits {
					ref := onnxbuild.Reference(rcfg, rw, append(append([]int{}, prompt...), out[0].IDs[:k]...))
					last := ref[len(ref)-1]
					for j, v := range ls.logits[k] {
						worst = max(worst, math.Abs(float64(v)-last[j]))
					}
				}
				if c.greedyEqual {
					if want := referenceGreedy(rcfg, rw, prompt, 8); !reflect.DeepEqual(out[0].IDs, want) {
						t.Errorf("greedy %v, float64 reference %v", out[0].IDs, want)
					}
				}
				return worst
			}
			d := diff(m.st)
			t.Logf("%s: max abs logit diff %.3g against the float64 reference on the stored weights", c.kind, d)
			if d > c.tol {
				t.Errorf("max abs logit diff %.3g > %.3g", d, c.tol)
			}
			if c.exactTol > 0 {
				so, err := ortgo.NewSessionOptions()
				if err != nil {
					t.Fatal(err)
				}
				defer so.Destroy()
				if err := so.AddSessionConfigEntry("session.qdq_matmulnbits_accuracy_level", "0"); err != nil {
					t.Fatal(err)
				}
				st, err := newORTStep(m.md.ModelFile, m.contract, so)
				if err != nil {
					t.Fatal(err)
				}
				defer st.close()
				if d := diff(st); d > c.exactTol {
					t.Errorf("accuracy level 0: max abs logit diff %.3g > %.3g", d, c.exactTol)
				} else if d*100 > c.tol {
					t.Logf("accuracy level 0: %.3g", d)
				}
			}
		})
	}
}

// The variants a transformers.js directory ships side by side are found and picked by name; the
// plain model.onnx is the default, and a directory without it names the variants it has.
func TestVariantDiscovery(t *testing.T) {
	cfg, w := layoutModel(t)
	tjs := onnxbuild.DirOptions{Layout: onnxbuild.LayoutTransformersJS}
	dir := layoutDir(t, cfg, w, tjs)
	for _, v := range []struct {
		quant, variant string
	}{{onnxbuild.QuantFP16, "fp16"}, {onnxbuild.QuantQ4, "q4"}, {onnxbuild.QuantUint8, "quantized"}} {
		c := cfg
		c.Quant = v.quant
		o := tjs
		o.Variant = v.variant
		if err := onnxbuild.AddVariant(dir, c, w, o); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		variant, file, want string
	}{
		{"", "onnx/model.onnx", ""}, {"fp32", "onnx/model.onnx", ""}, {"default", "onnx/model.onnx", ""},
		{"fp16", "onnx/model_fp16.onnx", "fp16"}, {"q4", "onnx/model_q4.onnx", "q4"}, {"model_q4.onnx", "onnx/model_q4.onnx", "q4"},
		{"q8", "onnx/model_quantized.onnx", "quantized"}, {"quantized", "onnx/model_quantized.onnx", "quantized"},
	} {
		ch, err := Check(dir, Options{Variant: c.variant})
		if err != nil {
			t.Errorf("variant %q: %v", c.variant, err)
			continue
		}
		info := ch.Info()
		if info.ModelFile != filepath.Join(dir, filepath.FromSlash(c.file)) || info.Variant != c.want || info.Layout != LayoutTransformersJS ||
			!reflect.DeepEqual(info.Variants, []string{"default", "fp16", "q4", "quantized"}) {
			t.Errorf("variant %q: file %s variant %q layout %q variants %v", c.variant, info.ModelFile, info.Variant, info.Layout, info.Variants)
		}
	}
	if _, err := Check(dir, Options{Variant: "decoder_model_merged_q4.onnx"}); err == nil || !strings.Contains(err.Error(), `has no variant "decoder_model_merged_q4.onnx"`) {
		t.Errorf("a file name the directory lacks picked another graph: %v", err)
	}
	_, err := Check(dir, Options{Variant: "q4f16"})
	oneLine(t, err, "has no variant \"q4f16\"", "default (onnx/model.onnx)", "fp16 (onnx/model_fp16.onnx)", "q4 (onnx/model_q4.onnx)", "quantized (onnx/model_quantized.onnx)")

	// Without onnx/model.onnx: no default, and the error lists what there is.
	if err := os.Remove(filepath.Join(dir, "onnx", "model.onnx")); err != nil {
		t.Fatal(err)
	}
	_, err = Check(dir, Options{})
	oneLine(t, err, "has no plain decoder graph", "--variant NAME", "variant: in the benchmark config", "fp16 (onnx/model_fp16.onnx), q4 (onnx/model_q4.onnx)")
	if _, _, err := ModelHashes(dir, ""); err == nil {
		t.Error("ModelHashes without the default graph: no error")
	}
	g, _, err := ModelHashes(dir, "fp16")
	if sum, _ := fileSHA256(filepath.Join(dir, "onnx", "model_fp16.onnx")); err != nil || g != sum {
		t.Errorf("ModelHashes fp16: %s %v, want %s", g, err, sum)
	}
}

// Every file a layout reads is hashed, by its path in the model directory: the data chunks of an onnx/
// graph, and both graphs of a split pair (the first-step graph among the data files, so a changed one
// changes DataSHA256).
func TestLayoutFilesHashed(t *testing.T) {
	needORT(t)
	cfg, w := layoutModel(t)
	yes := true
	dir := layoutDir(t, cfg, w, onnxbuild.DirOptions{Layout: onnxbuild.LayoutTransformersJS, ExternalData: &yes, ExternalChunkBytes: 300 << 10})
	_, info, err := Inspect(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var locs []string
	for _, f := range info.DataFiles {
		locs = append(locs, f.Location)
		if sum, _ := fileSHA256(filepath.Join(dir, filepath.FromSlash(f.Location))); f.SHA256 != sum || f.Bytes <= 0 {
			t.Errorf("%s: sha256 %s bytes %d, file's sha256 %s", f.Location, f.SHA256, f.Bytes, sum)
		}
	}
	if len(locs) < 2 || locs[0] != "onnx/model.onnx_data" || locs[1] != "onnx/model.onnx_data_1" {
		t.Errorf("data files %v, want onnx/model.onnx_data, onnx/model.onnx_data_1, ...", locs)
	}
	if g, d, err := ModelHashes(dir, ""); err != nil || g != info.ModelSHA256 || d != info.DataSHA256 {
		t.Errorf("ModelHashes %s %s %v, Info %s %s", g, d, err, info.ModelSHA256, info.DataSHA256)
	}
	// A truncated chunk is found before ONNX Runtime.
	p := filepath.Join(dir, "onnx", "model.onnx_data_1")
	b, _ := os.ReadFile(p)
	os.WriteFile(p, b[:len(b)/2], 0o644)
	_, err = Check(dir, Options{})
	oneLine(t, err, "model.onnx_data_1 is", "reads", "truncated")

	split := layoutDir(t, cfg, w, onnxbuild.DirOptions{Layout: onnxbuild.LayoutOptimumSplit})
	_, info, err = Inspect(split, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if info.ModelFile != filepath.Join(split, "decoder_with_past_model.onnx") || info.FirstFile != filepath.Join(split, "decoder_model.onnx") ||
		len(info.DataFiles) != 1 || info.DataFiles[0].Location != "decoder_model.onnx" {
		t.Errorf("split pair: model %s first %s data %+v", info.ModelFile, info.FirstFile, info.DataFiles)
	}
	before := info.DataSHA256
	flipByte(t, filepath.Join(split, "decoder_model.onnx"), 100)
	if _, d, err := ModelHashes(split, ""); err != nil || d == before {
		t.Errorf("a changed decoder_model.onnx left DataSHA256 %s (%v)", d, err)
	}
}

// What cannot be fed correctly is refused before a session, in one line naming the file and the
// problem (ContractError lists what was found after that line).
func TestLayoutRefusals(t *testing.T) {
	cfg, w := layoutModel(t)
	split := layoutDir(t, cfg, w, onnxbuild.DirOptions{Layout: onnxbuild.LayoutOptimumSplit, Subfolder: true})
	if err := os.Remove(filepath.Join(split, "onnx", "decoder_model.onnx")); err != nil {
		t.Fatal(err)
	}
	_, err := Check(split, Options{})
	oneLine(t, err, "has onnx/decoder_with_past_model.onnx but not onnx/decoder_model.onnx", "split decoder needs both")

	noPast := layoutDir(t, cfg, w, onnxbuild.DirOptions{Layout: onnxbuild.LayoutOptimumSplit})
	os.Remove(filepath.Join(noPast, "decoder_with_past_model.onnx"))
	_, err = Check(noPast, Options{})
	oneLine(t, err, "has decoder_model.onnx but not decoder_with_past_model.onnx", "without a KV cache", "text-generation-with-past")

	gcfg := cfg
	gcfg.GenAI = true
	genai := layoutDir(t, gcfg, w, onnxbuild.DirOptions{})
	_, err = Check(genai, Options{Variant: "q4"})
	oneLine(t, err, "genai_config.json: model.decoder.filename names the graph (model.onnx)", `variant "q4" does not apply`)

	empty := filepath.Join(t.TempDir(), "m")
	os.MkdirAll(filepath.Join(empty, "onnx"), 0o755)
	os.WriteFile(filepath.Join(empty, "config.json"), []byte(`{"vocab_size": 354}`), 0o644)
	os.WriteFile(filepath.Join(empty, "onnx", "vision_encoder.onnx"), []byte("x"), 0o644)
	_, err = Check(empty, Options{})
	oneLine(t, err, "is missing model.onnx", "onnx/model.onnx", "decoder_model_merged.onnx")
}

// The contract's extra inputs and quirks, on hand-made I/O lists: what is accepted and what is refused.
func TestContractExtras(t *testing.T) {
	md := &modelDir{Names: defaultNames, VocabSize: 100, KVHeads: 2, HeadDim: 8}
	io := func(edit func(ins, outs []TensorInfo) ([]TensorInfo, []TensorInfo)) ([]TensorInfo, []TensorInfo) {
		ins := []TensorInfo{{"input_ids", "int64", []int64{-1, -1}}, {"attention_mask", "int64", []int64{-1, -1}}, {"position_ids", "int64", []int64{-1, -1}}}
		outs := []TensorInfo{{"logits", "float32", []int64{-1, -1, 100}}}
		for _, kv := range []string{"key", "value"} {
			ins = append(ins, TensorInfo{"past_key_values.0." + kv, "float32", []int64{-1, 2, -1, 8}})
			outs = append(outs, TensorInfo{"present.0." + kv, "float32", []int64{-1, 2, -1, 8}})
		}
		return edit(ins, outs)
	}
	for _, c := range []struct {
		name  string
		edit  func(ins, outs []TensorInfo) ([]TensorInfo, []TensorInfo)
		check func(c Contract) bool
		err   string
	}{
		{"use_cache_branch", func(i, o []TensorInfo) ([]TensorInfo, []TensorInfo) {
			return append(i, TensorInfo{"use_cache_branch", "bool", []int64{1}}), o
		}, func(c Contract) bool { return len(c.Extra) == 1 && c.Extra[0].Kind == ExtraUseCacheBranch }, ""},
		{"use_cache_branch int64", func(i, o []TensorInfo) ([]TensorInfo, []TensorInfo) {
			return append(i, TensorInfo{"use_cache_branch", "int64", []int64{1}}), o
		}, nil, "input use_cache_branch int64[1]: want bool [1]"},
		{"num_logits_to_keep scalar with [b,1,v] logits", func(i, o []TensorInfo) ([]TensorInfo, []TensorInfo) {
			o[0].Dims = []int64{-1, 1, 100}
			return append(i, TensorInfo{"num_logits_to_keep", "int64", []int64{}}), o
		}, func(c Contract) bool { return !c.LogitsLastOnly && c.Extra[0].Kind == ExtraLogitsToKeep }, ""},
		{"logits_to_keep float", func(i, o []TensorInfo) ([]TensorInfo, []TensorInfo) {
			return append(i, TensorInfo{"logits_to_keep", "float32", []int64{}}), o
		}, nil, "input logits_to_keep float32[]: want an int64 scalar"},
		{"last position logits", func(i, o []TensorInfo) ([]TensorInfo, []TensorInfo) {
			o[0].Dims = []int64{-1, 1, 100}
			return i, o
		}, func(c Contract) bool { return c.LogitsLastOnly && c.LogitsRank == 3 }, ""},
		{"2-d logits", func(i, o []TensorInfo) ([]TensorInfo, []TensorInfo) {
			o[0].Dims = []int64{-1, 100}
			return i, o
		}, func(c Contract) bool { return c.LogitsLastOnly && c.LogitsRank == 2 && c.Vocab == 100 }, ""},
		{"cache_position", func(i, o []TensorInfo) ([]TensorInfo, []TensorInfo) {
			return append(i, TensorInfo{"cache_position", "int64", []int64{-1}}), o
		}, func(c Contract) bool { return c.Extra[0].Kind == ExtraCachePosition }, ""},
		{"cache_position without position_ids", func(i, o []TensorInfo) ([]TensorInfo, []TensorInfo) {
			return append(append(i[:2:2], i[3:]...), TensorInfo{"cache_position", "int64", []int64{-1}}), o
		}, nil, `input "cache_position" without "position_ids"`},
		{"batch 1", func(i, o []TensorInfo) ([]TensorInfo, []TensorInfo) {
			i[0].Dims = []int64{1, -1}
			return i, o
		}, func(c Contract) bool { return c.MaxRows == 1 }, ""},
		{"batch 4", func(i, o []TensorInfo) ([]TensorInfo, []TensorInfo) {
			i[0].Dims = []int64{4, -1}
			return i, o
		}, nil, "input_ids int64[4,?] has a fixed batch of 4"},
		{"static past", func(i, o []TensorInfo) ([]TensorInfo, []TensorInfo) {
			i[3].Dims = []int64{-1, 2, 2048, 8}
			return i, o
		}, nil, "past_key_values.0.key float32[?,2,2048,8] has a fixed sequence length 2048"},
		{"5-d past", func(i, o []TensorInfo) ([]TensorInfo, []TensorInfo) {
			i[3].Dims = []int64{2, -1, 2, -1, 8}
			return i, o
		}, nil, `input "past_key_values.0.key" has 5 dimensions`},
		{"token_type_ids", func(i, o []TensorInfo) ([]TensorInfo, []TensorInfo) {
			return append(i, TensorInfo{"token_type_ids", "int64", []int64{-1, -1}}), o
		}, nil, "unexpected input token_type_ids int64[?,?] (no value for it is known to be correct)"},
	} {
		ins, outs := io(c.edit)
		got, err := buildContract(ins, outs, md)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil || !c.check(got) {
			t.Errorf("%s: %v %+v", c.name, err, got)
		}
	}

	// GroupQueryAttention keeps rows left-aligned: a cache_position vector cannot serve them.
	ins, outs := io(func(i, o []TensorInfo) ([]TensorInfo, []TensorInfo) {
		return append(i, TensorInfo{"cache_position", "int64", []int64{-1}}), o
	})
	c, err := buildContract(ins, outs, md)
	if err != nil {
		t.Fatal(err)
	}
	c.GroupQueryAttention = true
	p := &prepared{md: &modelDir{ModelFile: "/m/model.onnx", Names: defaultNames}, contract: c}
	if err := p.checkGraphs(&modelGraphs{}); err == nil || !strings.Contains(err.Error(), `input "cache_position" with GroupQueryAttention`) {
		t.Errorf("GroupQueryAttention with cache_position: %v", err)
	}
}

// feedsFor gives each extra input the value a step needs, and the logits the positions read.
func TestFeedsFor(t *testing.T) {
	c := Contract{Vocab: 10, LogitsRank: 3, Extra: []ExtraInput{
		{Name: "use_cache_branch", Kind: ExtraUseCacheBranch, Type: "bool", Dims: []int64{1}},
		{Name: "num_logits_to_keep", Kind: ExtraLogitsToKeep, Type: "int64", Dims: []int64{}},
		{Name: "cache_position", Kind: ExtraCachePosition, Type: "int64", Dims: []int64{-1}},
	}}
	// A prefill from an empty cache, rows read at their own last positions (right-padded rows).
	f, err := c.feedsFor(3, 0, 5, []int{4, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if v := f.Extra["use_cache_branch"]; !reflect.DeepEqual(v.Bool, []bool{false}) || !reflect.DeepEqual(v.Shape, []int64{1}) {
		t.Errorf("use_cache_branch %+v", v)
	}
	if v := f.Extra["num_logits_to_keep"]; !reflect.DeepEqual(v.Int, []int64{4}) || len(v.Shape) != 0 || f.Covered != 4 {
		t.Errorf("num_logits_to_keep %+v covered %d", v, f.Covered)
	}
	if v := f.Extra["cache_position"]; !reflect.DeepEqual(v.Int, []int64{0, 1, 2, 3, 4}) || !reflect.DeepEqual(v.Shape, []int64{5}) {
		t.Errorf("cache_position %+v", v)
	}
	if !reflect.DeepEqual(f.LogitsShape, []int64{3, 4, 10}) {
		t.Errorf("logits shape %v", f.LogitsShape)
	}
	if j, err := f.logitsRow(1, 5); err != nil || j != 0 {
		t.Errorf("position 1 -> row %d %v", j, err)
	}
	if _, err := f.logitsRow(0, 5); err == nil {
		t.Error("position 0 is not covered")
	}
	// A decode step after 7 columns.
	f, _ = c.feedsFor(2, 7, 1, nil)
	if f.Extra["use_cache_branch"].Bool[0] != true || f.Extra["num_logits_to_keep"].Int[0] != 1 || !reflect.DeepEqual(f.Extra["cache_position"].Int, []int64{7}) || f.Covered != 1 {
		t.Errorf("decode step feeds %+v", f)
	}

	// Last position only: a prefill read elsewhere is refused with errLastOnly.
	lo := Contract{Vocab: 10, LogitsRank: 3, LogitsLastOnly: true}
	if _, err := lo.feedsFor(2, 0, 5, []int{4, 2}); err == nil || !strings.Contains(err.Error(), "cover only the last position") {
		t.Errorf("last-only graph asked for position 2: %v", err)
	}
	if f, err := lo.feedsFor(2, 0, 5, []int{4, 4}); err != nil || f.Covered != 1 || !reflect.DeepEqual(f.LogitsShape, []int64{2, 1, 10}) {
		t.Errorf("last-only prefill: %+v %v", f, err)
	}
	lo.LogitsRank = 2
	if f, _ := lo.feedsFor(2, 3, 1, nil); !reflect.DeepEqual(f.LogitsShape, []int64{2, 10}) {
		t.Errorf("2-d logits shape %v", f.LogitsShape)
	}

	// A split pair: the first step runs the first graph with its own inputs and extras.
	sp := Contract{Vocab: 10, LogitsRank: 3, Inputs: []TensorInfo{{Name: "main"}},
		First: &FirstGraph{LogitsRank: 3, Inputs: []TensorInfo{{Name: "first"}}}}
	if f, _ := sp.feedsFor(1, 0, 4, nil); !f.First || f.Inputs[0].Name != "first" {
		t.Errorf("first step: %+v", f)
	}
	if f, _ := sp.feedsFor(1, 4, 1, nil); f.First || f.Inputs[0].Name != "main" {
		t.Errorf("later step: %+v", f)
	}
}

// A GroupQueryAttention graph whose logits cover only the last position is never asked for another:
// the scheduler prefills its prompts one row at a time, and the stepper refuses a direct request.
func TestLastLogitsOnlyGQA(t *testing.T) {
	needORT(t)
	cfg, w := layoutModel(t)
	cfg.GenAI, cfg.LastLogitsOnly = true, true
	m, err := Open(layoutDir(t, cfg, w, onnxbuild.DirOptions{}), Options{Provider: ProviderCPU})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if !m.cfg.lastLogitsOnly || !m.cfg.leftAligned {
		t.Fatalf("genConfig: lastLogitsOnly %v leftAligned %v", m.cfg.lastLogitsOnly, m.cfg.leftAligned)
	}
	s := &scheduler{cfg: m.cfg}
	if s.canBatchPrefill(2, 8) || !s.canBatchPrefill(1, 8) {
		t.Error("canBatchPrefill allows a multi-row prefill of a last-position-only GroupQueryAttention graph")
	}
	past := m.st.alloc(2, 0)
	ids := []int64{1, 5, 6, 1, 7, 2}
	mask := []int64{1, 1, 1, 1, 1, 0}
	_, _, err = m.st.step(past, ids, mask, make([]int64, 6), 3, []int{2, 1})
	if err == nil || !strings.Contains(err.Error(), "cover only the last position") {
		t.Errorf("step asked for position 1 of a last-only graph: %v", err)
	}
}

// A split pair runs decoder_model.onnx for the step from an empty cache and decoder_with_past_model.onnx
// for every later one: with a first-step graph whose logits force token 77, every completion starts
// with 77 and goes on as the standard layout does after the prompt and 77.
func TestSplitPairRunsTheFirstGraphFirst(t *testing.T) {
	needORT(t)
	cfg, w := layoutModel(t)
	split := layoutDir(t, cfg, w, onnxbuild.DirOptions{Layout: onnxbuild.LayoutOptimumSplit})
	forced := onnxbuild.RandomWeights(cfg, 9)
	forced.LMHeadBias = append([]float32(nil), w.LMHeadBias...)
	forced.LMHeadBias[77] += 1000
	other := layoutDir(t, cfg, forced, onnxbuild.DirOptions{Layout: onnxbuild.LayoutOptimumSplit})
	b, err := os.ReadFile(filepath.Join(other, "decoder_model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(split, "decoder_model.onnx"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Open(split, Options{Provider: ProviderCPU})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	std, err := Open(layoutDir(t, cfg, w, onnxbuild.DirOptions{}), Options{Provider: ProviderCPU})
	if err != nil {
		t.Fatal(err)
	}
	defer std.Close()
	reqs := ortWorkload(t, m)
	dec := Decoding{MaxNewTokens: 12}
	got := streamVsAlone(t, m, reqs, dec)
	for i, r := range reqs {
		if len(got[i].IDs) == 0 || got[i].IDs[0] != 77 {
			t.Fatalf("request %d: %v does not start with the first-step graph's token 77", i, got[i].IDs)
		}
		after := Request{PromptIDs: append(append([]int{}, r.PromptIDs...), 77)}
		want, err := std.Generate(t.Context(), []Request{after}, Decoding{MaxNewTokens: dec.MaxNewTokens - 1})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got[i].IDs[1:], want[0].IDs) {
			t.Errorf("request %d: after 77 the split pair gives %v, the standard layout %v", i, got[i].IDs[1:], want[0].IDs)
		}
	}
}

// A dynamically quantized graph (transformers.js's model_quantized.onnx as ONNX Runtime's
// quantize_dynamic writes it: DynamicQuantizeLinear gives a whole batch one activation scale) gives a row
// other logits beside other rows than alone, so the runner runs its rows one at a time and says so; its
// results then do not depend on the batch.
func TestDynamicQuantRowsAlone(t *testing.T) {
	needORT(t)
	cfg, w := layoutModel(t)
	cfg.Quant = onnxbuild.QuantQ8
	m, err := Open(layoutDir(t, cfg, w, onnxbuild.DirOptions{Layout: onnxbuild.LayoutTransformersJS, Variant: "quantized"}), Options{Provider: ProviderCPU, Variant: "q8"})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.Contract().MaxRows != 1 || len(m.Info().Warnings) != 1 || !strings.Contains(m.Info().Warnings[0], "model_quantized.onnx quantizes activations per tensor at run time (DynamicQuantizeLinear)") {
		t.Fatalf("max rows %d, warnings %q", m.Contract().MaxRows, m.Info().Warnings)
	}
	reqs := encodeAll(t, m, []string{"The quick brown fox", "A slow yellow hound"})
	// The stepper itself, both prompts in one prefill: row 1's logits differ from its logits alone.
	both := &logStep{stepper: m.st}
	runAll(t, both, m.cfg, reqs, Decoding{MaxNewTokens: 1}, 2)
	alone := &logStep{stepper: m.st}
	runAll(t, alone, m.cfg, reqs[1:], Decoding{MaxNewTokens: 1}, 1)
	vocab := m.Contract().Vocab
	if len(both.logits[0]) != 2*vocab {
		t.Fatalf("the two prompts were not prefilled together (%d logits)", len(both.logits[0]))
	}
	worst := 0.0
	for j := range vocab {
		worst = math.Max(worst, math.Abs(float64(both.logits[0][vocab+j]-alone.logits[0][j])))
	}
	if worst == 0 {
		t.Errorf("a row's logits beside another row equal its logits alone: dynamic quantization would not need rows alone")
	}
	t.Logf("a row's logits beside another and alone differ by up to %.3g", worst)
	// Through Model.Stream: every request as alone, whatever the slots.
	reqs = ortWorkload(t, m)
	dec := Decoding{MaxNewTokens: 16}
	want := aloneIDs(t, m, reqs, dec)
	for _, slots := range []int{4, 0} {
		got := make([][]int, len(reqs))
		st, err := m.Stream(t.Context(), reqs, dec, slots, func(i int, c Completion) error { got[i] = c.IDs; return nil })
		if err != nil {
			t.Fatal(err)
		}
		if st.Slots != 1 || !reflect.DeepEqual(got, want) {
			t.Errorf("slots %d: ran %d rows, ids equal alone: %v", slots, st.Slots, reflect.DeepEqual(got, want))
		}
	}
}

// Layout discovery on arbitrary file names and variant strings: never a panic; a pick is a graph file
// that exists (both of a split pair), and the plain variant is picked only by its plain name.
func FuzzPickGraph(f *testing.F) {
	for _, s := range [][2]string{
		{"model.onnx", ""}, {"onnx/model_q4.onnx onnx/model.onnx", "q4"}, {"decoder_model_merged_quantized.onnx", "q8"},
		{"onnx/decoder_model.onnx onnx/decoder_with_past_model.onnx", "fp32"}, {"decoder_model_merged.onnx model_.onnx", "model_.onnx"},
		{"onnx/decoder_model_merged_merged.onnx decoder_model_x.onnx", "merged"}, {"onnx/model__.onnx", "_"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, names, variant string) {
		dir := t.TempDir()
		for _, n := range strings.Fields(names) {
			if len(n) > 60 || strings.Contains(n, "..") || strings.HasPrefix(n, "/") || strings.Count(n, "/") > 1 {
				continue
			}
			p := filepath.Join(dir, filepath.FromSlash(n))
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, []byte("x"), 0o644)
		}
		m := &modelDir{Dir: dir}
		if err := m.pickGraph(variant, ""); err != nil {
			return
		}
		for _, f := range []string{m.ModelFile, m.FirstFile} {
			if f == "" {
				continue
			}
			if _, err := os.Stat(f); err != nil || !strings.HasSuffix(f, ".onnx") {
				t.Fatalf("picked %q (%v) for %q in %q", f, err, variant, names)
			}
		}
		if (m.Layout == LayoutOptimumSplit) != (m.FirstFile != "") {
			t.Fatalf("layout %s with first file %q", m.Layout, m.FirstFile)
		}
		if m.Variant == "" && normalizeVariant(variant) != "" {
			t.Fatalf("variant %q picked the plain graph %s", variant, m.ModelFile)
		}
	})
}

// Both steppers (the device-bound cache, the default, and the Go-buffer one, Options.HostKV) feed every
// layout the same way: equal greedy ids through the scheduler.
func TestLayoutsHostKVEqualsDevice(t *testing.T) {
	needORT(t)
	dec := Decoding{MaxNewTokens: 16}
	for _, lc := range layoutCases() {
		t.Run(lc.name, func(t *testing.T) {
			cfg, w := layoutModel(t)
			if lc.adjust != nil {
				lc.adjust(&cfg)
			}
			dir := layoutDir(t, cfg, w, lc.opts)
			var ids [2][][]int
			for i, host := range []bool{false, true} {
				opts := Options{Provider: ProviderCPU, Variant: lc.variant, HostKV: host}
				if lc.chunked {
					opts.MaxPrefillLogitsBytes = int64(5 * cfg.VocabSize * 4)
				}
				m, err := Open(dir, opts)
				if err != nil {
					t.Fatal(err)
				}
				reqs := ortWorkload(t, m)
				ids[i] = make([][]int, len(reqs))
				if _, err := m.Stream(t.Context(), reqs, dec, 3, func(j int, c Completion) error { ids[i][j] = c.IDs; return nil }); err != nil {
					t.Fatal(err)
				}
				m.Close()
			}
			if !reflect.DeepEqual(ids[0], ids[1]) {
				t.Errorf("device-bound cache %v\nGo buffers %v", ids[0], ids[1])
			}
		})
	}
}
