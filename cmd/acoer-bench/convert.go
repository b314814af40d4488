package main

import (
	"context"
	"fmt"

	"github.com/acoer/acoer-bench/runner/onnxbuild"
)

const convertExamples = `  # llama2.c's stories260K into a model directory (model.onnx, tokenizer.json, configs)
  acoer-bench convert llama2c --checkpoint ../shared/models/stories260K/stories260K.bin \
      --tokenizer ../shared/models/stories260K/tok512.bin --out models/stories260K`

// cmdConvert converts a checkpoint of another format into a model directory. The only source format
// so far is llama2.c (legacy checkpoint + tokenizer.bin).
func cmdConvert(ctx context.Context, e env) error {
	fs := newFlags("convert llama2c", "--checkpoint F --tokenizer F --out DIR [--kv-float16] [--force]", convertExamples, e.stderr)
	ckpt := fs.String("checkpoint", "", "llama2.c checkpoint (legacy format, e.g. stories260K.bin)")
	tok := fs.String("tokenizer", "", "llama2.c tokenizer.bin of the checkpoint (e.g. tok512.bin)")
	out := fs.String("out", "", "model directory to write")
	kv16 := fs.Bool("kv-float16", false, "float16 past_key_values / present tensors")
	force := fs.Bool("force", false, "replace DIR when it exists")
	if len(e.args) == 0 || e.args[0] != "llama2c" {
		if len(e.args) > 0 && (e.args[0] == "-h" || e.args[0] == "-help" || e.args[0] == "--help") {
			fs.Usage()
			return errHelp
		}
		return badInputf("want a source format: `convert llama2c --checkpoint F --tokenizer F --out DIR`")
	}
	if err := parseFlags(fs, e.args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return badInputf("unexpected arguments %q", fs.Args())
	}
	if *ckpt == "" || *tok == "" || *out == "" {
		return badInputf("--checkpoint, --tokenizer and --out are required")
	}
	cfg, err := onnxbuild.ConvertLlama2C(*ckpt, *tok, *out, *kv16, onnxbuild.DirOptions{Overwrite: *force})
	if err != nil {
		return dirError(err)
	}
	fmt.Fprintf(e.stdout, "wrote %s: llama2.c model, vocab %d, dim %d, %d layers, %d/%d heads, context %d\n",
		*out, cfg.VocabSize, cfg.Dim, cfg.Layers, cfg.Heads, cfg.KVHeads, cfg.MaxSeqLen)
	return nil
}
