package runner

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/acoer/acoer-bench/runner/ort"
)

// Tests against the real ONNX Runtime (skipped when `make setup` has not installed it), on the
// hand-encoded tiny decoder of onnx_test.go.

func needORT(t testing.TB) {
	t.Helper()
	if err := ort.InitDefault(""); err != nil {
		if errors.Is(err, ort.ErrNotFound) {
			t.Skip("ONNX Runtime not installed: run `make setup`")
		}
		t.Fatal(err)
	}
}

const tinyVocab = 40

func fakeLoader(dir string) (Tokenizer, error) { return fakeTok{vocab: tinyVocab}, nil }

func openTiny(t testing.TB, s TinyDecoder, context, eos int, opts Options) *Model {
	t.Helper()
	needORT(t)
	dir := writeTinyModelDir(t, s, context, eos)
	if opts.Provider == "" {
		opts.Provider = ProviderCPU
	}
	opts.Tokenizer = fakeLoader
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	m, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

var ortPrompts = [][]int{{1, 5, 9}, {1}, {1, 12, 3, 3, 7, 20, 4}, {1, 2}, {1, 30, 31}}

func TestORTGreedyMatchesReferenceAnyBatch(t *testing.T) {
	const eos = 6
	for _, s := range []TinyDecoder{
		{Vocab: tinyVocab, Layers: 2},
		{Vocab: tinyVocab, Layers: 3, KV16: true, Logits16: true},
		{Vocab: tinyVocab, Layers: 1, KV16: true},
		{Vocab: tinyVocab, Layers: 1, NoPositions: true},
	} {
		name := "fp32"
		if s.KV16 {
			name = "kv16"
		}
		if s.Logits16 {
			name += "_logits16"
		}
		if s.NoPositions {
			name += "_nopositions"
		}
		t.Run(name, func(t *testing.T) {
			m := openTiny(t, s, 256, eos, Options{})
			dec := Decoding{MaxNewTokens: 12}
			want := make([][]int, len(ortPrompts))
			for i, p := range ortPrompts {
				want[i] = s.Greedy(p, dec.MaxNewTokens, eos)
			}
			for _, bs := range []int{1, 2, len(ortPrompts)} {
				for lo := 0; lo < len(ortPrompts); lo += bs {
					hi := min(lo+bs, len(ortPrompts))
					reqs := reqsOf(ortPrompts[lo:hi], 0)
					out, err := m.Generate(context.Background(), reqs, dec)
					if err != nil {
						t.Fatal(err)
					}
					for j, c := range out {
						i := lo + j
						if !reflect.DeepEqual(c.IDs, want[i]) {
							t.Errorf("batch %d, prompt %v: got %v, want %v", bs, ortPrompts[i], c.IDs, want[i])
						}
						wantReason := FinishLength
						if want[i][len(want[i])-1] == eos {
							wantReason = FinishStop
						}
						if c.FinishReason != wantReason {
							t.Errorf("prompt %v: finish %s, want %s", ortPrompts[i], c.FinishReason, wantReason)
						}
					}
				}
			}
		})
	}
}

func TestORTContractAndInfo(t *testing.T) {
	m := openTiny(t, TinyDecoder{Vocab: tinyVocab, Layers: 2, KV16: true}, 128, 6, Options{})
	c := m.Contract()
	if len(c.Layers) != 2 || c.KVType != "float16" || c.LogitsType != "float32" || c.Vocab != tinyVocab || c.KVHeads != 1 || c.HeadDim != 1 || c.PositionIDs != "position_ids" {
		t.Errorf("contract %+v", c)
	}
	if c.Layers[1] != (LayerIO{"past_key_values.1.key", "past_key_values.1.value", "present.1.key", "present.1.value"}) {
		t.Errorf("layer 1 %+v", c.Layers[1])
	}
	info := m.Info()
	if info.Provider != ProviderCPU || m.Provider() != ProviderCPU || len(info.ModelSHA256) != 64 || info.ContextLength != 128 ||
		!reflect.DeepEqual(info.EOSIDs, []int{6}) || info.EOSFrom != "generation_config.json eos_token_id" || info.ORTVersion != ort.Version ||
		info.Metadata["producer"] != "acoer-bench-tiny-decoder" || info.Metadata["purpose"] != "acoer-bench self-test graph" {
		t.Errorf("info %+v", info)
	}
	// The graph sets no model_version; ONNX Runtime reports that as INT64_MAX, which is not a version.
	if v, ok := info.Metadata["version"]; ok {
		t.Errorf("metadata version %q for a graph without model_version", v)
	}
}

func TestORTContextOverflow(t *testing.T) {
	noEOS := []int{-1} // run to the limit
	m := openTiny(t, TinyDecoder{Vocab: tinyVocab, Layers: 1}, 10, 6, Options{})
	_, err := m.Generate(context.Background(), []Request{{PromptIDs: []int{1, 2, 3, 4, 5, 6}}}, Decoding{MaxNewTokens: 5, EOSIDs: noEOS})
	if !errors.Is(err, ErrContextOverflow) {
		t.Fatalf("want ErrContextOverflow, got %v", err)
	}
	m = openTiny(t, TinyDecoder{Vocab: tinyVocab, Layers: 1}, 10, 6, Options{Overflow: OverflowTruncate})
	out, err := m.Generate(context.Background(), []Request{{PromptIDs: []int{1, 2, 3, 4, 5, 6}}, {PromptIDs: []int{1}}}, Decoding{MaxNewTokens: 5, EOSIDs: noEOS})
	if err != nil {
		t.Fatal(err)
	}
	if len(out[0].IDs) != 4 || out[0].FinishReason != FinishLength || len(out[1].IDs) != 5 {
		t.Errorf("truncate: %v %s / %v", out[0].IDs, out[0].FinishReason, out[1].IDs)
	}
}

func TestORTProviders(t *testing.T) {
	needORT(t)
	cudaLib, _ := ort.CUDAProviderPaths()
	if _, err := os.Stat(cudaLib); err == nil {
		t.Skip("CUDA provider libraries are installed; the error-path test needs a CPU-only install")
	}
	dir := writeTinyModelDir(t, TinyDecoder{Vocab: tinyVocab, Layers: 1}, 64, 6)
	_, err := Open(dir, Options{Provider: ProviderCUDA, Tokenizer: fakeLoader, Log: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "make setup-cuda") || !strings.Contains(err.Error(), ort.CUDAProviderLib) {
		t.Fatalf("--provider cuda without the CUDA libraries: want an error naming the library and `make setup-cuda`, got %v", err)
	}
	var log bytes.Buffer
	m, err := Open(dir, Options{Provider: ProviderAuto, Tokenizer: fakeLoader, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.Provider() != ProviderCPU || !strings.Contains(log.String(), "using cpu") || !strings.Contains(m.Info().ProviderNote, "cuda unavailable") {
		t.Errorf("auto: provider %s, log %q, note %q", m.Provider(), log.String(), m.Info().ProviderNote)
	}
	if _, err := Open(dir, Options{Provider: "tpu", Tokenizer: fakeLoader}); !errors.Is(err, ErrBadProvider) {
		t.Errorf("unknown provider: %v", err)
	}
}

func TestORTBadModelDirs(t *testing.T) {
	needORT(t)
	good := func() string { return writeTinyModelDir(t, TinyDecoder{Vocab: tinyVocab, Layers: 2}, 64, 6) }
	open := func(dir string) error {
		m, err := Open(dir, Options{Provider: ProviderCPU, Tokenizer: fakeLoader, Log: io.Discard})
		if err == nil {
			m.Close()
		}
		return err
	}
	for _, c := range []struct {
		name   string
		break_ func(dir string)
		want   []string
	}{
		{"no model.onnx", func(d string) { os.Remove(filepath.Join(d, "model.onnx")) }, []string{"missing model.onnx"}},
		{"no config", func(d string) { os.Remove(filepath.Join(d, "config.json")) }, []string{"neither config.json nor genai_config.json"}},
		{"bad json", func(d string) { os.WriteFile(filepath.Join(d, "generation_config.json"), []byte("{"), 0o644) }, []string{"generation_config.json"}},
		{"truncated onnx", func(d string) {
			b, _ := os.ReadFile(filepath.Join(d, "model.onnx"))
			os.WriteFile(filepath.Join(d, "model.onnx"), b[:len(b)/2], 0o644)
		}, []string{"model.onnx is not an ONNX model", "(a truncated file?)"}},
		{"extra input", func(d string) {
			os.WriteFile(filepath.Join(d, "model.onnx"), TinyDecoder{Vocab: tinyVocab, Layers: 2, extraInput: true}.ONNX(), 0o644)
		}, []string{"does not fit the decoder contract", "unexpected input token_type_ids int64[?,?] (no value for it is known to be correct)", "found inputs:", "past_key_values.0.key float32[?,1,?,1]", "expected inputs"}},
		{"genai names that do not match", func(d string) {
			os.WriteFile(filepath.Join(d, "genai_config.json"), []byte(`{"model": {"decoder": {"inputs": {"past_key_names": "past.%d.k"}}}}`), 0o644)
		}, []string{"no KV cache inputs (past.0.k", "unexpected input past_key_values.0.key"}},
		{"config layers disagree", func(d string) {
			os.WriteFile(filepath.Join(d, "config.json"), []byte(`{"vocab_size": 40, "num_hidden_layers": 3}`), 0o644)
		}, []string{"2 layers", "num_hidden_layers=3"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := good()
			c.break_(d)
			err := open(d)
			if err == nil {
				t.Fatal("opened a broken model directory")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
	if err := open(filepath.Join(t.TempDir(), "nope")); err == nil || !strings.Contains(err.Error(), "model directory") {
		t.Errorf("missing dir: %v", err)
	}
}

// BenchmarkORTStep measures a real ONNX Runtime step on the tiny decoder (the session's per-step overhead).
func BenchmarkORTGenerateTiny(b *testing.B) {
	m := openTiny(b, TinyDecoder{Vocab: tinyVocab, Layers: 4}, 4096, 6, Options{})
	reqs := reqsOf(ortPrompts, 0)
	dec := Decoding{MaxNewTokens: 64, EOSIDs: []int{-1}} // never stops
	for b.Loop() {
		if _, err := m.Generate(context.Background(), reqs, dec); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(reqs)*dec.MaxNewTokens), "ns/token")
}

func TestBadModelDirErrorsAreMarked(t *testing.T) {
	needORT(t)
	d := writeTinyModelDir(t, TinyDecoder{Vocab: tinyVocab, Layers: 1}, 64, 6)
	os.WriteFile(filepath.Join(d, "model.onnx"), TinyDecoder{Vocab: tinyVocab, Layers: 1, extraInput: true}.ONNX(), 0o644)
	if _, err := Open(d, Options{Provider: ProviderCPU, Tokenizer: fakeLoader}); !errors.Is(err, ErrBadModelDir) {
		t.Errorf("contract error not ErrBadModelDir: %v", err)
	}
	if _, _, err := Inspect(filepath.Join(d, "nope"), Options{}); !errors.Is(err, ErrBadModelDir) {
		t.Errorf("missing dir not ErrBadModelDir: %v", err)
	}
	os.WriteFile(filepath.Join(d, "model.onnx"), []byte("not onnx"), 0o644)
	if _, _, err := Inspect(d, Options{}); !errors.Is(err, ErrBadModelDir) {
		t.Errorf("garbage onnx not ErrBadModelDir: %v", err)
	}
}

func TestSelfTestCPU(t *testing.T) {
	needORT(t)
	p, err := SelfTest(context.Background(), Options{Provider: ProviderCPU, Log: io.Discard})
	if err != nil || p != ProviderCPU {
		t.Fatalf("SelfTest = %q, %v", p, err)
	}
}

// Chunked prefill on the real session (prompt columns fed 3 at a time through the KV cache).
func TestORTChunkedPrefill(t *testing.T) {
	for _, s := range []TinyDecoder{{Vocab: tinyVocab, Layers: 2}, {Vocab: tinyVocab, Layers: 1, KV16: true, Logits16: true}} {
		m := openTiny(t, s, 256, 6, Options{MaxPrefillLogitsBytes: int64(len(ortPrompts) * 3 * tinyVocab * 4)})
		out, err := m.Generate(context.Background(), reqsOf(ortPrompts, 0), Decoding{MaxNewTokens: 10})
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range ortPrompts {
			if want := s.Greedy(p, 10, 6); !reflect.DeepEqual(out[i].IDs, want) {
				t.Errorf("%+v prompt %v: got %v, want %v", s, p, out[i].IDs, want)
			}
		}
	}
}
