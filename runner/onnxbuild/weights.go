package onnxbuild

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Weights holds a Llama decoder's parameters in float32. Matrices are row-major [out, in], the
// PyTorch nn.Linear / llama2.c layout; the graph builder transposes them for MatMul.
type Weights struct {
	Embed     []float32 // [vocab, dim]
	Layers    []LayerWeights
	FinalNorm []float32 // [dim]
	// LMHead is the output projection [vocab, dim]; nil when the config ties it to Embed.
	LMHead []float32
	// LMHeadBias, when non-nil, is added to the logits [vocab] (used to bias EOS in test checkpoints).
	LMHeadBias []float32
}

// LayerWeights holds one decoder layer.
type LayerWeights struct {
	AttnNorm []float32 // [dim]
	WQ       []float32 // [dim, dim]
	WK       []float32 // [kv_dim, dim]
	WV       []float32 // [kv_dim, dim]
	WO       []float32 // [dim, dim]
	FFNNorm  []float32 // [dim]
	W1       []float32 // gate [hidden, dim]
	W2       []float32 // down [dim, hidden]
	W3       []float32 // up [hidden, dim]
}

// Check reports whether w has the sizes cfg asks for.
func (w *Weights) Check(cfg LlamaConfig) error {
	d, kv, h, v := cfg.Dim, cfg.KVDim(), cfg.HiddenDim, cfg.VocabSize
	type want struct {
		name string
		got  []float32
		n    int
	}
	ws := []want{{"embed", w.Embed, v * d}, {"final_norm", w.FinalNorm, d}}
	if cfg.TieEmbeddings {
		if w.LMHead != nil {
			return fmt.Errorf("onnxbuild: tied embeddings but an lm_head is given")
		}
	} else {
		ws = append(ws, want{"lm_head", w.LMHead, v * d})
	}
	if w.LMHeadBias != nil {
		ws = append(ws, want{"lm_head_bias", w.LMHeadBias, v})
	}
	if len(w.Layers) != cfg.Layers {
		return fmt.Errorf("onnxbuild: %d layers of weights, config has %d", len(w.Layers), cfg.Layers)
	}
	for i, l := range w.Layers {
		p := fmt.Sprintf("layers.%d.", i)
		ws = append(ws, want{p + "attn_norm", l.AttnNorm, d}, want{p + "wq", l.WQ, d * d}, want{p + "wk", l.WK, kv * d},
			want{p + "wv", l.WV, kv * d}, want{p + "wo", l.WO, d * d}, want{p + "ffn_norm", l.FFNNorm, d},
			want{p + "w1", l.W1, h * d}, want{p + "w2", l.W2, d * h}, want{p + "w3", l.W3, h * d})
	}
	for _, x := range ws {
		if len(x.got) != x.n {
			return fmt.Errorf("onnxbuild: weight %s has %d values, want %d", x.name, len(x.got), x.n)
		}
	}
	return nil
}

// RandomWeights returns deterministic weights for cfg drawn from a PCG generator seeded with seed.
// Scales keep activations of order one through the layers: embeddings N(0,1), projections
// N(0, 1/fan_in), norm gains 1 ± 0.1, and logits with a standard deviation of about 3. With an
// untied lm_head (the presets' choice) greedy decoding wanders through the vocabulary; with tied
// embeddings a random model mostly repeats its last token, because the residual stream still
// carries that token's embedding.
func RandomWeights(cfg LlamaConfig, seed int64) *Weights {
	r := rand.New(rand.NewPCG(uint64(seed), 0x6f6e6e786275696c)) // "onnxbuil"
	normal := func(n int, std float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64() * std)
		}
		return v
	}
	gain := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(1 + 0.1*r.NormFloat64())
		}
		return v
	}
	d, kv, h := cfg.Dim, cfg.KVDim(), cfg.HiddenDim
	w := &Weights{Embed: normal(cfg.VocabSize*d, 1)}
	for range cfg.Layers {
		w.Layers = append(w.Layers, LayerWeights{
			AttnNorm: gain(d),
			WQ:       normal(d*d, 1/math.Sqrt(float64(d))),
			WK:       normal(kv*d, 1/math.Sqrt(float64(d))),
			WV:       normal(kv*d, 1/math.Sqrt(float64(d))),
			WO:       normal(d*d, 1/math.Sqrt(float64(d))),
			FFNNorm:  gain(d),
			W1:       normal(h*d, 1/math.Sqrt(float64(d))),
			W2:       normal(d*h, 1/math.Sqrt(float64(h))),
			W3:       normal(h*d, 1/math.Sqrt(float64(d))),
		})
	}
	// The final norm's gain scales the logits: with tied unit-variance embeddings the logits have a
	// standard deviation of about gain*sqrt(dim); aim for about 3.
	g := 3 / math.Sqrt(float64(d))
	w.FinalNorm = make([]float32, d)
	for i := range w.FinalNorm {
		w.FinalNorm[i] = float32(g * (1 + 0.1*r.NormFloat64()))
	}
	if !cfg.TieEmbeddings {
		w.LMHead = normal(cfg.VocabSize*d, 1)
	}
	return w
}

// AddLogitBias adds bias to the logit of token id (through LMHeadBias, created when absent). Two
// checkpoints with the same seed and different EOS biases differ in how long they talk.
func (w *Weights) AddLogitBias(vocab, id int, bias float32) error {
	if id < 0 || id >= vocab {
		return fmt.Errorf("onnxbuild: logit bias for id %d outside vocab %d", id, vocab)
	}
	if w.LMHeadBias == nil {
		w.LMHeadBias = make([]float32, vocab)
	}
	w.LMHeadBias[id] += bias
	return nil
}
