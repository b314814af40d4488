package runner

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// modelDir is what a model directory's JSON files say (config.json, genai_config.json,
// generation_config.json). Fields are zero when no file gives them.
type modelDir struct {
	Dir string
	// ModelFile is the absolute path of the decoder graph: model.onnx, genai's decoder.filename,
	// onnx/model_<variant>.onnx, decoder_model_merged.onnx, or a split pair's
	// decoder_with_past_model.onnx (see layout.go).
	ModelFile string
	// FirstFile is a split pair's first-step graph (decoder_model.onnx), "" for one-graph layouts.
	FirstFile string
	// Layout is the directory's layout (LayoutStandard, ...), Variant the graph variant picked (its file
	// name suffix: fp16, q4, ...; "" for the plain name) and Variants every complete variant the layout
	// has ("default" for the plain name).
	Layout   string
	Variant  string
	Variants []string
	// TokenizerFile is the absolute path of tokenizer.json; "" when the directory has none.
	TokenizerFile string

	// Names of the graph's inputs and outputs (genai_config.json, else the optimum defaults); the
	// KV patterns hold one %d for the layer index.
	Names ioNames

	// ContextLength is config.json's max_position_embeddings (else n_positions, max_seq_len) or
	// genai_config.json's model.context_length; the smaller when both give one. ContextFrom names it.
	ContextLength int
	ContextFrom   string
	VocabSize     int // genai model.vocab_size, else config.json vocab_size
	VocabFrom     string
	Layers        int // num_hidden_layers (genai first)
	KVHeads       int // num_key_value_heads (else num_attention_heads)
	HeadDim       int // head_dim / head_size, else hidden_size / num_attention_heads
	// EOSIDs are the first eos_token_id given by generation_config.json, config.json, genai_config.json
	// (in that order); EOSFrom names the file and field. The tokenizer's eos_token is the last resort,
	// applied when the tokenizer is loaded.
	EOSIDs  []int
	EOSFrom string
	PadID   *int // pad_token_id, same order; PadFrom names it
	PadFrom string
	BOSID   *int // bos_token_id, same order; BOSFrom names it
	BOSFrom string
	// ConfigFiles are the JSON files that were read (tokenizer_config.json is read with the tokenizer).
	ConfigFiles []string
	// ShareBuffer is genai_config.json's search.past_present_share_buffer: for a GroupQueryAttention
	// graph the runner then binds one buffer as past and present (bindstep.go); otherwise past
	// [batch, kv_heads, past, head_dim] in and present [batch, kv_heads, past+seq, head_dim] out.
	ShareBuffer bool
	// Warnings are disagreements between the files that do not stop the model (said on stderr and
	// recorded in results).
	Warnings []string
}

// ioNames are the graph I/O names of the decoder contract.
type ioNames struct {
	InputIDs, AttentionMask, PositionIDs string
	PastKey, PastValue                   string // patterns with %d
	Logits                               string
	PresentKey, PresentValue             string // patterns with %d
}

// defaultNames is the optimum text-generation-with-past layout.
var defaultNames = ioNames{
	InputIDs: "input_ids", AttentionMask: "attention_mask", PositionIDs: "position_ids",
	PastKey: "past_key_values.%d.key", PastValue: "past_key_values.%d.value",
	Logits: "logits", PresentKey: "present.%d.key", PresentValue: "present.%d.value",
}

// ErrBadModelDir marks errors about the model directory itself (missing files, unreadable configs, a
// graph that does not fit the decoder contract), as opposed to runtime failures.
var ErrBadModelDir = errors.New("bad model directory")

// badDir wraps err as an ErrBadModelDir error, keeping err's text.
type badDir struct{ err error }

func (e badDir) Error() string   { return e.err.Error() }
func (e badDir) Unwrap() []error { return []error{e.err, ErrBadModelDir} }
func badModelDir(err error) error {
	if err == nil {
		return nil
	}
	return badDir{err}
}

// readModelDir reads the JSON files of a model directory, finds its decoder graph(s) for variant ("" =
// the plain file name; see layout.go) and checks that they are there and are not empty files or Git LFS
// pointers. It does not parse the graphs, and tokenizer.json is optional here (TokenizerFile says
// whether it is there).
func readModelDir(dir, variant string) (*modelDir, error) {
	m, err := readModelDirFiles(dir, variant)
	return m, badModelDir(err)
}

func readModelDirFiles(dir, variant string) (*modelDir, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(abs)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("model directory %s: %w", abs, fs.ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("model directory: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("model directory %s is not a directory", abs)
	}
	m := &modelDir{Dir: abs, Names: defaultNames}

	docs := map[string]*jsonDoc{}
	for _, name := range []string{"config.json", "genai_config.json", "generation_config.json"} {
		d, err := readJSONDoc(filepath.Join(abs, name))
		if err != nil {
			return nil, err
		}
		if d != nil {
			docs[name] = d
			m.ConfigFiles = append(m.ConfigFiles, name)
		}
	}
	hf, ga, gen := docs["config.json"], docs["genai_config.json"], docs["generation_config.json"]
	if hf == nil && ga == nil {
		return nil, fmt.Errorf("model directory %s has neither config.json nor genai_config.json", abs)
	}

	var gaContext int
	var genaiFile string
	if ga != nil {
		if err := m.readGenAI(ga, &gaContext, &genaiFile); err != nil {
			return nil, err
		}
	}
	var hfContext int
	var hfContextKey string
	if hf != nil {
		if err := m.readHF(hf, &hfContext, &hfContextKey); err != nil {
			return nil, err
		}
	}
	switch {
	case hfContext > 0 && gaContext > 0:
		m.ContextLength, m.ContextFrom = min(hfContext, gaContext), "config.json "+hfContextKey
		if gaContext < hfContext {
			m.ContextFrom = "genai_config.json model.context_length"
		}
		if hfContext != gaContext {
			m.Warnings = append(m.Warnings, fmt.Sprintf("config.json %s is %d but genai_config.json model.context_length is %d: the smaller, %d, is used",
				hfContextKey, hfContext, gaContext, m.ContextLength))
		}
	case gaContext > 0:
		m.ContextLength, m.ContextFrom = gaContext, "genai_config.json model.context_length"
	case hfContext > 0:
		m.ContextLength, m.ContextFrom = hfContext, "config.json "+hfContextKey
	}

	// Token ids: generation_config.json, then config.json, then genai_config.json.
	for _, src := range []struct {
		name string
		d    *jsonDoc
	}{{"generation_config.json", gen}, {"config.json", hf}, {"genai_config.json", ga}} {
		if src.d == nil {
			continue
		}
		d, prefix := src.d, ""
		if src.name == "genai_config.json" {
			if d, err = d.sub("model"); err != nil {
				return nil, err
			}
			prefix = "model."
		}
		eos, err := d.eosIDs("eos_token_id")
		if err != nil {
			return nil, err
		}
		if m.EOSIDs == nil && len(eos) > 0 {
			m.EOSIDs, m.EOSFrom = eos, src.name+" "+prefix+"eos_token_id"
		}
		for _, f := range []struct {
			key  string
			dst  **int
			from *string
		}{{"pad_token_id", &m.PadID, &m.PadFrom}, {"bos_token_id", &m.BOSID, &m.BOSFrom}} {
			id, err := d.tokenID(f.key)
			if err != nil {
				return nil, err
			}
			if *f.dst == nil && id != nil {
				*f.dst, *f.from = id, src.name+" "+prefix+f.key
			}
		}
	}
	if err := m.pickGraph(variant, genaiFile); err != nil {
		return nil, err
	}
	if ga != nil && m.Layout == LayoutStandard {
		m.Layout = LayoutGenAI // genai_config.json without a decoder.filename: its default, model.onnx
	}
	for _, f := range []string{m.ModelFile, m.FirstFile} {
		if f == "" {
			continue
		}
		if err := checkContent(f, "an ONNX model"); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				rel, _ := filepath.Rel(abs, f)
				return nil, missingFiles(abs, filepath.ToSlash(rel))
			}
			return nil, err
		}
	}
	tok := filepath.Join(abs, "tokenizer.json")
	if _, err := os.Stat(tok); err == nil {
		m.TokenizerFile = tok
	}
	return m, nil
}

func missingFiles(dir string, names ...string) error {
	return fmt.Errorf("model directory %s is missing %s (a model directory holds the decoder graph: model.onnx, onnx/model.onnx, decoder_model_merged.onnx or decoder_model.onnx + decoder_with_past_model.onnx; tokenizer.json, tokenizer_config.json, config.json and/or genai_config.json, generation_config.json)", dir, strings.Join(names, ", "))
}

// readGenAI reads genai_config.json: I/O names, decoder file (file: "" when it names none), shapes and
// context length.
func (m *modelDir) readGenAI(ga *jsonDoc, context *int, file *string) error {
	model, err := ga.sub("model")
	if err != nil {
		return err
	}
	dec, err := model.sub("decoder")
	if err != nil {
		return err
	}
	fn, err := dec.str("filename")
	if err != nil {
		return err
	}
	if fn != "" {
		clean := filepath.Clean(filepath.FromSlash(fn))
		if filepath.IsAbs(clean) || clean == "." || clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
			return fmt.Errorf("%s: model.decoder.filename %q: want a file inside the model directory", ga.file, fn)
		}
		*file = clean
	}
	ins, err := dec.sub("inputs")
	if err != nil {
		return err
	}
	outs, err := dec.sub("outputs")
	if err != nil {
		return err
	}
	for _, f := range []struct {
		d       *jsonDoc
		key     string
		dst     *string
		pattern bool
	}{
		{ins, "input_ids", &m.Names.InputIDs, false}, {ins, "attention_mask", &m.Names.AttentionMask, false},
		{ins, "position_ids", &m.Names.PositionIDs, false}, {ins, "past_key_names", &m.Names.PastKey, true},
		{ins, "past_value_names", &m.Names.PastValue, true}, {outs, "logits", &m.Names.Logits, false},
		{outs, "present_key_names", &m.Names.PresentKey, true}, {outs, "present_value_names", &m.Names.PresentValue, true},
	} {
		v, err := f.d.str(f.key)
		if err != nil {
			return err
		}
		if v == "" {
			continue
		}
		if f.pattern && (strings.Count(v, "%d") != 1 || strings.Count(v, "%") != 1) {
			return fmt.Errorf("%s: %s: %q: want a name pattern with one %%d for the layer (e.g. past_key_values.%%d.key)", ga.file, f.d.key(f.key), v)
		}
		if !f.pattern && strings.Contains(v, "%") {
			return fmt.Errorf("%s: %s: %q: want a tensor name", ga.file, f.d.key(f.key), v)
		}
		*f.dst = v
	}
	ints := []struct {
		d   *jsonDoc
		key string
		dst *int
	}{
		{model, "context_length", context}, {model, "vocab_size", &m.VocabSize}, {dec, "num_hidden_layers", &m.Layers},
		{dec, "num_key_value_heads", &m.KVHeads}, {dec, "head_size", &m.HeadDim},
	}
	for _, f := range ints {
		v, _, err := f.d.posInt(f.key)
		if err != nil {
			return err
		}
		*f.dst = v
	}
	if m.VocabSize > 0 {
		m.VocabFrom = "genai_config.json model.vocab_size"
	}
	hidden, _, err := dec.posInt("hidden_size")
	if err != nil {
		return err
	}
	heads, _, err := dec.posInt("num_attention_heads")
	if err != nil {
		return err
	}
	if m.HeadDim == 0 && heads > 0 && hidden%heads == 0 {
		m.HeadDim = hidden / heads
	}
	if m.KVHeads == 0 {
		m.KVHeads = heads
	}
	search, err := ga.sub("search")
	if err != nil {
		return err
	}
	m.ShareBuffer, err = search.boolean("past_present_share_buffer")
	return err
}

// readHF reads config.json (Hugging Face): shapes and context length, filling what genai_config.json
// left open.
func (m *modelDir) readHF(hf *jsonDoc, context *int, contextKey *string) error {
	get := func(keys ...string) (int, string, error) {
		for _, k := range keys {
			v, ok, err := hf.posInt(k)
			if err != nil || ok {
				return v, k, err
			}
		}
		return 0, "", nil
	}
	var err error
	if *context, *contextKey, err = get("max_position_embeddings", "n_positions", "max_seq_len"); err != nil {
		return err
	}
	vocab, _, err := get("vocab_size")
	if err != nil {
		return err
	}
	if m.VocabSize == 0 && vocab > 0 {
		m.VocabSize, m.VocabFrom = vocab, "config.json vocab_size"
	}
	layers, _, err := get("num_hidden_layers", "n_layer")
	if err != nil {
		return err
	}
	heads, _, err := get("num_attention_heads", "n_head")
	if err != nil {
		return err
	}
	kv, _, err := get("num_key_value_heads")
	if err != nil {
		return err
	}
	hidden, _, err := get("hidden_size", "n_embd")
	if err != nil {
		return err
	}
	headDim, _, err := get("head_dim")
	if err != nil {
		return err
	}
	if m.Layers == 0 {
		m.Layers = layers
	}
	if m.KVHeads == 0 {
		m.KVHeads = kv
		if kv == 0 {
			m.KVHeads = heads
		}
	}
	if m.HeadDim == 0 {
		m.HeadDim = headDim
		if headDim == 0 && heads > 0 && hidden%heads == 0 {
			m.HeadDim = hidden / heads
		}
	}
	return nil
}
