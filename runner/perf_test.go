package runner

import (
	"testing"

	"github.com/acoer/acoer-bench/runner/onnxbuild"
)

// The graph reader sizes a seeded model's weights exactly: every parameter at 4 bytes, of which the
// token embedding (and the rotary tables) are only gathered (the lm_head is not tied in the presets, so it is streamed).
func TestGraphFileWeights(t *testing.T) {
	for _, genai := range []bool{false, true} {
		cfg, err := onnxbuild.Preset("tiny", len(onnxbuild.ByteTokenizerPieces()))
		if err != nil {
			t.Fatal(err)
		}
		cfg.GenAI = genai
		dir := t.TempDir()
		if err := onnxbuild.WriteSeededModelDir(dir, cfg, 3, 0, onnxbuild.DirOptions{}); err != nil {
			t.Fatal(err)
		}
		g, err := readGraphFile(dir + "/model.onnx")
		if err != nil {
			t.Fatal(err)
		}
		d, h, kv, v, L := int64(cfg.Dim), int64(cfg.HiddenDim), int64(cfg.KVDim()), int64(cfg.VocabSize), int64(cfg.Layers)
		params := v*d + L*(2*d+d*d+2*d*kv+d*d+3*d*h) + d + v*d // embedding, layers (2 norms, q, k, v, o, ffn), final norm, lm_head
		// The rotary tables (and genai's cos/sin caches) are initializers too, but small: allow them.
		if g.WeightBytes < 4*params || g.WeightBytes > 4*params+int64(4*cfg.MaxSeqLen*cfg.HeadDim()*2)+4096 {
			t.Errorf("genai %v: weight bytes %d, parameters %d x 4", genai, g.WeightBytes, params)
		}
		// Gathered: the embedding, and in the standard graph the rotary tables (Gather by position_ids).
		rope := int64(0)
		if !genai {
			rope = 2 * int64(cfg.MaxSeqLen*cfg.HeadDim()/2) * 4
		}
		if g.GatheredBytes != 4*v*d+rope {
			t.Errorf("genai %v: gathered bytes %d, want the embedding %d + rotary tables %d", genai, g.GatheredBytes, 4*v*d, rope)
		}
		if g.Ops["com.microsoft.GroupQueryAttention"] != genai || !g.Ops["MatMul"] {
			t.Errorf("genai %v: ops %v", genai, g.Ops)
		}
	}
}

// Perf runs every measurement and reports consistent figures.
func TestPerfTiny(t *testing.T) {
	m := seededModel(t, false)
	r, err := m.Perf(t.Context(), PerfOptions{PromptTokens: []int{4, 12}, GenTokens: []int{6}, Batches: []int{1, 3}, Repeat: 2, Warmup: 1, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Prefill) != 2 || len(r.Decode) != 2 || r.WeightBytes <= r.StreamedBytes || r.StreamedBytes <= 0 || r.BandwidthGBs <= 0 {
		t.Fatalf("report %+v", r)
	}
	for _, p := range r.Prefill {
		if p.TokensPerSecond <= 0 || p.TTFTP50 <= 0 || p.TTFTP90 < p.TTFTP50 || p.PeakRSS <= 0 {
			t.Errorf("prefill %+v", p)
		}
	}
	for _, d := range r.Decode {
		if d.PromptTokens != 4 || d.TokensPerSecond <= 0 || d.EndToEndTPS <= 0 || d.EndToEndTPS > d.TokensPerSecond*float64(d.GenTokens) || d.StepP90 < d.StepP50 {
			t.Errorf("decode %+v", d)
		}
		if (d.Batch == 1) != (d.BoundMs > 0) || d.Batch == 1 && (d.BoundFraction <= 0 || d.BoundFraction != d.BoundMs/d.StepP50) {
			t.Errorf("bound %+v", d)
		}
	}
	if _, err := m.Perf(t.Context(), PerfOptions{PromptTokens: []int{4000}, GenTokens: []int{1}, Batches: []int{1}, SkipBandwidth: true}); err == nil {
		t.Error("a prompt beyond the context was accepted")
	}
}
