// Package onnxbuild builds ONNX decoder graphs for Llama-family models in pure Go: test models with
// seeded random weights, and real models converted from llama2.c checkpoints (with their tokenizer
// turned into a Hugging Face tokenizer.json).
//
// The graphs follow the I/O contract of Hugging Face optimum's text-generation-with-past export:
//
//	inputs:  input_ids int64 [batch_size, sequence_length]
//	         attention_mask int64 [batch_size, total_sequence_length]
//	         position_ids int64 [batch_size, sequence_length]
//	         past_key_values.{i}.key / .value  float32|float16 [batch_size, kv_heads, past_sequence_length, head_dim]
//	outputs: logits float32 [batch_size, sequence_length, vocab]
//	         present.{i}.key / .value  (same dtype as past) [batch_size, kv_heads, total_sequence_length, head_dim]
//
// Only standard ONNX operators of the default domain (opset 17) are used, so the CPU and CUDA
// execution providers of ONNX Runtime both run them. With LlamaConfig.GenAI the graph instead follows
// onnxruntime-genai's model builder (CPU, float32): GroupQueryAttention from ONNX Runtime's
// com.microsoft contrib domain, no position_ids input, and a genai_config.json next to it.
package onnxbuild

import (
	"errors"
	"fmt"
)

// LlamaConfig describes a Llama-family decoder.
type LlamaConfig struct {
	VocabSize int // number of tokens
	Dim       int // hidden size
	HiddenDim int // FFN intermediate size
	Layers    int // decoder layers
	Heads     int // query heads
	KVHeads   int // key/value heads (grouped-query attention when < Heads)
	MaxSeqLen int // rows of the rotary tables: positions must be < MaxSeqLen

	RopeTheta float64 // rotary base (10000 for Llama 2)
	NormEps   float64 // RMSNorm epsilon

	// RopeInterleaved rotates adjacent pairs (x[2i], x[2i+1]) as llama2.c does; false rotates the
	// half-split pairs (x[i], x[i+d/2]) as Hugging Face Llama does.
	RopeInterleaved bool
	// KVFloat16 makes past_key_values.* inputs and present.* outputs float16 (compute stays float32).
	KVFloat16 bool
	// TieEmbeddings uses the token embedding as the output projection (lm_head).
	TieEmbeddings bool
	// NoPositionIDs leaves out the position_ids input: the graph derives positions from
	// attention_mask (cumulative sum - 1, clipped at 0), as some exports do.
	NoPositionIDs bool
	// GenAI builds the decoder the way onnxruntime-genai's model builder does for the CPU in float32:
	// attention is ONNX Runtime's GroupQueryAttention contrib operator (domain com.microsoft) fed by
	// one packed Q/K/V MatMul, with the rotary embedding inside it (do_rotary=1, cos_cache/sin_cache
	// [MaxSeqLen, head_dim/2]); seqlens_k (ReduceSum(attention_mask)-1) and total_sequence_length
	// (attention_mask's width) are computed in the graph; there is no position_ids input.
	// WriteModelDir then writes genai_config.json instead of config.json and generation_config.json.
	// Needs float32 KV (KVFloat16 false) and a head dim that is a multiple of 16 (ONNX Runtime's
	// GroupQueryAttention kernel requires it).
	GenAI bool
	// Int4 (with GenAI) stores the decoder layers' projections as genai's int4 models do: ONNX Runtime's
	// MatMulNBits contrib operator, 4-bit codes in blocks of 32 along K with one float32 scale each
	// (symmetric, default zero point). Embeddings, norms and lm_head stay float32. DequantizedInt4 gives
	// the weights such a graph computes with.
	Int4 bool

	// Export quirks of real checkpoints (standard optimum/transformers.js layout only). Each changes the
	// graph's I/O contract or storage, never its math: the same weights give the same tokens.
	//
	// Quant stores the weights in one of QuantKinds (fp16, q4, q4f16, int8, uint8), as transformers.js's
	// onnx/model_<kind>.onnx variants do; "" is float32. ExportedWeights gives what each computes with.
	Quant string
	// LogitsFloat16 makes the logits output float16 (computed in float32 and cast).
	LogitsFloat16 bool
	// LastLogitsOnly returns the logits of the last position only: [batch, 1, vocab].
	LastLogitsOnly bool
	// LogitsToKeep, when set, names an int64 scalar input (num_logits_to_keep, logits_to_keep): the
	// logits cover the last that many positions, [batch, n, vocab], all of them for 0 (transformers'
	// semantics).
	LogitsToKeep string
	// CachePosition adds transformers' cache_position input, int64 [sequence_length]: the cache
	// columns of the positions fed, from which the causal mask is built (query i sees the keys at columns
	// <= cache_position[i]), instead of past_sequence_length + i.
	CachePosition bool

	// BOSTokenID and EOSTokenIDs go to config.json / generation_config.json.
	BOSTokenID  int
	EOSTokenIDs []int
}

// HeadDim is Dim / Heads.
func (c LlamaConfig) HeadDim() int { return c.Dim / c.Heads }

// KVDim is KVHeads * HeadDim.
func (c LlamaConfig) KVDim() int { return c.KVHeads * c.HeadDim() }

// Validate reports the first inconsistency in c.
func (c LlamaConfig) Validate() error {
	switch {
	case c.VocabSize <= 0 || c.Dim <= 0 || c.HiddenDim <= 0 || c.Layers <= 0 || c.Heads <= 0 || c.KVHeads <= 0 || c.MaxSeqLen <= 0:
		return fmt.Errorf("onnxbuild: config sizes must be positive: %+v", c)
	case c.Dim%c.Heads != 0:
		return fmt.Errorf("onnxbuild: dim %d is not a multiple of heads %d", c.Dim, c.Heads)
	case c.HeadDim()%2 != 0:
		return fmt.Errorf("onnxbuild: head dim %d must be even for rotary embedding", c.HeadDim())
	case c.Heads%c.KVHeads != 0:
		return fmt.Errorf("onnxbuild: heads %d is not a multiple of kv heads %d", c.Heads, c.KVHeads)
	case c.RopeTheta <= 0:
		return errors.New("onnxbuild: rope theta must be positive")
	case c.NormEps <= 0:
		return errors.New("onnxbuild: norm eps must be positive")
	case c.GenAI && c.KVFloat16:
		return errors.New("onnxbuild: a genai (GroupQueryAttention) model has float32 KV, as the genai builder writes for the CPU")
	case c.Int4 && !c.GenAI:
		return errors.New("onnxbuild: int4 (MatMulNBits) weights need the genai layout")
	case c.GenAI && c.HeadDim()%16 != 0:
		// ONNX Runtime's GroupQueryAttention: "head_size shall be a multiple of 16".
		return fmt.Errorf("onnxbuild: head dim %d: GroupQueryAttention needs a multiple of 16", c.HeadDim())
	}
	if err := c.validateQuant(); err != nil {
		return err
	}
	if c.BOSTokenID < 0 || c.BOSTokenID >= c.VocabSize {
		return fmt.Errorf("onnxbuild: bos id %d outside vocab %d", c.BOSTokenID, c.VocabSize)
	}
	for _, id := range c.EOSTokenIDs {
		if id < 0 || id >= c.VocabSize {
			return fmt.Errorf("onnxbuild: eos id %d outside vocab %d", id, c.VocabSize)
		}
	}
	return nil
}

// Preset returns a named model shape with the given vocabulary size (BOS 1, EOS 2, Llama 2 style;
// untied lm_head, half-split rotary, float32 KV):
//
//	tiny:   dim 64,  hidden 172,  2 layers, 4 heads / 2 kv heads, 2048 positions
//	small:  dim 256, hidden 688,  4 layers, 8 heads / 4 kv heads, 4096 positions
//	medium: dim 512, hidden 1376, 8 layers, 8 heads / 4 kv heads, 4096 positions
//	large:  dim 2048, hidden 5632, 16 layers, 16 heads / 4 kv heads (head dim 128), 4096 positions:
//	        0.7 billion parameters (2.9 GB float32) with the byte tokenizer, for GPU measurements
func Preset(name string, vocab int) (LlamaConfig, error) {
	c := LlamaConfig{VocabSize: vocab, RopeTheta: 10000, NormEps: 1e-5, BOSTokenID: 1, EOSTokenIDs: []int{2}}
	switch name {
	case "tiny":
		c.Dim, c.HiddenDim, c.Layers, c.Heads, c.KVHeads, c.MaxSeqLen = 64, 172, 2, 4, 2, 2048
	case "small":
		c.Dim, c.HiddenDim, c.Layers, c.Heads, c.KVHeads, c.MaxSeqLen = 256, 688, 4, 8, 4, 4096
	case "medium":
		c.Dim, c.HiddenDim, c.Layers, c.Heads, c.KVHeads, c.MaxSeqLen = 512, 1376, 8, 8, 4, 4096
	case "large":
		c.Dim, c.HiddenDim, c.Layers, c.Heads, c.KVHeads, c.MaxSeqLen = 2048, 5632, 16, 16, 4, 4096
	default:
		return LlamaConfig{}, fmt.Errorf("onnxbuild: unknown preset %q (want tiny, small, medium or large)", name)
	}
	return c, nil
}

// Presets lists the names Preset accepts.
func Presets() []string { return []string{"tiny", "small", "medium", "large"} }
