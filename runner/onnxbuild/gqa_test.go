package onnxbuild

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestGenAIGraphMatchesReference runs the genai-style graph (GroupQueryAttention with rotary inside,
// packed QKV, no position_ids) on ONNX Runtime's CPU provider and compares its logits with the float64
// reference for the same weights: full prefill, prefill then one-token decode steps with the cache, a
// prompt fed in two chunks (GroupQueryAttention's "subsequent prompt" case), and a batch of two
// equal-length rows; both rotary layouts, tied and untied heads.
func TestGenAIGraphMatchesReference(t *testing.T) {
	initORT(t)
	var worst float64
	for _, v := range []struct{ interleaved, untied bool }{{false, false}, {true, true}, {false, true}} {
		t.Run(fmt.Sprintf("interleaved=%v/untied=%v", v.interleaved, v.untied), func(t *testing.T) {
			cfg := testConfig()
			cfg.Dim, cfg.Heads, cfg.KVHeads = 64, 4, 2 // head dim 16: GroupQueryAttention needs a multiple of 16
			cfg.GenAI, cfg.RopeInterleaved, cfg.TieEmbeddings = true, v.interleaved, !v.untied
			w := RandomWeights(cfg, 11)
			model, err := BuildONNX(cfg, w)
			if err != nil {
				t.Fatal(err)
			}
			const tol = 1e-4
			check := func(what string, got []float32, want []float64) {
				t.Helper()
				d := maxDiff(got, want)
				worst = max(worst, d)
				if d > tol {
					t.Errorf("%s: max abs logit diff %.3g > %.3g", what, d, tol)
				}
			}
			a := []int{1, 17, 33, 4, 59, 20, 8, 41, 3, 12}
			b := []int{1, 5, 44, 9, 30, 6, 50, 2, 7, 19}
			refA, refB := Reference(cfg, w, a), Reference(cfg, w, b)

			dec := newDecoder(t, cfg, "", model, 1)
			lg := dec.step(t, [][]int64{seqOf(a)}, [][]int64{ones(len(a))}, nil)
			for i := range a {
				check(fmt.Sprintf("prefill pos %d", i), lg[0][i], refA[i])
			}

			dec = newDecoder(t, cfg, "", model, 1)
			lg = dec.step(t, [][]int64{seqOf(a[:4])}, [][]int64{ones(4)}, nil)
			for i := range 4 {
				check(fmt.Sprintf("cached prefill pos %d", i), lg[0][i], refA[i])
			}
			lg = dec.step(t, [][]int64{seqOf(a[4:7])}, [][]int64{ones(7)}, nil)
			for i := 4; i < 7; i++ {
				check(fmt.Sprintf("second chunk pos %d", i), lg[0][i-4], refA[i])
			}
			for i := 7; i < len(a); i++ {
				lg = dec.step(t, [][]int64{{int64(a[i])}}, [][]int64{ones(i + 1)}, nil)
				check(fmt.Sprintf("decode pos %d", i), lg[0][0], refA[i])
			}

			pre := 6
			dec = newDecoder(t, cfg, "", model, 2)
			lg = dec.step(t, [][]int64{seqOf(a[:pre]), seqOf(b[:pre])}, [][]int64{ones(pre), ones(pre)}, nil)
			for i := range pre {
				check(fmt.Sprintf("batch row 0 pos %d", i), lg[0][i], refA[i])
				check(fmt.Sprintf("batch row 1 pos %d", i), lg[1][i], refB[i])
			}
			for i := pre; i < len(a); i++ {
				lg = dec.step(t, [][]int64{{int64(a[i])}, {int64(b[i])}}, [][]int64{ones(i + 1), ones(i + 1)}, nil)
				check(fmt.Sprintf("batch decode row 0 pos %d", i), lg[0][0], refA[i])
				check(fmt.Sprintf("batch decode row 1 pos %d", i), lg[1][0], refB[i])
			}
		})
	}
	t.Logf("genai graph: max abs logit diff vs float64 reference %.3g", worst)
}

func TestGenAIConfigValidation(t *testing.T) {
	cfg := testConfig()
	cfg.GenAI, cfg.KVFloat16 = true, true
	if err := cfg.Validate(); err == nil {
		t.Error("genai with float16 KV accepted")
	}
	cfg.KVFloat16 = false
	if err := cfg.Validate(); err == nil { // head dim 8
		t.Error("genai with head dim 8 accepted")
	}
}

// The rotary_interleaved attribute matters: the graph built for one layout is far from the reference
// of the other, so the match above is not an accident of a layout-blind test.
func TestGenAIRotaryLayoutMatters(t *testing.T) {
	initORT(t)
	cfg := testConfig()
	cfg.Dim, cfg.Heads, cfg.KVHeads, cfg.GenAI, cfg.RopeInterleaved = 64, 4, 2, true, true
	w := RandomWeights(cfg, 11)
	model, err := BuildONNX(cfg, w)
	if err != nil {
		t.Fatal(err)
	}
	ids := []int{1, 17, 33, 4, 59, 20}
	lg := newDecoder(t, cfg, "", model, 1).step(t, [][]int64{seqOf(ids)}, [][]int64{ones(len(ids))}, nil)
	other := cfg
	other.RopeInterleaved = false
	ref := Reference(other, w, ids)
	if d := maxDiff(lg[0][len(ids)-1], ref[len(ids)-1]); d < 1e-2 {
		t.Errorf("interleaved graph vs half-split reference differ by only %.3g", d)
	}
}

// WriteModelDir with GenAI writes the genai layout: model.onnx, genai_config.json with the builder's
// keys, the tokenizer files, and neither config.json nor generation_config.json; external data loads.
func TestGenAIModelDir(t *testing.T) {
	initORT(t)
	cfg := testConfig()
	cfg.Dim, cfg.Heads, cfg.KVHeads, cfg.GenAI, cfg.EOSTokenIDs = 64, 4, 2, true, []int{2, 3}
	w := RandomWeights(cfg, 5)
	dir := filepath.Join(t.TempDir(), "g")
	ext := true
	if err := WriteModelDir(dir, cfg, w, DirOptions{TokenizerJSON: []byte("{}"), ExternalData: &ext}); err != nil {
		t.Fatal(err)
	}
	for f, want := range map[string]bool{"model.onnx": true, ExternalDataName: true, "genai_config.json": true, "tokenizer.json": true,
		"config.json": false, "generation_config.json": false} {
		if _, err := os.Stat(filepath.Join(dir, f)); (err == nil) != want {
			t.Errorf("%s: present=%v, want %v", f, err == nil, want)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "genai_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var gc struct {
		Model struct {
			Context int   `json:"context_length"`
			Vocab   int   `json:"vocab_size"`
			Pad     int   `json:"pad_token_id"`
			EOS     []int `json:"eos_token_id"`
			Type    string
			Decoder struct {
				Filename        string
				HeadSize        int `json:"head_size"`
				Heads           int `json:"num_attention_heads"`
				KVHeads         int `json:"num_key_value_heads"`
				Layers          int `json:"num_hidden_layers"`
				Inputs, Outputs map[string]string
				SessionOptions  map[string]any `json:"session_options"`
			}
		}
		Search map[string]any
	}
	if err := json.Unmarshal(b, &gc); err != nil {
		t.Fatal(err)
	}
	d := gc.Model.Decoder
	if d.Filename != "model.onnx" || d.HeadSize != 16 || d.Heads != 4 || d.KVHeads != 2 || d.Layers != 2 ||
		gc.Model.Type != "llama" || gc.Model.Context != cfg.MaxSeqLen || gc.Model.Vocab != cfg.VocabSize || gc.Model.Pad != 2 || !reflect.DeepEqual(gc.Model.EOS, []int{2, 3}) ||
		d.Inputs["past_key_names"] != "past_key_values.%d.key" || d.Outputs["present_value_names"] != "present.%d.value" ||
		d.Inputs["position_ids"] != "" || gc.Search["past_present_share_buffer"] != true {
		t.Errorf("genai_config.json:\n%s", b)
	}
	ids := []int{1, 7, 9, 23, 4}
	lg := newDecoder(t, cfg, filepath.Join(dir, "model.onnx"), nil, 1).step(t, [][]int64{seqOf(ids)}, [][]int64{ones(5)}, nil)
	if dd := maxDiff(lg[0][4], Reference(cfg, w, ids)[4]); dd > 1e-4 {
		t.Errorf("external-data genai model: logit diff %.3g", dd)
	}
}

// An int4 genai graph (MatMulNBits projections, as the genai builder's -p int4 makes) runs on ONNX
// Runtime's CPU provider and matches the float64 reference on the dequantized weights, for prefill
// and cached decode; hidden dim 48 makes the down projection's last block a padded one.
func TestGenAIInt4MatchesReference(t *testing.T) {
	initORT(t)
	cfg := testConfig()
	cfg.Dim, cfg.Heads, cfg.KVHeads, cfg.GenAI, cfg.Int4, cfg.TieEmbeddings = 64, 4, 2, true, true, false
	w := RandomWeights(cfg, 13)
	model, err := BuildONNX(cfg, w)
	if err != nil {
		t.Fatal(err)
	}
	ids := []int{1, 17, 33, 4, 59, 20, 8, 41}
	ref := Reference(cfg, DequantizedInt4(cfg, w), ids)
	dec := newDecoder(t, cfg, "", model, 1)
	lg := dec.step(t, [][]int64{seqOf(ids[:5])}, [][]int64{ones(5)}, nil)
	var worst float64
	for i := range 5 {
		worst = max(worst, maxDiff(lg[0][i], ref[i]))
	}
	for i := 5; i < len(ids); i++ {
		lg = dec.step(t, [][]int64{{int64(ids[i])}}, [][]int64{ones(i + 1)}, nil)
		worst = max(worst, maxDiff(lg[0][0], ref[i]))
	}
	if worst > 1e-4 {
		t.Errorf("int4 graph vs reference on dequantized weights: max abs logit diff %.3g", worst)
	}
	full := Reference(cfg, w, ids)
	if d := maxDiff(lg[0][0], full[len(ids)-1]); d < 1e-3 {
		t.Errorf("int4 logits are within %.3g of the unquantized model's: quantization did not happen", d)
	}
	t.Logf("int4 (MatMulNBits) graph: max abs logit diff vs reference on dequantized weights %.3g", worst)
}
