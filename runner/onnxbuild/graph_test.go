package onnxbuild

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func testConfig() LlamaConfig {
	return LlamaConfig{VocabSize: 61, Dim: 32, HiddenDim: 48, Layers: 2, Heads: 4, KVHeads: 2, MaxSeqLen: 64,
		RopeTheta: 10000, NormEps: 1e-5, TieEmbeddings: true, BOSTokenID: 1, EOSTokenIDs: []int{2}}
}

// maxDiff returns the largest |got - want| over a row.
func maxDiff(got []float32, want []float64) float64 {
	var m float64
	for i := range got {
		if d := math.Abs(float64(got[i]) - want[i]); d > m || math.IsNaN(d) {
			m = d
			if math.IsNaN(d) {
				return math.Inf(1)
			}
		}
	}
	return m
}

func seqOf(ids []int) []int64 {
	v := make([]int64, len(ids))
	for i, x := range ids {
		v[i] = int64(x)
	}
	return v
}

func ones(n int) []int64 {
	v := make([]int64, n)
	for i := range v {
		v[i] = 1
	}
	return v
}

func iota64(from, n int) []int64 {
	v := make([]int64, n)
	for i := range v {
		v[i] = int64(from + i)
	}
	return v
}

// TestGraphMatchesReference runs the exported graph on ONNX Runtime and compares its logits with the
// float64 reference: full prefill, prefill then decoding one token at a time with the KV cache, and
// a left-padded batch, for both rotary layouts, float32 and float16 KV, tied and untied heads.
func TestGraphMatchesReference(t *testing.T) {
	initORT(t)
	type variant struct {
		interleaved, fp16, untied, noPos bool
	}
	var worst = map[bool]float64{}
	for _, v := range []variant{{false, false, false, false}, {true, false, true, false}, {false, true, true, false}, {true, true, false, false}, {false, false, true, true}} {
		t.Run(fmt.Sprintf("interleaved=%v/kvfp16=%v/untied=%v/noposids=%v", v.interleaved, v.fp16, v.untied, v.noPos), func(t *testing.T) {
			cfg := testConfig()
			cfg.RopeInterleaved, cfg.KVFloat16, cfg.TieEmbeddings, cfg.NoPositionIDs = v.interleaved, v.fp16, !v.untied, v.noPos
			w := RandomWeights(cfg, 7)
			if v.untied {
				if err := w.AddLogitBias(cfg.VocabSize, 2, 1.5); err != nil {
					t.Fatal(err)
				}
			}
			model, err := BuildONNX(cfg, w)
			if err != nil {
				t.Fatal(err)
			}
			tol := 1e-4
			if v.fp16 {
				tol = 2e-3 // float16 rounding boundaries differ between float32 and float64 inputs
			}
			check := func(what string, got []float32, want []float64) {
				t.Helper()
				d := maxDiff(got, want)
				if d > worst[v.fp16] {
					worst[v.fp16] = d
				}
				if d > tol {
					t.Errorf("%s: max abs logit diff %.3g > %.3g", what, d, tol)
				}
			}
			a := []int{1, 17, 33, 4, 59, 20, 8, 41, 3, 12}
			b := []int{1, 5, 44, 9, 30, 6}
			refA, refB := Reference(cfg, w, a), Reference(cfg, w, b)

			// Full prefill, batch 1.
			dec := newDecoder(t, cfg, "", model, 1)
			lg := dec.step(t, [][]int64{seqOf(a)}, [][]int64{ones(len(a))}, [][]int64{iota64(0, len(a))})
			for i := range a {
				check(fmt.Sprintf("prefill pos %d", i), lg[0][i], refA[i])
			}

			// Prefill 5 then decode one at a time.
			dec = newDecoder(t, cfg, "", model, 1)
			lg = dec.step(t, [][]int64{seqOf(a[:5])}, [][]int64{ones(5)}, [][]int64{iota64(0, 5)})
			for i := range 5 {
				check(fmt.Sprintf("cached prefill pos %d", i), lg[0][i], refA[i])
			}
			for i := 5; i < len(a); i++ {
				lg = dec.step(t, [][]int64{{int64(a[i])}}, [][]int64{ones(i + 1)}, [][]int64{{int64(i)}})
				check(fmt.Sprintf("decode pos %d", i), lg[0][0], refA[i])
			}

			// Left-padded batch: b is padded by len(a)-len(b) on the left (pad id 0, position 1 as
			// Hugging Face fills it), prefill all but the last two of a, then decode two steps.
			pad := len(a) - len(b)
			pre := len(a) - 2
			rowB := append(make([]int64, pad), seqOf(b)...)
			maskB := append(make([]int64, pad), ones(len(b))...)
			posB := append(ones(pad), iota64(0, len(b))...)
			dec = newDecoder(t, cfg, "", model, 2)
			lg = dec.step(t, [][]int64{seqOf(a[:pre]), rowB[:pre]}, [][]int64{ones(pre), maskB[:pre]},
				[][]int64{iota64(0, pre), posB[:pre]})
			for i := range pre {
				check(fmt.Sprintf("batch row 0 pos %d", i), lg[0][i], refA[i])
				if i >= pad {
					check(fmt.Sprintf("batch row 1 pos %d", i), lg[1][i], refB[i-pad])
				}
				for _, x := range lg[1][i] {
					if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
						t.Fatalf("padding row %d has non-finite logits", i)
					}
				}
			}
			for i := pre; i < len(a); i++ {
				lg = dec.step(t, [][]int64{{int64(a[i])}, {rowB[i]}}, [][]int64{ones(i + 1), maskB[:i+1]},
					[][]int64{{int64(i)}, {posB[i]}})
				check(fmt.Sprintf("batch decode row 0 pos %d", i), lg[0][0], refA[i])
				check(fmt.Sprintf("batch decode row 1 pos %d", i), lg[1][0], refB[i-pad])
			}
		})
	}
	t.Logf("max abs logit diff vs float64 reference: float32 KV %.3g, float16 KV %.3g", worst[false], worst[true])
}

// TestExternalDataMatchesInline writes the same model inline and with external data and checks
// both load and give identical logits.
func TestExternalDataMatchesInline(t *testing.T) {
	initORT(t)
	cfg := testConfig()
	w := RandomWeights(cfg, 3)
	ids := [][]int64{{1, 7, 9, 23, 4}}
	var results [][]float32
	for _, ext := range []bool{false, true} {
		dir := filepath.Join(t.TempDir(), "m")
		if err := WriteModelDir(dir, cfg, w, DirOptions{ExternalData: &ext}); err != nil {
			t.Fatal(err)
		}
		_, statErr := os.Stat(filepath.Join(dir, ExternalDataName))
		if (statErr == nil) != ext {
			t.Fatalf("external=%v but %s stat err=%v", ext, ExternalDataName, statErr)
		}
		dec := newDecoder(t, cfg, filepath.Join(dir, "model.onnx"), nil, 1)
		lg := dec.step(t, ids, [][]int64{ones(5)}, [][]int64{iota64(0, 5)})
		results = append(results, lg[0][4])
	}
	for i := range results[0] {
		if results[0][i] != results[1][i] {
			t.Fatalf("logit %d: inline %v, external %v", i, results[0][i], results[1][i])
		}
	}
}
