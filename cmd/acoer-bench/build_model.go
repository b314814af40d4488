package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/acoer/acoer-bench/runner/onnxbuild"
)

const buildModelExamples = `  # convert llama2.c's stories260K (checkpoint + tokenizer) into a model directory
  acoer-bench build-model --out models/stories260K \
      --llama2c ../shared/models/stories260K/stories260K.bin \
      --llama2c-tokenizer ../shared/models/stories260K/tok512.bin

  # a seeded test model with the built-in byte-level tokenizer
  acoer-bench build-model --out models/tiny-a --seed 1 --preset tiny

  # the layout onnxruntime-genai's model builder writes (CPU fp32): GroupQueryAttention graph, no
  # position_ids, genai_config.json instead of config.json / generation_config.json
  acoer-bench build-model --out models/tiny-genai --seed 1 --preset tiny --genai
  acoer-bench build-model --out models/tiny-genai-int4 --seed 1 --preset tiny --genai --int4   # MatMulNBits

  # the layouts real checkpoints come in (the same weights give the same tokens in each)
  acoer-bench build-model --out models/tiny-tjs --seed 1 --layout transformers.js               # onnx/model.onnx
  acoer-bench build-model --out models/tiny-tjs --seed 1 --layout transformers.js --quant q4 --add-variant  # + onnx/model_q4.onnx
  acoer-bench build-model --out models/tiny-merged --seed 1 --layout optimum-merged             # decoder_model_merged.onnx
  acoer-bench build-model --out models/tiny-split --seed 1 --layout optimum-split --onnx-subfolder  # onnx/decoder_model.onnx + onnx/decoder_with_past_model.onnx

  # baseline and candidate test models that differ only in how readily they stop (EOS logit bias)
  acoer-bench build-model --out models/base --seed 7 --preset small --tokenizer .cache/tokenizers/llama2
  acoer-bench build-model --out models/cand --seed 7 --preset small --tokenizer .cache/tokenizers/llama2 --eos-bias 3`

// cmdBuildModel writes a model directory: a Llama-family ONNX decoder with KV cache, either
// converted from a llama2.c checkpoint or with seeded random weights (for tests and benchmarks of
// the harness itself).
func cmdBuildModel(ctx context.Context, e env) error {
	fs := newFlags("build-model",
		"--out DIR (--llama2c CKPT --llama2c-tokenizer TOK | --seed N [--preset tiny|small|medium|large] [--tokenizer DIR_OR_JSON] [--eos-bias X]) [--kv-float16 | --genai [--int4]]",
		buildModelExamples, e.stderr)
	out := fs.String("out", "", "model directory to write (required)")
	ckpt := fs.String("llama2c", "", "llama2.c checkpoint (legacy format) to convert")
	tokBin := fs.String("llama2c-tokenizer", "", "llama2.c tokenizer.bin of the checkpoint (e.g. tok512.bin)")
	seed := fs.Int64("seed", -1, "seed of the random weights (a seeded model; >= 0)")
	preset := fs.String("preset", "tiny", "shape of a seeded model: "+strings.Join(onnxbuild.Presets(), ", "))
	tokPath := fs.String("tokenizer", "", "tokenizer.json, or a dir with tokenizer.json (+ tokenizer_config.json), for a seeded model; default: a built-in byte-level tokenizer")
	eosBias := fs.Float64("eos-bias", 0, "add this to the EOS logit of a seeded model (longer or shorter answers)")
	kv16 := fs.Bool("kv-float16", false, "float16 past_key_values / present tensors")
	genai := fs.Bool("genai", false, "build as onnxruntime-genai's model builder does for the CPU (fp32): GroupQueryAttention (com.microsoft) with rotary inside, no position_ids, genai_config.json; head dim must be a multiple of 16")
	rope := fs.String("rope", "half", "rotary layout of a seeded model: half (Hugging Face) or interleaved (llama2.c)")
	maxSeq := fs.Int("max-seq-len", 0, "context length of a seeded model (default: the preset's)")
	external := fs.String("external-data", "auto", "weights in model.onnx.data: auto (when over 100 MB), always, never")
	force := fs.Bool("force", false, "replace DIR when it exists")
	int4 := fs.Bool("int4", false, "with --genai: decoder-layer projections as int4 MatMulNBits (block 32), as the genai builder's -p int4 writes")
	layoutName := fs.String("layout", "standard", "file layout: standard (model.onnx), transformers.js (onnx/model.onnx), optimum-merged (decoder_model_merged.onnx), optimum-split (decoder_model.onnx + decoder_with_past_model.onnx)")
	subfolder := fs.Bool("onnx-subfolder", false, "with an optimum layout: the graphs under onnx/ (as Xenova's Hub repositories)")
	variant := fs.String("variant", "", "graph file name suffix (model_<variant>.onnx); default: the --quant kind's name, none for float32")
	quant := fs.String("quant", "", "weight storage: "+strings.Join(onnxbuild.QuantKinds(), ", ")+" (as transformers.js's variants; default float32)")
	addVariant := fs.Bool("add-variant", false, "add the graph(s) to the existing model directory --out (another variant beside those there)")
	logits16 := fs.Bool("logits-float16", false, "float16 logits output")
	lastLogits := fs.Bool("last-logits-only", false, "logits for the last position only: [batch, 1, vocab]")
	keepInput := fs.String("logits-to-keep", "", "an int64 scalar input of this name (num_logits_to_keep, logits_to_keep): the logits of the last N positions")
	cachePos := fs.Bool("cache-position", false, "a cache_position int64 [seq] input (the causal mask follows it)")
	chunkMB := fs.Int("data-chunk-mb", 0, "split the external data into files of at most this many MB (NAME, NAME_1, ...)")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	layout := onnxbuild.Layout(*layoutName)
	if *layoutName == "standard" {
		layout = onnxbuild.LayoutStandard
	}
	if !slices.Contains(onnxbuild.Layouts(), layout) {
		return badInputf("--layout %q: want standard, transformers.js, optimum-merged or optimum-split", *layoutName)
	}
	if *quant != "" && *variant == "" {
		*variant = *quant
		if *quant == onnxbuild.QuantQ8 {
			*variant = "quantized" // transformers.js's model_quantized.onnx (its dtype q8)
		}
	}
	if *chunkMB < 0 {
		return badInputf("--data-chunk-mb must be positive")
	}
	exportQuirks := func(c *onnxbuild.LlamaConfig) {
		c.Quant, c.LogitsFloat16, c.LastLogitsOnly, c.LogitsToKeep, c.CachePosition = *quant, *logits16, *lastLogits, *keepInput, *cachePos
	}
	if fs.NArg() > 0 {
		return badInputf("unexpected arguments %q", fs.Args())
	}
	if *out == "" {
		return badInputf("--out is required")
	}
	opts := onnxbuild.DirOptions{Overwrite: *force, Layout: layout, Subfolder: *subfolder, Variant: *variant,
		ExternalChunkBytes: int64(*chunkMB) << 20}
	switch *external {
	case "auto":
	case "always", "never":
		v := *external == "always"
		opts.ExternalData = &v
	default:
		return badInputf("--external-data %q: want auto, always or never", *external)
	}

	if *int4 && !*genai {
		return badInputf("--int4 needs --genai")
	}
	if *genai && *kv16 {
		return badInputf("--genai models have float32 KV (as the genai builder writes for the CPU); drop --kv-float16")
	}

	var cfg onnxbuild.LlamaConfig
	var err error
	switch {
	case *ckpt != "" || *tokBin != "":
		if *ckpt == "" || *tokBin == "" {
			return badInputf("--llama2c and --llama2c-tokenizer go together")
		}
		if *seed >= 0 || *tokPath != "" || *eosBias != 0 || *maxSeq != 0 {
			return badInputf("--seed, --tokenizer, --eos-bias and --max-seq-len are for seeded models, not --llama2c")
		}
		if *addVariant {
			return badInputf("--add-variant is for seeded models")
		}
		adjust := func(c *onnxbuild.LlamaConfig) {
			c.KVFloat16, c.GenAI, c.Int4 = *kv16, *genai, *int4
			exportQuirks(c)
		}
		if cfg, err = onnxbuild.ConvertLlama2CWith(*ckpt, *tokBin, *out, adjust, opts); err != nil {
			return dirError(err)
		}
	case *seed >= 0:
		vocab, bos, eos := len(onnxbuild.ByteTokenizerPieces()), 1, []int{2}
		if *tokPath != "" {
			tf, err := onnxbuild.LoadTokenizerFiles(*tokPath)
			if err != nil {
				return badInput(unprefixed(err))
			}
			opts.TokenizerJSON, opts.TokenizerConfigJSON, opts.ExtraFiles = tf.JSON, tf.ConfigJSON, tf.Extra
			vocab, bos, eos = tf.VocabSize, tf.BOS, tf.EOS
		}
		if cfg, err = onnxbuild.Preset(*preset, vocab); err != nil {
			return badInput(unprefixed(err))
		}
		cfg.BOSTokenID, cfg.EOSTokenIDs, cfg.KVFloat16, cfg.GenAI, cfg.Int4 = bos, eos, *kv16, *genai, *int4
		exportQuirks(&cfg)
		switch *rope {
		case "half":
		case "interleaved":
			cfg.RopeInterleaved = true
		default:
			return badInputf("--rope %q: want half or interleaved", *rope)
		}
		if *maxSeq < 0 {
			return badInputf("--max-seq-len must be positive")
		} else if *maxSeq > 0 {
			cfg.MaxSeqLen = *maxSeq
		}
		if err := cfg.Validate(); err != nil {
			return badInput(err)
		}
		if *addVariant {
			w := onnxbuild.RandomWeights(cfg, *seed)
			if *eosBias != 0 {
				if err := w.AddLogitBias(cfg.VocabSize, cfg.EOSTokenIDs[0], float32(*eosBias)); err != nil {
					return badInput(unprefixed(err))
				}
			}
			if err := onnxbuild.AddVariant(*out, cfg, w, opts); err != nil {
				return badInput(unprefixed(err))
			}
		} else if err := onnxbuild.WriteSeededModelDir(*out, cfg, *seed, float32(*eosBias), opts); err != nil {
			return dirError(err)
		}
	default:
		return badInputf("give --llama2c CKPT --llama2c-tokenizer TOK, or --seed N (see --help)")
	}
	ext := "inline weights"
	if _, err := os.Stat(filepath.Join(*out, onnxbuild.ExternalDataName)); err == nil {
		ext = "weights in " + onnxbuild.ExternalDataName
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if layout != onnxbuild.LayoutStandard || *variant != "" {
		ext = "layout " + *layoutName
		if *variant != "" {
			ext += ", variant " + *variant
		}
	}
	kv := "float32"
	if cfg.KVFloat16 {
		kv = "float16"
	}
	kind := ""
	if cfg.GenAI {
		kind = ", genai layout (GroupQueryAttention)"
	}
	if cfg.Int4 {
		kind += ", int4 MatMulNBits projections"
	}
	if cfg.Quant != "" {
		kind += ", " + cfg.Quant + " weights"
	}
	fmt.Fprintf(e.stdout, "wrote %s: vocab %d, dim %d, %d layers, %d/%d heads, context %d, KV %s, %s%s\n",
		*out, cfg.VocabSize, cfg.Dim, cfg.Layers, cfg.Heads, cfg.KVHeads, cfg.MaxSeqLen, kv, ext, kind)
	return nil
}

// dirError maps a model-writing error: an existing output dir or bad input files are bad input
// (exit 2), anything else a runtime failure.
func dirError(err error) error {
	err = unprefixed(err)
	var ie *onnxbuild.InputError
	switch {
	case errors.As(err, &ie):
		return badInput(err)
	case strings.Contains(err.Error(), "not empty"):
		return badInputf("%v (use --force to replace it)", err)
	}
	return err
}

// unprefixed drops the "onnxbuild: " package prefix from err's message (the user ran build-model or
// convert, not a package); errors.Is/As still see err.
func unprefixed(err error) error {
	if msg, ok := strings.CutPrefix(err.Error(), "onnxbuild: "); ok {
		return &plainErr{msg: msg, err: err}
	}
	return err
}

// plainErr prints msg and unwraps to err.
type plainErr struct {
	msg string
	err error
}

func (e *plainErr) Error() string { return e.msg }
func (e *plainErr) Unwrap() error { return e.err }
