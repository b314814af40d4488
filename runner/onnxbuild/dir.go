package onnxbuild

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// DefaultExternalThreshold is the total weight size above which WriteModelDir stores the weights in
// model.onnx.data instead of inside model.onnx.
const DefaultExternalThreshold = 100 << 20

// DirOptions says what WriteModelDir writes besides the graph.
type DirOptions struct {
	// TokenizerJSON and TokenizerConfigJSON are written as tokenizer.json and
	// tokenizer_config.json when non-nil.
	TokenizerJSON       []byte
	TokenizerConfigJSON []byte
	// ExtraFiles are written as given (name -> contents), e.g. special_tokens_map.json.
	ExtraFiles map[string][]byte
	// ExternalData forces weights into model.onnx.data (true) or inline (false); nil decides by
	// ExternalThreshold.
	ExternalData *bool
	// ExternalThreshold is the total weight size in bytes above which the weights go to
	// model.onnx.data when ExternalData is nil; 0 means DefaultExternalThreshold.
	ExternalThreshold int64
	// ExternalDataName names the external data file (default ExternalDataName, model.onnx.data), e.g.
	// model.onnx_data as older exports name it, or any name a renamed graph keeps. It must be a plain
	// file name.
	ExternalDataName string
	// Overwrite replaces an existing dir; otherwise an existing non-empty dir is an error.
	Overwrite bool
}

// hfConfig is the Hugging Face LlamaConfig subset written to config.json.
type hfConfig struct {
	Architectures         []string `json:"architectures"`
	ModelType             string   `json:"model_type"`
	VocabSize             int      `json:"vocab_size"`
	HiddenSize            int      `json:"hidden_size"`
	IntermediateSize      int      `json:"intermediate_size"`
	NumHiddenLayers       int      `json:"num_hidden_layers"`
	NumAttentionHeads     int      `json:"num_attention_heads"`
	NumKeyValueHeads      int      `json:"num_key_value_heads"`
	HeadDim               int      `json:"head_dim"`
	MaxPositionEmbeddings int      `json:"max_position_embeddings"`
	RMSNormEps            float64  `json:"rms_norm_eps"`
	RopeTheta             float64  `json:"rope_theta"`
	HiddenAct             string   `json:"hidden_act"`
	BOSTokenID            int      `json:"bos_token_id"`
	EOSTokenID            any      `json:"eos_token_id"`
	TieWordEmbeddings     bool     `json:"tie_word_embeddings"`
	TorchDtype            string   `json:"torch_dtype"`
	UseCache              bool     `json:"use_cache"`
	// Not Hugging Face keys: how this export differs from a stock Llama export.
	RopeInterleaved bool   `json:"acoer_rope_interleaved"`
	KVDtype         string `json:"acoer_kv_dtype"`
}

func eosValue(ids []int) any {
	if len(ids) == 1 {
		return ids[0]
	}
	return ids
}

// ConfigJSON returns the config.json (Hugging Face LlamaConfig keys) for cfg.
func ConfigJSON(cfg LlamaConfig) ([]byte, error) {
	kv := "float32"
	if cfg.KVFloat16 {
		kv = "float16"
	}
	c := hfConfig{
		Architectures: []string{"LlamaForCausalLM"}, ModelType: "llama",
		VocabSize: cfg.VocabSize, HiddenSize: cfg.Dim, IntermediateSize: cfg.HiddenDim,
		NumHiddenLayers: cfg.Layers, NumAttentionHeads: cfg.Heads, NumKeyValueHeads: cfg.KVHeads,
		HeadDim: cfg.HeadDim(), MaxPositionEmbeddings: cfg.MaxSeqLen, RMSNormEps: cfg.NormEps,
		RopeTheta: cfg.RopeTheta, HiddenAct: "silu", BOSTokenID: cfg.BOSTokenID, EOSTokenID: eosValue(cfg.EOSTokenIDs),
		TieWordEmbeddings: cfg.TieEmbeddings, TorchDtype: "float32", UseCache: true,
		RopeInterleaved: cfg.RopeInterleaved, KVDtype: kv,
	}
	return json.MarshalIndent(c, "", "  ")
}

// GenerationConfigJSON returns generation_config.json for cfg.
func GenerationConfigJSON(cfg LlamaConfig) ([]byte, error) {
	return json.MarshalIndent(map[string]any{
		"bos_token_id": cfg.BOSTokenID,
		"eos_token_id": eosValue(cfg.EOSTokenIDs),
		"max_length":   cfg.MaxSeqLen,
	}, "", "  ")
}

// genaiConfig is the genai_config.json that onnxruntime-genai's model builder writes.
type genaiConfig struct {
	Model  genaiModel  `json:"model"`
	Search genaiSearch `json:"search"`
}

type genaiModel struct {
	BOSTokenID    int          `json:"bos_token_id"`
	ContextLength int          `json:"context_length"`
	Decoder       genaiDecoder `json:"decoder"`
	EOSTokenID    any          `json:"eos_token_id"`
	PadTokenID    int          `json:"pad_token_id"`
	Type          string       `json:"type"`
	VocabSize     int          `json:"vocab_size"`
}

type genaiDecoder struct {
	SessionOptions    map[string]any    `json:"session_options"`
	Filename          string            `json:"filename"`
	HeadSize          int               `json:"head_size"`
	HiddenSize        int               `json:"hidden_size"`
	Inputs            map[string]string `json:"inputs"`
	Outputs           map[string]string `json:"outputs"`
	NumAttentionHeads int               `json:"num_attention_heads"`
	NumHiddenLayers   int               `json:"num_hidden_layers"`
	NumKeyValueHeads  int               `json:"num_key_value_heads"`
}

type genaiSearch struct {
	DiversityPenalty       float64 `json:"diversity_penalty"`
	DoSample               bool    `json:"do_sample"`
	EarlyStopping          bool    `json:"early_stopping"`
	LengthPenalty          float64 `json:"length_penalty"`
	MaxLength              int     `json:"max_length"`
	MinLength              int     `json:"min_length"`
	NoRepeatNgramSize      int     `json:"no_repeat_ngram_size"`
	NumBeams               int     `json:"num_beams"`
	NumReturnSequences     int     `json:"num_return_sequences"`
	PastPresentShareBuffer bool    `json:"past_present_share_buffer"`
	RepetitionPenalty      float64 `json:"repetition_penalty"`
	Temperature            float64 `json:"temperature"`
	TopK                   int     `json:"top_k"`
	TopP                   float64 `json:"top_p"`
}

// GenAIConfigJSON returns the genai_config.json that onnxruntime-genai's model builder writes for a
// CPU float32 Llama model of cfg's shape: I/O names without position_ids, past_present_share_buffer
// true (the builder sets it for GroupQueryAttention models), pad id = first EOS id.
func GenAIConfigJSON(cfg LlamaConfig) ([]byte, error) {
	pad := cfg.BOSTokenID
	if len(cfg.EOSTokenIDs) > 0 {
		pad = cfg.EOSTokenIDs[0]
	}
	c := genaiConfig{
		Model: genaiModel{
			BOSTokenID: cfg.BOSTokenID, ContextLength: cfg.MaxSeqLen, EOSTokenID: eosValue(cfg.EOSTokenIDs),
			PadTokenID: pad, Type: "llama", VocabSize: cfg.VocabSize,
			Decoder: genaiDecoder{
				SessionOptions: map[string]any{"log_id": "onnxruntime-genai", "provider_options": []any{}},
				Filename:       "model.onnx", HeadSize: cfg.HeadDim(), HiddenSize: cfg.Dim,
				Inputs: map[string]string{"input_ids": "input_ids", "attention_mask": "attention_mask",
					"past_key_names": "past_key_values.%d.key", "past_value_names": "past_key_values.%d.value"},
				Outputs: map[string]string{"logits": "logits",
					"present_key_names": "present.%d.key", "present_value_names": "present.%d.value"},
				NumAttentionHeads: cfg.Heads, NumHiddenLayers: cfg.Layers, NumKeyValueHeads: cfg.KVHeads,
			},
		},
		Search: genaiSearch{EarlyStopping: true, LengthPenalty: 1, MaxLength: cfg.MaxSeqLen, NumBeams: 1,
			NumReturnSequences: 1, PastPresentShareBuffer: true, RepetitionPenalty: 1, Temperature: 1, TopK: 1, TopP: 1},
	}
	return json.MarshalIndent(c, "", "    ")
}

// WriteModelDir writes a model directory: model.onnx (+ model.onnx.data when the weights are large
// or opts asks for it), config.json, generation_config.json and the tokenizer files in opts (with
// cfg.GenAI: genai_config.json instead of config.json and generation_config.json, the layout
// onnxruntime-genai's model builder writes). It
// writes into a temporary directory next to dir and renames it into place, so a reader never sees
// a half-written model.
func WriteModelDir(dir string, cfg LlamaConfig, w *Weights, opts DirOptions) (err error) {
	g, err := buildGraph(cfg, w)
	if err != nil {
		return err
	}
	dir = filepath.Clean(dir)
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 && !opts.Overwrite {
		return fmt.Errorf("onnxbuild: %s exists and is not empty", dir)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}

	ext := weightBytes(g) > opts.threshold()
	if opts.ExternalData != nil {
		ext = *opts.ExternalData
	}
	if ext {
		name := opts.ExternalDataName
		if name == "" {
			name = ExternalDataName
		}
		if name != filepath.Base(name) || name == "." || name == ".." || name == "model.onnx" {
			return fmt.Errorf("onnxbuild: external data name %q must be a plain file name other than model.onnx", name)
		}
		f, err := os.Create(filepath.Join(tmp, name))
		if err != nil {
			return err
		}
		if err := externalize(g, name, f); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	files := map[string][]byte{"model.onnx": newModel(cfg, g).marshal()}
	if cfg.GenAI {
		if files["genai_config.json"], err = GenAIConfigJSON(cfg); err != nil {
			return err
		}
	} else {
		if files["config.json"], err = ConfigJSON(cfg); err != nil {
			return err
		}
		if files["generation_config.json"], err = GenerationConfigJSON(cfg); err != nil {
			return err
		}
	}
	if opts.TokenizerJSON != nil {
		files["tokenizer.json"] = opts.TokenizerJSON
	}
	if opts.TokenizerConfigJSON != nil {
		files["tokenizer_config.json"] = opts.TokenizerConfigJSON
	}
	for k, v := range opts.ExtraFiles {
		if k != filepath.Base(k) || k == "." || k == ".." {
			return fmt.Errorf("onnxbuild: extra file name %q must be a plain file name", k)
		}
		files[k] = v
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(tmp, name), data, 0o644); err != nil {
			return err
		}
	}
	if _, err := os.Stat(dir); err == nil {
		old := dir + ".old-" + filepath.Base(tmp)
		if err := os.Rename(dir, old); err != nil {
			return err
		}
		if err := os.Rename(tmp, dir); err != nil {
			os.Rename(old, dir)
			return err
		}
		return os.RemoveAll(old)
	}
	return os.Rename(tmp, dir)
}

func (o DirOptions) threshold() int64 {
	if o.ExternalThreshold > 0 {
		return o.ExternalThreshold
	}
	return DefaultExternalThreshold
}
