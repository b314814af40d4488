// Integration tests with the project's tokenizer (runner/tokenizer) and graph builder (runner/onnxbuild)
// on real ONNX Runtime.
package runner

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/acoer/acoer-bench/runner/onnxbuild"
)

// sharedDir returns ../shared next to the repository root, skipping when it is absent.
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
		if filepath.Dir(d) == d {
			t.Skip("no go.mod above the test dir; cannot find ../shared")
		}
		d = filepath.Dir(d)
	}
	s := filepath.Join(d, "..", "shared")
	if _, err := os.Stat(s); err != nil {
		t.Skipf("shared test data not found at %s", s)
	}
	return s
}

// TestStories260KThroughRunner converts the real stories260K checkpoint, opens it with Open (the project
// tokenizer), and generates greedily from BOS with llama2.c's `-n 200` (200 forward passes at positions
// 0..199, each printing the token it samples: 200 new tokens): the text must be llama2.c's, byte for
// byte; float16 KV must give the same tokens.
func TestStories260KThroughRunner(t *testing.T) {
	sh := filepath.Join(sharedDir(t), "models", "stories260K")
	needORT(t)
	want, err := os.ReadFile(filepath.Join(sh, "expected_greedy_200.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var ids32 []int
	for _, kv16 := range []bool{false, true} {
		dir := t.TempDir()
		if _, err := onnxbuild.ConvertLlama2C(filepath.Join(sh, "stories260K.bin"), filepath.Join(sh, "tok512.bin"), dir, kv16, onnxbuild.DirOptions{}); err != nil {
			t.Fatal(err)
		}
		m, err := Open(dir, Options{Provider: ProviderCPU})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		prompt, err := m.EncodePrompt("", false, "")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(prompt, []int{1}) {
			t.Fatalf("empty prompt encodes to %v, want [1] (BOS) (rule %s)", prompt, m.Info().BOSRule)
		}
		out, err := m.Generate(context.Background(), []Request{{PromptIDs: prompt}}, Decoding{MaxNewTokens: 200})
		if err != nil {
			t.Fatal(err)
		}
		c := out[0]
		if !kv16 {
			ids32 = c.IDs
			if c.Text != string(want) {
				t.Errorf("greedy text differs from llama2.c:\n got %q\nwant %q", c.Text, want)
			}
		} else if !reflect.DeepEqual(c.IDs, ids32) {
			t.Errorf("float16 KV: greedy ids differ from float32 KV")
		}
		// Prompted: prompt text + completion text is the whole decoded text.
		p, _ := m.EncodePrompt("Once upon a time", false, "")
		res, err := m.Generate(context.Background(), []Request{{PromptIDs: p}}, Decoding{MaxNewTokens: 40})
		if err != nil {
			t.Fatal(err)
		}
		whole := m.Tokenizer().Decode(append(append([]int{}, p...), res[0].IDs...), true)
		if "Once upon a time"+res[0].Text != whole {
			t.Errorf("prompt + completion %q != decoded whole %q", "Once upon a time"+res[0].Text, whole)
		}
	}
}

// TestStories260KPrompts: for any prompt, the runner does what llama2.c does: the project tokenizer on
// the converted tokenizer.json gives llama2.c's ids (BOS + its score-merge encoding), and greedy
// generation through ONNX Runtime with the KV cache gives the tokens of a float64 reference forward pass
// that recomputes the whole sequence at every step (llama2.c's math).
func TestStories260KPrompts(t *testing.T) {
	sh := filepath.Join(sharedDir(t), "models", "stories260K")
	needORT(t)
	ckpt, tokBin := filepath.Join(sh, "stories260K.bin"), filepath.Join(sh, "tok512.bin")
	cfg, w, err := onnxbuild.ReadLlama2C(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	toks, err := onnxbuild.ReadLlama2CTokenizer(tokBin)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := onnxbuild.ConvertLlama2C(ckpt, tokBin, dir, false, onnxbuild.DirOptions{Overwrite: true}); err != nil {
		t.Fatal(err)
	}
	m, err := Open(dir, Options{Provider: ProviderCPU})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	const steps = 24
	prompts := []string{"Once upon a time", "Lily and Tom went to the park.", "The cat", "  two  spaces", "café ünïcode 你好 🙂", "\n\nNew lines\n"}
	var reqs []Request
	for _, p := range prompts {
		ids, err := m.EncodePrompt(p, false, "")
		if err != nil {
			t.Fatal(err)
		}
		if want := onnxbuild.Llama2CEncode(toks, p); !reflect.DeepEqual(ids, want) {
			t.Fatalf("prompt %q: ids %v, llama2.c encodes %v", p, ids, want)
		}
		reqs = append(reqs, Request{PromptIDs: ids})
	}
	// One batch: left padding must not change anything.
	out, err := m.Generate(context.Background(), reqs, Decoding{MaxNewTokens: steps, EOSIDs: []int{-1}})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range reqs {
		seq := append([]int{}, r.PromptIDs...)
		for range steps {
			logits := onnxbuild.Reference(cfg, w, seq)
			last := logits[len(logits)-1]
			best := 0
			for j, v := range last {
				if v > last[best] {
					best = j
				}
			}
			seq = append(seq, best)
		}
		if got, want := out[i].IDs, seq[len(r.PromptIDs):]; !reflect.DeepEqual(got, want) {
			t.Errorf("prompt %q: greedy ids\n got %v\nwant %v (float64 reference)", prompts[i], got, want)
		}
	}
}

// batchEqualsSingles generates reqs as one batch and then each alone with dec, reports every sequence
// whose ids differ (labels name the prompts), and returns the batch's completions.
func batchEqualsSingles(t *testing.T, m *Model, reqs []Request, dec Decoding, labels []string) []Completion {
	t.Helper()
	batch, err := m.Generate(context.Background(), reqs, dec)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range reqs {
		one, err := m.Generate(context.Background(), []Request{r}, dec)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(one[0].IDs, batch[i].IDs) {
			t.Errorf("prompt %q: batch %v, alone %v", labels[i], batch[i].IDs, one[0].IDs)
		}
	}
	return batch
}

// seededModel writes a seeded Llama model (onnxbuild preset) and opens it.
func seededModel(t *testing.T, kv16 bool) *Model {
	t.Helper()
	needORT(t)
	cfg, err := onnxbuild.Preset("tiny", len(onnxbuild.ByteTokenizerPieces()))
	if err != nil {
		t.Fatal(err)
	}
	cfg.KVFloat16 = kv16
	dir := t.TempDir()
	if err := onnxbuild.WriteSeededModelDir(dir, cfg, 7, 0, onnxbuild.DirOptions{}); err != nil {
		t.Fatal(err)
	}
	m, err := Open(dir, Options{Provider: ProviderCPU})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// Greedy results on a real (seeded) Llama graph do not depend on batch size or padding.
func TestSeededBatchEqualsSingles(t *testing.T) {
	for _, kv16 := range []bool{false, true} {
		t.Run(fmt.Sprintf("kv16=%v", kv16), func(t *testing.T) {
			m := seededModel(t, kv16)
			texts := []string{"Hello", "The quick brown fox jumps over", "a", "Numbers: 1 2 3 4 5 6 7 8 9 10", "Why?"}
			reqs := make([]Request, len(texts))
			for i, s := range texts {
				ids, err := m.EncodePrompt(s, false, "")
				if err != nil {
					t.Fatal(err)
				}
				reqs[i] = Request{PromptIDs: ids}
			}
			batchEqualsSingles(t, m, reqs, Decoding{MaxNewTokens: 24}, texts)
		})
	}
}

// logStep records the last-position logits of every step.
type logStep struct {
	stepper
	logits [][]float32
}

func (l *logStep) step(past *kv, ids, mask, positions []int64, seq int, last []int) ([]float32, *kv, error) {
	lg, c, err := l.stepper.step(past, ids, mask, positions, seq, last)
	if err == nil {
		l.logits = append(l.logits, append([]float32(nil), lg...))
	}
	return lg, c, err
}

// KV-cache generation equals full recomputation without the cache: same logits within tolerance, same
// greedy tokens.
func TestSeededCacheEqualsRecompute(t *testing.T) {
	m := seededModel(t, false)
	prompt, _ := m.EncodePrompt("The cache must not change anything", false, "")
	ls := &logStep{stepper: m.st}
	out, _, _ := runAll(t, ls, m.cfg, []Request{{PromptIDs: prompt}}, Decoding{MaxNewTokens: 16}, 1)
	gen := out[0].IDs
	for k := range gen {
		full := append(append([]int{}, prompt...), gen[:k]...)
		rs := &logStep{stepper: m.st}
		runAll(t, rs, m.cfg, []Request{{PromptIDs: full}}, Decoding{MaxNewTokens: 1}, 1)
		cached, fresh := ls.logits[k], rs.logits[0]
		maxDiff := 0.0
		for j := range cached {
			maxDiff = math.Max(maxDiff, math.Abs(float64(cached[j]-fresh[j])))
		}
		if maxDiff > 1e-3 {
			t.Errorf("token %d: cached vs recomputed logits differ by %g", k, maxDiff)
		}
		if argmax(fresh) != gen[k] {
			t.Errorf("token %d: recomputation picks %d, cached generation %d", k, argmax(fresh), gen[k])
		}
	}
}

// BenchmarkThroughput measures generation on real Llama graphs on the CPU: stories260K (converted) and a
// seeded 8-layer, dim 512, vocab 32000 model (onnxbuild preset "medium"), standard and in the genai
// (GroupQueryAttention) layout, at batch 1 and 8; 32-token
// prompts, 128 new tokens, greedy, EOS disabled. Reports generated tokens/s over the whole batch, TTFT
// and per-token latency.
//
//	go test -run '^$' -bench Throughput -benchtime 3x ./runner/
func BenchmarkThroughput(b *testing.B) {
	needORT(b)
	models := map[string]string{}
	if sh := sharedDir(b); sh != "" {
		dir := b.TempDir()
		st := filepath.Join(sh, "models", "stories260K")
		if _, err := onnxbuild.ConvertLlama2C(filepath.Join(st, "stories260K.bin"), filepath.Join(st, "tok512.bin"), dir, false, onnxbuild.DirOptions{Overwrite: true}); err != nil {
			b.Fatal(err)
		}
		models["stories260K"] = dir
	}
	cfg, err := onnxbuild.Preset("medium", 32000)
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	if err := onnxbuild.WriteModelDir(dir, cfg, onnxbuild.RandomWeights(cfg, 1), onnxbuild.DirOptions{TokenizerJSON: []byte(`{}`), Overwrite: true}); err != nil {
		b.Fatal(err)
	}
	models["medium_8L_d512_v32000"] = dir
	cfg.GenAI = true // the same model as onnxruntime-genai's builder lays it out (GroupQueryAttention)
	dir = b.TempDir()
	if err := onnxbuild.WriteModelDir(dir, cfg, onnxbuild.RandomWeights(cfg, 1), onnxbuild.DirOptions{TokenizerJSON: []byte(`{}`), Overwrite: true}); err != nil {
		b.Fatal(err)
	}
	models["medium_genai_gqa"] = dir
	for _, name := range []string{"stories260K", "medium_8L_d512_v32000", "medium_genai_gqa"} {
		dir, ok := models[name]
		if !ok {
			continue
		}
		m, err := Open(dir, Options{Provider: ProviderCPU, Tokenizer: func(string) (Tokenizer, error) { return idTokenizer{32000}, nil }})
		if err != nil {
			b.Fatal(err)
		}
		for _, batch := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/batch%d", name, batch), func(b *testing.B) {
				reqs := make([]Request, batch)
				for i := range reqs {
					p := make([]int, 32)
					for j := range p {
						p[j] = 3 + (i*31+j*7)%200
					}
					p[0] = 1
					reqs[i] = Request{PromptIDs: p}
				}
				dec := Decoding{MaxNewTokens: 128, EOSIDs: []int{-1}}
				var ttft, per float64
				for b.Loop() {
					out, err := m.Generate(context.Background(), reqs, dec)
					if err != nil {
						b.Fatal(err)
					}
					ttft += out[0].TTFT.Seconds() * 1000
					per += out[0].PerToken().Seconds() * 1000
				}
				n := float64(b.N)
				b.ReportMetric(float64(batch*dec.MaxNewTokens)*n/b.Elapsed().Seconds(), "tokens/s")
				b.ReportMetric(ttft/n, "ttft_ms")
				b.ReportMetric(per/n, "ms/token")
			})
		}
		m.Close()
	}
}
