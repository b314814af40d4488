package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/acoer/acoer-bench/runner"
)

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

func cmdGenerate(ctx context.Context, e env) error {
	fs := newFlags("generate", "--model DIR (--prompt TEXT | --prompt-file F) [--max-new-tokens N] [flags]", `  acoer-bench generate --model models/stories260K --prompt "Once upon a time" --max-new-tokens 64
  acoer-bench generate --model models/qwen3-0.6b --chat --system "Think step by step." \
      --prompt "What is 12*13?" --max-new-tokens 512 --temperature 0.6 --top-p 0.95 --seed 1 --json`, e.stderr)
	model := fs.String("model", "", "model directory")
	variant := fs.String("variant", "", variantUsage)
	prompt := fs.String("prompt", "", "prompt text (empty: BOS only, when the tokenizer adds one)")
	promptFile := fs.String("prompt-file", "", "read the prompt from this file (- for stdin)")
	maxNew := fs.Int("max-new-tokens", 128, "maximum number of generated tokens")
	temperature := fs.Float64("temperature", 0, "sampling temperature (0 = greedy)")
	topP := fs.Float64("top-p", 1, "nucleus sampling: keep the smallest set of tokens reaching this probability (1 = off)")
	topK := fs.Int("top-k", 0, "keep the K most likely tokens (0 = off)")
	seed := fs.Uint64("seed", 0, "sampling seed")
	provider := fs.String("provider", "auto", "execution provider: cpu, cuda or auto (cuda when it starts, else cpu)")
	chat := fs.Bool("chat", false, "wrap the prompt in the tokenizer's chat template (with the generation prompt)")
	system := fs.String("system", "", "system message (with --chat)")
	var stops stringList
	fs.Var(&stops, "stop", "stop string (repeatable); the text is cut after it")
	overflow := fs.String("context-overflow", runner.OverflowError, "prompt + max new tokens beyond the model's context: error or truncate")
	keepSpecial := fs.Bool("keep-special", false, "keep special tokens (e.g. EOS) in the printed text")
	threads := fs.Int("threads", 0, "ONNX Runtime intra-op threads (0 = its default)")
	asJSON := fs.Bool("json", false, "print one JSON object instead of the text")
	ortLib := fs.String("ort-lib", "", "ONNX Runtime library to load (default: $ACOER_ORT_LIB, then the one make setup installed)")
	var eosIDs intList
	fs.Var(&eosIDs, "eos-id", "EOS token id (repeatable or comma-separated): replaces the EOS ids of the model directory's files")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	switch {
	case *model == "" || fs.NArg() > 0:
		return badInputf("need --model DIR and no positional arguments (see --help)")
	case *prompt != "" && *promptFile != "":
		return badInputf("give --prompt or --prompt-file, not both")
	case *maxNew <= 0:
		return badInputf("--max-new-tokens must be positive")
	case *temperature < 0 || *topP <= 0 || *topP > 1 || *topK < 0:
		return badInputf("need --temperature >= 0, 0 < --top-p <= 1, --top-k >= 0")
	case *system != "" && !*chat:
		return badInputf("--system needs --chat")
	case *overflow != runner.OverflowError && *overflow != runner.OverflowTruncate:
		return badInputf("--context-overflow must be %s or %s", runner.OverflowError, runner.OverflowTruncate)
	}
	if err := runner.CheckProvider(*provider); err != nil {
		return badInput(err)
	}
	text := *prompt
	if *promptFile != "" {
		var b []byte
		var err error
		if *promptFile == "-" {
			b, err = io.ReadAll(e.stdin)
		} else {
			b, err = os.ReadFile(*promptFile)
		}
		if err != nil {
			return badInput(err)
		}
		text = string(b)
		name := *promptFile
		if name == "-" {
			name = "stdin"
		}
		if err := runner.ValidUTF8(name, text); err != nil {
			return badInput(err)
		}
	}
	if err := runner.ValidUTF8("--prompt", text); err != nil {
		return badInput(err)
	}
	if err := runner.ValidUTF8("--system", *system); err != nil {
		return badInput(err)
	}

	opts := runner.Options{Provider: *provider, ORTLib: *ortLib, IntraOpThreads: *threads,
		Overflow: *overflow, KeepSpecialTokens: *keepSpecial, Log: e.stderr, Variant: *variant}
	if len(eosIDs) > 0 {
		opts.EOSIDs, opts.EOSFrom = eosIDs, "--eos-id"
	}
	m, err := runner.Open(*model, opts)
	if err != nil {
		return modelError(err)
	}
	defer m.Close()
	for _, w := range m.Warnings() {
		fmt.Fprintf(e.stderr, "acoer-bench generate: warning: %s\n", w)
	}
	ids, err := m.EncodePrompt(text, *chat, *system)
	if err != nil {
		return badInput(err)
	}
	dec := runner.Decoding{Temperature: *temperature, TopP: *topP, TopK: *topK, MaxNewTokens: *maxNew, StopStrings: stops}
	out, err := m.Generate(ctx, []runner.Request{{PromptIDs: ids, Seed: *seed}}, dec)
	if err != nil {
		return modelError(err)
	}
	c := out[0]
	ms := func(d interface{ Seconds() float64 }) float64 { return d.Seconds() * 1000 }
	if *asJSON {
		tokS := 0.0
		if c.Total > 0 {
			tokS = float64(len(c.IDs)) / c.Total.Seconds()
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false) // the text as the model wrote it: "<think>", not "\u003cthink\u003e"
		return enc.Encode(map[string]any{
			"text": c.Text, "token_ids": nonNil(c.IDs), "prompt_token_ids": nonNil(c.PromptIDs),
			"finish_reason": c.FinishReason, "ttft_ms": ms(c.TTFT), "total_ms": ms(c.Total),
			"per_token_ms": ms(c.PerToken()), "tokens_per_s": tokS, "provider": m.Provider(),
			"ort_version": m.Info().ORTVersion, "model_sha256": m.Info().ModelSHA256,
			"decoding": dec, "seed": *seed,
		})
	}
	fmt.Fprint(e.stdout, c.Text)
	fmt.Fprintf(e.stderr, "\n[%d prompt + %d new tokens, finish %s, ttft %.1f ms, total %.1f ms, %.2f ms/token, provider %s]\n",
		len(c.PromptIDs), len(c.IDs), c.FinishReason, ms(c.TTFT), ms(c.Total), ms(c.PerToken()), m.Provider())
	return nil
}

// intList is a repeatable flag of non-negative integers ("2", "2,32000").
type intList []int

func (l *intList) String() string { return fmt.Sprint([]int(*l)) }
func (l *intList) Set(s string) error {
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 0 {
			return fmt.Errorf("%q is not a token id (a non-negative integer)", f)
		}
		*l = append(*l, v)
	}
	return nil
}

func nonNil(ids []int) []int {
	if ids == nil {
		return []int{}
	}
	return ids
}
