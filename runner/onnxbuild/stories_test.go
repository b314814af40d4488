package onnxbuild

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// sharedDir returns ../shared next to the repository root (the dir with go.mod), skipping the test
// when it is absent.
func sharedDir(t testing.TB) string {
	t.Helper()
	d, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			break
		}
		p := filepath.Dir(d)
		if p == d {
			t.Skip("no go.mod above the test dir; cannot find ../shared")
		}
		d = p
	}
	s := filepath.Join(d, "..", "shared")
	if _, err := os.Stat(s); err != nil {
		t.Skipf("shared test data not found at %s (tests that need the stories260K model skip without it)", s)
	}
	return s
}

// TestStories260KGreedy converts the real stories260K llama2.c checkpoint and its tokenizer into a
// model directory, generates greedily from BOS for 200 positions with ONNX Runtime and the KV cache,
// and compares the text with llama2.c's own output byte for byte.
func TestStories260KGreedy(t *testing.T) {
	sh := filepath.Join(sharedDir(t), "models", "stories260K")
	initORT(t)
	cfg, w, err := ReadLlama2C(filepath.Join(sh, "stories260K.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Dim != 64 || cfg.HiddenDim != 172 || cfg.Layers != 5 || cfg.Heads != 8 || cfg.KVHeads != 4 ||
		cfg.VocabSize != 512 || cfg.MaxSeqLen != 512 || !cfg.TieEmbeddings || !cfg.RopeInterleaved {
		t.Fatalf("unexpected config %+v", cfg)
	}
	tokPath := filepath.Join(sh, "tok512.bin")
	toks, err := ReadLlama2CTokenizer(tokPath)
	if err != nil {
		t.Fatal(err)
	}
	tj, err := Llama2CTokenizerJSON(tokPath)
	if err != nil {
		t.Fatal(err)
	}
	tc, err := Llama2TokenizerConfigJSON(cfg.MaxSeqLen)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(sh, "expected_greedy_200.txt"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "stories260K")
	if err := WriteModelDir(dir, cfg, w, DirOptions{TokenizerJSON: tj, TokenizerConfigJSON: tc}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"model.onnx", "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("model dir lacks %s", f)
		}
	}

	dec := newDecoder(t, cfg, filepath.Join(dir, "model.onnx"), nil, 1)
	var out bytes.Buffer
	token := 1 // BOS
	seq := []int{token}
	var stepLogits [][]float32
	for pos := 0; pos < 200; pos++ {
		lg := dec.step(t, [][]int64{{int64(token)}}, [][]int64{ones(pos + 1)}, [][]int64{{int64(pos)}})
		stepLogits = append(stepLogits, lg[0][0])
		next, best := 0, lg[0][0][0]
		for i, v := range lg[0][0] {
			if v > best {
				next, best = i, v
			}
		}
		if next == 1 {
			break
		}
		out.Write(Llama2CDecodePiece(toks, token, next))
		token = next
		seq = append(seq, next)
	}
	seq = seq[:len(stepLogits)]

	// The same 200 positions in one prefill (no cache) and in the float64 reference give the same
	// logits as the token-by-token run.
	full := newDecoder(t, cfg, filepath.Join(dir, "model.onnx"), nil, 1)
	fl := full.step(t, [][]int64{seqOf(seq)}, [][]int64{ones(len(seq))}, [][]int64{iota64(0, len(seq))})
	ref := Reference(cfg, w, seq)
	var dCache, dRef float64
	for i := range seq {
		for j, v := range fl[0][i] {
			dCache = max(dCache, math.Abs(float64(v-stepLogits[i][j])))
		}
		dRef = max(dRef, maxDiff(stepLogits[i], ref[i]))
	}
	if dCache > 1e-4 || dRef > 1e-4 {
		t.Errorf("stories260K max abs logit diff: cached vs full prefill %.3g, vs float64 reference %.3g", dCache, dRef)
	}
	t.Logf("stories260K max abs logit diff over %d positions: cached vs full prefill %.3g, vs float64 reference %.3g", len(seq), dCache, dRef)
	got := out.Bytes()
	want = bytes.TrimSuffix(want, []byte("\n")) // run.c ends with a newline; the file may keep it or not
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Fatalf("greedy output differs from llama2.c at byte %d:\n got: %q\nwant: %q", i, got[max(0, i-40):min(len(got), i+40)], want[max(0, i-40):min(len(want), i+40)])
	}
	t.Logf("stories260K greedy 200 positions: %d bytes, identical to llama2.c", len(got))
}
