package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/acoer/acoer-bench/bench"
	"github.com/acoer/acoer-bench/runner/ort"
)

// BenchmarkRunWorkload is the long-tailed workload of the in-flight batching issue, through `run` as a
// user runs it: 64 real GSM8K problems (deepseek-r1 template) on a seeded small model with the Llama 2
// tokenizer and an EOS bias of 7 (lengths from 2 to about 320 tokens), greedy, max_new_tokens 512,
// batch_size 16, in the standard (position_ids) and the genai (GroupQueryAttention) layout. It reports
// each task's results.json throughput block: wall_seconds, tokens/s, decode steps, slot utilization.
//
//	make setup testdata && go test -run '^$' -bench RunWorkload -benchtime 1x ./cmd/acoer-bench/
func BenchmarkRunWorkload(b *testing.B) {
	if _, err := ort.Discover(""); err != nil {
		b.Skipf("ONNX Runtime not found (make setup): %v", err)
	}
	tok, _ := filepath.Abs(filepath.Join("..", "..", ".cache", "tokenizers", "llama2"))
	gsm, _ := filepath.Abs(filepath.Join("..", "..", "..", "shared", "datasets", "gsm8k", "test.jsonl"))
	for _, p := range []string{tok, gsm} {
		if _, err := os.Stat(p); err != nil {
			b.Skipf("%s not found (make testdata; ../shared)", p)
		}
	}
	dir := b.TempDir()
	for _, m := range [][]string{
		{"--out", filepath.Join(dir, "std"), "--seed", "7", "--preset", "small", "--eos-bias", "7", "--tokenizer", tok},
		{"--out", filepath.Join(dir, "genai"), "--seed", "7", "--preset", "small", "--eos-bias", "7", "--tokenizer", tok, "--genai"},
	} {
		if code, _, errOut := runCLI(append([]string{"build-model"}, m...)...); code != 0 {
			b.Fatalf("build-model %v: %s", m, errOut)
		}
	}
	cfg := fmt.Sprintf(`seed: 1234
models:
  - {name: std, path: %s, provider: cpu}
  - {name: genai, path: %s, provider: cpu}
datasets:
  - {name: gsm8k, kind: gsm8k, path: %s, limit: 64}
decoding:
  - {name: greedy, temperature: 0, max_new_tokens: 512, batch_size: 16}
`, filepath.Join(dir, "std"), filepath.Join(dir, "genai"), gsm)
	cfgPath := filepath.Join(dir, "wl.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		b.Fatal(err)
	}
	for i := 0; b.Loop(); i++ {
		out := filepath.Join(dir, fmt.Sprint("r", i))
		if code, _, errOut := runCLI("run", "--config", cfgPath, "--out", out, "--quiet"); code != 0 {
			b.Fatalf("run: exit %d: %s", code, errOut)
		}
		res, err := bench.ReadResults(out)
		if err != nil {
			b.Fatal(err)
		}
		for _, t := range res.Tasks {
			th := t.Throughput
			b.ReportMetric(th.WallSeconds, t.Model+"_wall_s")
			b.ReportMetric(th.TokensPerSecond, t.Model+"_tokens/s")
			b.ReportMetric(th.SlotUtilization, t.Model+"_slot_util")
			b.ReportMetric(float64(th.DecodeSteps), t.Model+"_decode_steps")
			b.ReportMetric(th.MeanLiveRows, t.Model+"_live_rows")
		}
	}
}
