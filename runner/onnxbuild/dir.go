package onnxbuild

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
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

	// Layout is where the graphs go and which of optimum's decoder graphs are written (see Layout).
	Layout Layout
	// Subfolder puts the optimum layouts' graphs under onnx/ with the config files on top, as Xenova's
	// repositories on the Hub do (the transformers.js layout always does).
	Subfolder bool
	// Variant is the graph file's suffix: model_<variant>.onnx, decoder_model_merged_<variant>.onnx, ...
	// (transformers.js names them after the weights: fp16, q4, q4f16, int8, uint8, quantized, bnb4).
	// "" is the plain name. The default external data file takes the graph's name: model_q4.onnx_data.
	Variant string
	// ExternalChunkBytes, when positive, spreads the external data over files of at most this many bytes
	// (a larger tensor gets a file of its own): NAME, NAME_1, NAME_2, ..., as the Hub's
	// model.onnx_data, model.onnx_data_1.
	ExternalChunkBytes int64
}

// Layout is a model directory's file layout: where the graph files are and which graphs there are.
type Layout string

// The layouts WriteModelDir writes (and the runner reads).
const (
	// LayoutStandard: model.onnx (+ model.onnx.data) next to the config and tokenizer files, as
	// optimum's current text-generation-with-past export, onnxruntime-genai and build-model write it.
	LayoutStandard Layout = ""
	// LayoutTransformersJS: the config and tokenizer files at the top and the graph at onnx/model.onnx
	// (+ onnx/model.onnx_data), or onnx/model_<variant>.onnx: what onnx-community and most ONNX LLMs on
	// the Hub ship for transformers.js.
	LayoutTransformersJS Layout = "transformers.js"
	// LayoutOptimumMerged: optimum <= 1.13's decoder_model_merged.onnx, one graph with the past inputs, a
	// bool use_cache_branch [1] input and an If between a branch without the past (the first step, fed
	// use_cache_branch=false and an empty past) and one with it.
	LayoutOptimumMerged Layout = "optimum-merged"
	// LayoutOptimumSplit: optimum's split pair, decoder_model.onnx (no past inputs: the first step) and
	// decoder_with_past_model.onnx (every later step).
	LayoutOptimumSplit Layout = "optimum-split"
)

// Layouts lists the layouts WriteModelDir writes.
func Layouts() []Layout {
	return []Layout{LayoutStandard, LayoutTransformersJS, LayoutOptimumMerged, LayoutOptimumSplit}
}

// graphFile is one graph file of a layout: its path in the model directory and its kind.
type graphFile struct {
	path string
	kind graphKind
}

// graphFiles are the graph files opts' layout writes, relative to the model directory.
func (o DirOptions) graphFiles() ([]graphFile, error) {
	suffix := ""
	if o.Variant != "" {
		if o.Variant != filepath.Base(o.Variant) || strings.ContainsAny(o.Variant, ". ") {
			return nil, fmt.Errorf("onnxbuild: variant %q must be a plain name (fp16, q4, ...)", o.Variant)
		}
		suffix = "_" + o.Variant
	}
	dir := ""
	if o.Subfolder || o.Layout == LayoutTransformersJS {
		dir = "onnx"
	}
	f := func(base string, k graphKind) graphFile {
		return graphFile{path: filepath.Join(dir, base+suffix+".onnx"), kind: k}
	}
	switch o.Layout {
	case LayoutStandard, LayoutTransformersJS:
		return []graphFile{f("model", graphPlain)}, nil
	case LayoutOptimumMerged:
		return []graphFile{f("decoder_model_merged", graphMerged)}, nil
	case LayoutOptimumSplit:
		return []graphFile{f("decoder_model", graphNoPast), f("decoder_with_past_model", graphPlain)}, nil
	}
	return nil, fmt.Errorf("onnxbuild: unknown layout %q (want one of %q)", o.Layout, Layouts())
}

// externalName is the external data file of graph file g: ExternalDataName (model.onnx.data) for the
// standard layout's model.onnx, else the graph's name + "_data" (model_q4.onnx_data), as the Hub names
// them; DirOptions.ExternalDataName when set (one-graph layouts only).
func (o DirOptions) externalName(g graphFile, graphs int) (string, error) {
	if o.ExternalDataName != "" {
		name := o.ExternalDataName
		if graphs > 1 {
			return "", fmt.Errorf("onnxbuild: ExternalDataName %q: the split layout has two graphs, each with its own data file", name)
		}
		if name != filepath.Base(name) || name == "." || name == ".." || strings.HasSuffix(name, ".onnx") {
			return "", fmt.Errorf("onnxbuild: external data name %q must be a plain file name that is not a graph's", name)
		}
		return name, nil
	}
	if o.Layout == LayoutStandard && o.Variant == "" && !o.Subfolder {
		return ExternalDataName, nil
	}
	return filepath.Base(g.path) + "_data", nil
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

// WriteModelDir writes a model directory: the graph file(s) of opts.Layout (model.onnx by default, +
// external data when the weights are large or opts asks for it), config.json, generation_config.json
// and the tokenizer files in opts (with cfg.GenAI: genai_config.json instead of config.json and
// generation_config.json, the layout onnxruntime-genai's model builder writes). It writes into a
// temporary directory next to dir and renames it into place, so a reader never sees a half-written
// model.
func WriteModelDir(dir string, cfg LlamaConfig, w *Weights, opts DirOptions) (err error) {
	if cfg.GenAI && (opts.Layout != LayoutStandard || opts.Subfolder || opts.Variant != "") {
		return fmt.Errorf("onnxbuild: a genai model directory has the standard layout (genai_config.json names model.onnx)")
	}
	graphs, err := buildGraphs(cfg, w, opts)
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
	files := map[string][]byte{}
	if err := writeGraphs(tmp, cfg, graphs, opts, files); err != nil {
		return err
	}
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
		if err := os.MkdirAll(filepath.Join(tmp, filepath.Dir(name)), 0o755); err != nil {
			return err
		}
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

// AddVariant writes the graph file(s) of cfg and w in opts' layout and variant into the existing model
// directory dir (written by WriteModelDir with the same layout), next to the variants already there:
// onnx/model_q4.onnx beside onnx/model.onnx, as a Hub repository ships them. Only graphs and their
// external data are written (opts' tokenizer and extra files are ignored); an existing graph file is
// an error unless opts.Overwrite. Each file is written to a temporary name and renamed into place.
func AddVariant(dir string, cfg LlamaConfig, w *Weights, opts DirOptions) error {
	if cfg.GenAI {
		return fmt.Errorf("onnxbuild: a genai model directory has one graph")
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("onnxbuild: model directory %s: not a directory (write it with WriteModelDir first)", dir)
	}
	graphs, err := buildGraphs(cfg, w, opts)
	if err != nil {
		return err
	}
	for _, g := range graphs {
		if _, err := os.Stat(filepath.Join(dir, g.path)); err == nil && !opts.Overwrite {
			return fmt.Errorf("onnxbuild: %s already exists", filepath.Join(dir, g.path))
		}
	}
	tmp, err := os.MkdirTemp(dir, ".variant.tmp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	files := map[string][]byte{}
	if err := writeGraphs(tmp, cfg, graphs, opts, files); err != nil {
		return err
	}
	for name, data := range files {
		if err := os.MkdirAll(filepath.Join(tmp, filepath.Dir(name)), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(tmp, name), data, 0o644); err != nil {
			return err
		}
	}
	// Data files first, graphs last: a reader that sees a graph sees its data.
	var names []string
	err = filepath.WalkDir(tmp, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(tmp, p)
			names = append(names, rel)
		}
		return err
	})
	if err != nil {
		return err
	}
	sort.SliceStable(names, func(i, j int) bool {
		return !strings.HasSuffix(names[i], ".onnx") && strings.HasSuffix(names[j], ".onnx")
	})
	for _, n := range names {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(n)), 0o755); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(tmp, n), filepath.Join(dir, n)); err != nil {
			return err
		}
	}
	return nil
}

// builtGraph is a graph ready to be written at path (relative to the model directory).
type builtGraph struct {
	graphFile
	g *graph
}

func buildGraphs(cfg LlamaConfig, w *Weights, opts DirOptions) ([]builtGraph, error) {
	files, err := opts.graphFiles()
	if err != nil {
		return nil, err
	}
	var out []builtGraph
	for _, f := range files {
		g, err := buildGraphKind(cfg, w, f.kind)
		if err != nil {
			return nil, err
		}
		out = append(out, builtGraph{f, g})
	}
	return out, nil
}

// writeGraphs writes each graph's external data into tmp (when the weights are large or opts asks for
// it) and puts the graph files' bytes into files.
func writeGraphs(tmp string, cfg LlamaConfig, graphs []builtGraph, opts DirOptions, files map[string][]byte) error {
	for _, bg := range graphs {
		ext := weightBytes(bg.g) > opts.threshold()
		if opts.ExternalData != nil {
			ext = *opts.ExternalData
		}
		if ext {
			name, err := opts.externalName(bg.graphFile, len(graphs))
			if err != nil {
				return err
			}
			gdir := filepath.Join(tmp, filepath.Dir(bg.path))
			if err := os.MkdirAll(gdir, 0o755); err != nil {
				return err
			}
			if err := externalizeFiles(bg.g, gdir, name, opts.ExternalChunkBytes); err != nil {
				return err
			}
		}
		files[bg.path] = newModel(cfg, bg.g).marshal()
	}
	return nil
}

func (o DirOptions) threshold() int64 {
	if o.ExternalThreshold > 0 {
		return o.ExternalThreshold
	}
	return DefaultExternalThreshold
}
