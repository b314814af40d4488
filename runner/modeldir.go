package runner

import (
	"encoding/json"
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
	Dir       string
	ModelFile string // absolute path of the ONNX graph (model.onnx or genai's decoder.filename)

	// Names of the graph's inputs and outputs (genai_config.json, else the optimum defaults); the
	// KV patterns hold one %d for the layer index.
	Names ioNames

	ContextLength int   // max_position_embeddings / genai context_length / n_positions / max_seq_len
	VocabSize     int   // config.json or genai vocab_size
	Layers        int   // num_hidden_layers
	KVHeads       int   // num_key_value_heads (else num_attention_heads)
	HeadDim       int   // head_dim, else hidden_size / num_attention_heads
	EOSIDs        []int // generation_config.json, else config.json, else genai_config.json
	EOSFrom       string
	PadID         *int
	BOSID         *int
	ConfigFiles   []string // the JSON files that were read
	// ShareBuffer is genai_config.json's search.past_present_share_buffer. The runner does not share
	// past and present buffers: it feeds past [batch, kv_heads, past, head_dim] and binds present
	// [batch, kv_heads, past+seq, head_dim] to a separate buffer, which GroupQueryAttention accepts too
	// (it shares only when past and present are the same memory).
	ShareBuffer bool
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

// intList decodes a JSON int or list of ints (eos_token_id takes both forms).
type intList []int

func (l *intList) UnmarshalJSON(b []byte) error {
	var one int
	if err := json.Unmarshal(b, &one); err == nil {
		*l = intList{one}
		return nil
	}
	var many []int
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want an int or a list of ints, got %s", b)
	}
	*l = many
	return nil
}

type hfConfig struct {
	VocabSize             int     `json:"vocab_size"`
	MaxPositionEmbeddings int     `json:"max_position_embeddings"`
	NPositions            int     `json:"n_positions"`
	MaxSeqLen             int     `json:"max_seq_len"`
	NumHiddenLayers       int     `json:"num_hidden_layers"`
	NumAttentionHeads     int     `json:"num_attention_heads"`
	NumKeyValueHeads      int     `json:"num_key_value_heads"`
	HiddenSize            int     `json:"hidden_size"`
	HeadDim               int     `json:"head_dim"`
	EOSTokenID            intList `json:"eos_token_id"`
	BOSTokenID            *int    `json:"bos_token_id"`
	PadTokenID            *int    `json:"pad_token_id"`
}

type genaiConfig struct {
	Model struct {
		BOSTokenID    *int    `json:"bos_token_id"`
		EOSTokenID    intList `json:"eos_token_id"`
		PadTokenID    *int    `json:"pad_token_id"`
		ContextLength int     `json:"context_length"`
		VocabSize     int     `json:"vocab_size"`
		Decoder       struct {
			Filename          string `json:"filename"`
			HeadSize          int    `json:"head_size"`
			HiddenSize        int    `json:"hidden_size"`
			NumAttentionHeads int    `json:"num_attention_heads"`
			NumKeyValueHeads  int    `json:"num_key_value_heads"`
			NumHiddenLayers   int    `json:"num_hidden_layers"`
			Inputs            struct {
				InputIDs       string `json:"input_ids"`
				AttentionMask  string `json:"attention_mask"`
				PositionIDs    string `json:"position_ids"`
				PastKeyNames   string `json:"past_key_names"`
				PastValueNames string `json:"past_value_names"`
			} `json:"inputs"`
			Outputs struct {
				Logits            string `json:"logits"`
				PresentKeyNames   string `json:"present_key_names"`
				PresentValueNames string `json:"present_value_names"`
			} `json:"outputs"`
		} `json:"decoder"`
	} `json:"model"`
	Search struct {
		PastPresentShareBuffer bool `json:"past_present_share_buffer"`
	} `json:"search"`
}

type generationConfig struct {
	EOSTokenID intList `json:"eos_token_id"`
	BOSTokenID *int    `json:"bos_token_id"`
	PadTokenID *int    `json:"pad_token_id"`
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

// readJSON decodes path into v; a missing file returns (false, nil).
func readJSON(path string, v any) (bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("%s: %w", path, err)
	}
	return true, nil
}

// readModelDir reads the JSON files of a model directory and checks that the graph and tokenizer files
// are there. It does not open the graph.
func readModelDir(dir string) (*modelDir, error) {
	m, err := readModelDirFiles(dir)
	return m, badModelDir(err)
}

func readModelDirFiles(dir string) (*modelDir, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("model directory: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("model directory %s is not a directory", abs)
	}
	m := &modelDir{Dir: abs, Names: defaultNames}

	var hf hfConfig
	okHF, err := readJSON(filepath.Join(abs, "config.json"), &hf)
	if err != nil {
		return nil, err
	}
	var ga genaiConfig
	okGA, err := readJSON(filepath.Join(abs, "genai_config.json"), &ga)
	if err != nil {
		return nil, err
	}
	var gen generationConfig
	okGen, err := readJSON(filepath.Join(abs, "generation_config.json"), &gen)
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		ok   bool
		name string
	}{{okHF, "config.json"}, {okGA, "genai_config.json"}, {okGen, "generation_config.json"}} {
		if f.ok {
			m.ConfigFiles = append(m.ConfigFiles, f.name)
		}
	}
	if !okHF && !okGA {
		return nil, fmt.Errorf("model directory %s has neither config.json nor genai_config.json", abs)
	}

	m.ModelFile = filepath.Join(abs, "model.onnx")
	if okGA {
		d := ga.Model.Decoder
		if d.Filename != "" {
			m.ModelFile = filepath.Join(abs, d.Filename)
		}
		set := func(dst *string, v string) {
			if v != "" {
				*dst = v
			}
		}
		set(&m.Names.InputIDs, d.Inputs.InputIDs)
		set(&m.Names.AttentionMask, d.Inputs.AttentionMask)
		set(&m.Names.PositionIDs, d.Inputs.PositionIDs)
		set(&m.Names.PastKey, d.Inputs.PastKeyNames)
		set(&m.Names.PastValue, d.Inputs.PastValueNames)
		set(&m.Names.Logits, d.Outputs.Logits)
		set(&m.Names.PresentKey, d.Outputs.PresentKeyNames)
		set(&m.Names.PresentValue, d.Outputs.PresentValueNames)
		m.ContextLength = ga.Model.ContextLength
		m.VocabSize = ga.Model.VocabSize
		m.Layers = d.NumHiddenLayers
		m.KVHeads = d.NumKeyValueHeads
		m.HeadDim = d.HeadSize
		if m.HeadDim == 0 && d.NumAttentionHeads > 0 {
			m.HeadDim = d.HiddenSize / d.NumAttentionHeads
		}
		m.BOSID, m.PadID = ga.Model.BOSTokenID, ga.Model.PadTokenID
		m.ShareBuffer = ga.Search.PastPresentShareBuffer
		if len(ga.Model.EOSTokenID) > 0 {
			m.EOSIDs, m.EOSFrom = ga.Model.EOSTokenID, "genai_config.json"
		}
	}
	if okHF {
		first := func(dst *int, vs ...int) {
			if *dst != 0 {
				return
			}
			for _, v := range vs {
				if v > 0 {
					*dst = v
					return
				}
			}
		}
		first(&m.ContextLength, hf.MaxPositionEmbeddings, hf.NPositions, hf.MaxSeqLen)
		first(&m.VocabSize, hf.VocabSize)
		first(&m.Layers, hf.NumHiddenLayers)
		first(&m.KVHeads, hf.NumKeyValueHeads, hf.NumAttentionHeads)
		if hf.NumAttentionHeads > 0 {
			first(&m.HeadDim, hf.HeadDim, hf.HiddenSize/hf.NumAttentionHeads)
		} else {
			first(&m.HeadDim, hf.HeadDim)
		}
		if hf.BOSTokenID != nil {
			m.BOSID = hf.BOSTokenID
		}
		if hf.PadTokenID != nil {
			m.PadID = hf.PadTokenID
		}
		if len(hf.EOSTokenID) > 0 {
			m.EOSIDs, m.EOSFrom = hf.EOSTokenID, "config.json"
		}
	}
	if okGen {
		if len(gen.EOSTokenID) > 0 {
			m.EOSIDs, m.EOSFrom = gen.EOSTokenID, "generation_config.json"
		}
		if gen.BOSTokenID != nil {
			m.BOSID = gen.BOSTokenID
		}
		if gen.PadTokenID != nil {
			m.PadID = gen.PadTokenID
		}
	}

	var missing []string
	for _, f := range []string{m.ModelFile, filepath.Join(abs, "tokenizer.json")} {
		if _, err := os.Stat(f); err != nil {
			missing = append(missing, filepath.Base(f))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("model directory %s is missing %s (a model directory holds model.onnx, tokenizer.json, tokenizer_config.json, config.json and/or genai_config.json, generation_config.json)", abs, strings.Join(missing, ", "))
	}
	return m, nil
}
