package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/acoer/acoer-bench/bench"
	"github.com/acoer/acoer-bench/runner"
)

func cmdPerf(ctx context.Context, e env) error {
	fs := newFlags("perf", "--model DIR [--prompt-tokens 128,1024] [--gen-tokens 128] [--batch 1,8,32] [--repeat 5] [flags]", `  acoer-bench perf --model models/qwen2.5-1.5b --provider cuda
  acoer-bench perf --model models/medium --prompt-tokens 128,1024 --gen-tokens 128 --batch 1,8,32 --repeat 5 --format md`, e.stderr)
	model := fs.String("model", "", "model directory")
	variant := fs.String("variant", "", variantUsage)
	promptTokens := fs.String("prompt-tokens", "128,1024", "prompt lengths whose prefill is timed (comma-separated)")
	genTokens := fs.String("gen-tokens", "128", "generated lengths of the decode measurements (comma-separated)")
	batches := fs.String("batch", "1,8,32", "batch sizes of the decode measurements (comma-separated)")
	decodePrompt := fs.Int("decode-prompt-tokens", 0, "prompt length of the decoded rows (0 = the smallest --prompt-tokens)")
	repeat := fs.Int("repeat", 5, "timed runs of each measurement")
	warmup := fs.Int("warmup", 1, "untimed runs before them")
	seed := fs.Uint64("seed", 1, "seed of the prompts' random token ids")
	noBandwidth := fs.Bool("no-bandwidth", false, "skip the memory-bandwidth measurement (and the batch-1 bound)")
	provider := fs.String("provider", "auto", "execution provider: cpu, cuda or auto")
	threads := fs.Int("threads", 0, "ONNX Runtime intra-op threads (0 = its default)")
	kvCache := fs.String("kv-cache", "device", "where the KV cache lives: device (bound where the session runs) or host (Go buffers, the path before; for comparison)")
	format := fs.String("format", "table", "table, md or json")
	ortLib := fs.String("ort-lib", "", "ONNX Runtime library to load (default: $ACOER_ORT_LIB, then the one make setup installed)")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if *model == "" || fs.NArg() > 0 {
		return badInputf("need --model DIR and no positional arguments (see --help)")
	}
	if *format != "table" && *format != "md" && *format != "markdown" && *format != "json" {
		return badInputf("--format must be table, md or json, got %q", *format)
	}
	opt := runner.PerfOptions{DecodePromptTokens: *decodePrompt, Repeat: *repeat, Warmup: *warmup, Seed: *seed, SkipBandwidth: *noBandwidth,
		Progress: func(s string) { fmt.Fprintf(e.stderr, "acoer-bench perf: %s\n", s) }}
	var err error
	for _, f := range []struct {
		name string
		s    string
		dst  *[]int
	}{{"--prompt-tokens", *promptTokens, &opt.PromptTokens}, {"--gen-tokens", *genTokens, &opt.GenTokens}, {"--batch", *batches, &opt.Batches}} {
		if *f.dst, err = positiveInts(f.s); err != nil {
			return badInputf("%s: %v", f.name, err)
		}
	}
	if *repeat <= 0 || *warmup < 0 || *decodePrompt < 0 {
		return badInputf("need --repeat >= 1, --warmup >= 0, --decode-prompt-tokens >= 0")
	}
	if err := runner.CheckProvider(*provider); err != nil {
		return badInput(err)
	}
	if *kvCache != "device" && *kvCache != "host" {
		return badInputf("--kv-cache must be device or host, got %q", *kvCache)
	}
	m, err := runner.Open(*model, runner.Options{Provider: *provider, ORTLib: *ortLib, IntraOpThreads: *threads, Log: e.stderr,
		HostKV: *kvCache == "host", Variant: *variant})
	if err != nil {
		return modelError(err)
	}
	defer m.Close()
	r, err := m.Perf(ctx, opt)
	if err != nil {
		if strings.Contains(err.Error(), "does not fit the context") || strings.Contains(err.Error(), "must be positive") {
			return badInput(err)
		}
		return modelError(err)
	}
	return bench.WritePerf(e.stdout, r, *format, gitRevision)
}

// positiveInts parses "1,8,32".
func positiveInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("want positive integers separated by commas, got %q", s)
		}
		out = append(out, n)
	}
	return out, nil
}
