package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/acoer/acoer-bench/runner"
)

func cmdInspect(ctx context.Context, e env) error {
	fs := newFlags("inspect", "--model DIR [--variant NAME] [--json] [--ort-lib PATH]", `  acoer-bench inspect --model models/stories260K
  acoer-bench inspect --model models/qwen3-0.6b --json
  acoer-bench inspect --model models/Qwen2.5-0.5B-Instruct-onnx --variant q4   # onnx/model_q4.onnx`, e.stderr)
	model := fs.String("model", "", "model directory (model.onnx or onnx/model*.onnx or optimum's decoder_model*.onnx, tokenizer.json, config.json / genai_config.json, ...)")
	variant := fs.String("variant", "", variantUsage)
	asJSON := fs.Bool("json", false, "print one JSON object")
	ortLib := fs.String("ort-lib", "", "ONNX Runtime library to load (default: $ACOER_ORT_LIB, then the one make setup installed)")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if *model == "" || fs.NArg() > 0 {
		return badInputf("need --model DIR and no positional arguments (see --help)")
	}
	c, info, err := runner.Inspect(*model, runner.Options{ORTLib: *ortLib, Variant: *variant})
	if err != nil && info.ModelFile == "" {
		return modelError(err)
	}
	// The contract was read: show it, and then what would stop generate and run (exit 2).
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		var problem string
		if err != nil {
			problem = err.Error()
		}
		if jerr := enc.Encode(struct {
			Contract runner.Contract `json:"contract"`
			Info     runner.Info     `json:"info"`
			// CUDAWarnings are what the graph would do on CUDA (runner.CUDAContractWarnings).
			CUDAWarnings []string `json:"cuda_warnings,omitempty"`
			Error        string   `json:"error,omitempty"`
		}{c, info, runner.CUDAContractWarnings(c), problem}); jerr != nil {
			return jerr
		}
	} else {
		printInspect(e.stdout, c, info)
	}
	if err != nil {
		return modelError(err)
	}
	return nil
}

func printInspect(w io.Writer, c runner.Contract, info runner.Info) {
	variant := "default"
	if info.Variant != "" {
		variant = info.Variant
	}
	if len(info.Variants) > 1 {
		variant += " (the directory has " + strings.Join(info.Variants, ", ") + ")"
	}
	fmt.Fprintf(w, "layout       %s\nvariant      %s\n", info.Layout, variant)
	fmt.Fprintf(w, "model        %s\nsha256       %s\n", info.ModelFile, info.ModelSHA256)
	if info.FirstFile != "" {
		fmt.Fprintf(w, "first step   %s (optimum's split pair: the graph for the step from an empty cache; the model graph for the others)\n", info.FirstFile)
	}
	fmt.Fprintf(w, "configs      %s\n", strings.Join(info.ConfigFiles, ", "))
	if info.DataSHA256 != "" {
		fmt.Fprintf(w, "data sha256  %s (every other file the model reads: external weights, a split pair's first-step graph)\n", info.DataSHA256)
		for _, f := range info.DataFiles {
			fmt.Fprintf(w, "  %s  %s (%d bytes read)\n", f.SHA256, f.Location, f.Bytes)
		}
	}
	tok := "none (no tokenizer.json: generate and run need one)"
	if info.TokenizerFile != "" {
		tok = info.TokenizerFile
		if info.TokenizerIDs > 0 {
			tok += fmt.Sprintf(" (%d ids)", info.TokenizerIDs)
		}
	}
	fmt.Fprintf(w, "tokenizer    %s\n", tok)
	fmt.Fprintf(w, "runtime      ONNX Runtime %s (%s)\n", info.ORTVersion, info.ORTLibrary)
	ctxLen := "unknown (no check)"
	if info.ContextLength > 0 {
		ctxLen = fmt.Sprintf("%d (%s)", info.ContextLength, info.ContextFrom)
	}
	logits := fmt.Sprintf("%s %s", c.Logits, c.LogitsType)
	if c.LogitsLastOnly {
		logits += " (the last position only)"
	}
	fmt.Fprintf(w, "context      %s\nvocab        %d\nlayers       %d\nkv cache     %s [batch, %d kv heads, seq, %d head dim]\nlogits       %s\n",
		ctxLen, c.Vocab, len(c.Layers), c.KVType, c.KVHeads, c.HeadDim, logits)
	pos := c.PositionIDs
	if pos == "" {
		pos = "none (the graph derives positions from the mask)"
	}
	layout := "rows right-aligned in a batch, pads masked on the left"
	if c.GroupQueryAttention {
		layout = "GroupQueryAttention: rows left-aligned in a batch (each row's keys are its first seqlens_k+1 positions)"
	}
	if c.MaxRows == 1 {
		layout += "; one row at a time (a batch-1 graph, or one that quantizes activations per batch)"
	}
	fmt.Fprintf(w, "input ids    %s\nmask         %s\npositions    %s\nbatching     %s\n", c.InputIDs, c.AttentionMask, pos, layout)
	extras := c.Extra
	if c.First != nil {
		extras = append(append([]runner.ExtraInput(nil), extras...), c.First.Extra...)
	}
	seen := map[string]bool{}
	for _, x := range extras {
		if seen[x.Name] {
			continue
		}
		seen[x.Name] = true
		fmt.Fprintf(w, "fed          %s %s: %s\n", x.Name, x.Type, extraMeaning(x.Kind))
	}
	if len(c.Layers) > 0 {
		l := c.Layers[0]
		fmt.Fprintf(w, "kv names     %s %s -> %s %s (layer 0)\n", l.PastKey, l.PastValue, l.PresentKey, l.PresentValue)
	}
	eos := "none"
	if len(info.EOSIDs) > 0 {
		eos = fmt.Sprintf("%v (%s)", info.EOSIDs, info.EOSFrom)
	}
	fmt.Fprintf(w, "eos ids      %s\n", eos)
	if info.MaskedIDs > 0 {
		fmt.Fprintf(w, "masked ids   %d of %d logits have no token in tokenizer.json: never sampled\n", info.MaskedIDs, c.Vocab)
	}
	fmt.Fprintln(w, "inputs:")
	for _, t := range c.Inputs {
		fmt.Fprintf(w, "  %s\n", t)
	}
	fmt.Fprintln(w, "outputs:")
	for _, t := range c.Outputs {
		fmt.Fprintf(w, "  %s\n", t)
	}
	if len(info.Warnings) > 0 {
		fmt.Fprintln(w, "warnings:")
		for _, x := range info.Warnings {
			fmt.Fprintf(w, "  %s\n", x)
		}
	}
	for _, x := range runner.CUDAContractWarnings(c) {
		fmt.Fprintf(w, "on CUDA      warning: %s\n", x)
	}
	if len(info.Metadata) > 0 {
		fmt.Fprintln(w, "metadata:")
		keys := make([]string, 0, len(info.Metadata))
		for k := range info.Metadata {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "  %s: %s\n", k, info.Metadata[k])
		}
	}
}

// extraMeaning says what the runner feeds an extra input.
func extraMeaning(kind string) string {
	switch kind {
	case runner.ExtraUseCacheBranch:
		return "false for the first step (empty past), true after"
	case runner.ExtraLogitsToKeep:
		return "the fewest last positions whose logits are read (1 for a decode step)"
	case runner.ExtraCachePosition:
		return "the cache columns of the positions fed"
	}
	return kind
}

// modelError maps runner errors to exit codes: a bad model directory or a context overflow is bad input
// (exit 2); anything else is a runtime failure (exit 3).
func modelError(err error) error {
	if errors.Is(err, runner.ErrBadModelDir) || errors.Is(err, runner.ErrContextOverflow) || errors.Is(err, runner.ErrBadProvider) || errors.Is(err, runner.ErrEmptyPrompt) {
		return badInput(err)
	}
	return err
}
