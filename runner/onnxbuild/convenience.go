package onnxbuild

import "fmt"

// InputError marks a failure to read or accept the inputs of ConvertLlama2C (a missing, truncated or
// inconsistent checkpoint or tokenizer), as opposed to a failure to write the model directory.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// ConvertLlama2C converts a llama2.c checkpoint and its tokenizer.bin into a model directory (see
// WriteModelDir): the ONNX decoder, config.json, generation_config.json (EOS ids 2 and 1: llama2.c
// stops at BOS), a Hugging Face tokenizer.json equivalent to the llama2.c tokenizer and a
// tokenizer_config.json. opts' tokenizer fields are filled in here; kvFloat16 makes the KV cache
// float16. It returns the model's config.
func ConvertLlama2C(checkpoint, tokenizer, dir string, kvFloat16 bool, opts DirOptions) (LlamaConfig, error) {
	return ConvertLlama2CWith(checkpoint, tokenizer, dir, func(c *LlamaConfig) { c.KVFloat16 = kvFloat16 }, opts)
}

// ConvertLlama2CWith is ConvertLlama2C with the checkpoint's config passed through adjust before the
// model is written (e.g. to set KVFloat16 or GenAI); a config that adjust makes invalid is an
// InputError.
func ConvertLlama2CWith(checkpoint, tokenizer, dir string, adjust func(*LlamaConfig), opts DirOptions) (LlamaConfig, error) {
	cfg, w, err := ReadLlama2C(checkpoint)
	if err != nil {
		return LlamaConfig{}, &InputError{err}
	}
	toks, err := ReadLlama2CTokenizer(tokenizer)
	if err != nil {
		return LlamaConfig{}, &InputError{err}
	}
	if len(toks) != cfg.VocabSize {
		return LlamaConfig{}, &InputError{fmt.Errorf("tokenizer %s has %d tokens, checkpoint %s has %d", tokenizer, len(toks), checkpoint, cfg.VocabSize)}
	}
	if opts.TokenizerJSON, err = sentencePieceTokenizerJSON(toks); err != nil {
		return LlamaConfig{}, &InputError{fmt.Errorf("%s: %w", tokenizer, err)}
	}
	if opts.TokenizerConfigJSON, err = Llama2TokenizerConfigJSON(cfg.MaxSeqLen); err != nil {
		return LlamaConfig{}, err
	}
	if adjust != nil {
		adjust(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		return LlamaConfig{}, &InputError{fmt.Errorf("%s: %w", checkpoint, err)}
	}
	return cfg, WriteModelDir(dir, cfg, w, opts)
}

// WriteSeededModelDir writes a test model directory with RandomWeights(cfg, seed), eosBias added to
// the logit of cfg.EOSTokenIDs[0] (0 for none). Without opts.TokenizerJSON it writes the built-in
// byte-level tokenizer (ByteTokenizerJSON), which needs cfg.VocabSize == len(ByteTokenizerPieces())
// (354) and BOS 1 / EOS 2.
func WriteSeededModelDir(dir string, cfg LlamaConfig, seed int64, eosBias float32, opts DirOptions) error {
	if opts.TokenizerJSON == nil {
		if n := len(ByteTokenizerPieces()); cfg.VocabSize != n {
			return fmt.Errorf("onnxbuild: the built-in byte tokenizer has %d tokens, config vocab is %d", n, cfg.VocabSize)
		}
		var err error
		if opts.TokenizerJSON, err = ByteTokenizerJSON(); err != nil {
			return err
		}
		if opts.TokenizerConfigJSON, err = Llama2TokenizerConfigJSON(cfg.MaxSeqLen); err != nil {
			return err
		}
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	w := RandomWeights(cfg, seed)
	if eosBias != 0 {
		if len(cfg.EOSTokenIDs) == 0 {
			return fmt.Errorf("onnxbuild: an EOS bias needs an EOS id in the config")
		}
		if err := w.AddLogitBias(cfg.VocabSize, cfg.EOSTokenIDs[0], eosBias); err != nil {
			return err
		}
	}
	return WriteModelDir(dir, cfg, w, opts)
}
