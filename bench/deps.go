package bench

import (
	"context"
	"io"
	"strings"
	"time"

	"github.com/acoer/acoer-bench/datasets"
	"github.com/acoer/acoer-bench/metrics"
	"github.com/acoer/acoer-bench/runner"
)

// Generator is what a run needs from a loaded model (runner.Model through a small adapter).
type Generator interface {
	// EncodePrompt turns a rendered prompt into the ids fed to the model (chat template or raw text,
	// BOS per the tokenizer config).
	EncodePrompt(text string, chat ChatOptions) ([]int, error)
	// Stream generates every request with at most slots decoding at once and calls emit with each
	// request's index and completion as it finishes (runner.Model.Stream); greedy results must not
	// depend on scheduling, sampled ones only on each Request's Seed.
	Stream(ctx context.Context, reqs []runner.Request, dec runner.Decoding, slots int, emit func(int, runner.Completion) error) (runner.Stats, error)
	// Info describes the model for provenance.
	Info() ModelInfo
	Close() error
}

// ChatOptions are a model's prompt options from the config.
type ChatOptions struct {
	Chat           bool
	System         string
	EnableThinking *bool
}

// ModelInfo is a model's provenance.
type ModelInfo struct {
	Path string `json:"path"`
	// Layout is the model directory's layout (standard, onnxruntime-genai, transformers.js,
	// optimum-merged, optimum-split), Variant the graph variant the config picked ("" = the plain file)
	// and Graph the decoder graph file used, relative to Path (onnx/model_q4.onnx); SHA256 is its sha256.
	Layout  string `json:"layout,omitempty"`
	Variant string `json:"variant,omitempty"`
	Graph   string `json:"graph,omitempty"`
	SHA256  string `json:"sha256"`
	// DataSHA256 identifies every other file the model reads (external weights, a split pair's
	// first-step graph); "" when there is none.
	DataSHA256 string `json:"data_sha256,omitempty"`
	// DataFiles maps each of those files (its path relative to the model directory) to its sha256.
	DataFiles     map[string]string `json:"data_files,omitempty"`
	Tokenizer     string            `json:"tokenizer,omitempty"`
	ORTVersion    string            `json:"ort_version,omitempty"`
	Provider      string            `json:"provider,omitempty"`
	ContextLength int               `json:"context_length,omitempty"`
	// BOSRule says how a raw (non-chat) prompt gets its BOS (runner.Info.BOSRule).
	BOSRule string `json:"bos_rule,omitempty"`
	// EOSIDs end a completion; EOSFrom names the file and field (or the config's eos_token_id) that gave them.
	EOSIDs  []int  `json:"eos_token_ids,omitempty"`
	EOSFrom string `json:"eos_from,omitempty"`
	// MaskedIDs counts the logits ids without a token in the tokenizer: never sampled.
	MaskedIDs int `json:"masked_ids,omitempty"`
	// Warnings are disagreements in the model directory that did not stop the run (a tokenizer whose
	// special tokens disagree with the config's BOS/EOS ids, ...).
	Warnings []string `json:"warnings,omitempty"`
	// KVCache says where the KV cache lived (runner.Info.KVCache).
	KVCache string `json:"kv_cache,omitempty"`
	// IntraOpThreads and Spinning are the session's intra-op settings (0 / nil: ONNX Runtime's defaults).
	IntraOpThreads int   `json:"intra_op_threads,omitempty"`
	Spinning       *bool `json:"intra_op_spinning,omitempty"`
	// CUDA is what a CUDA session ran on (nil on the CPU).
	CUDA *CUDAProv `json:"cuda,omitempty"`
}

// CUDAProv is the GPU side of a model's provenance: what runner.Model.Info records.
type CUDAProv = runner.CUDAInfo

// GraphLabel names the graph file a model ran, for reports: its path in the model directory (model.onnx
// when not recorded).
func (m ModelInfo) GraphLabel() string {
	if m.Graph == "" {
		return "model.onnx"
	}
	return m.Graph
}

// LayoutNote is "; LAYOUT layout, variant V" for a model directory that is not in the standard layout
// or ran a variant, else "".
func (m ModelInfo) LayoutNote() string {
	var parts []string
	if m.Layout != "" && m.Layout != "standard" {
		parts = append(parts, m.Layout+" layout")
	}
	if m.Variant != "" {
		parts = append(parts, "variant "+m.Variant)
	}
	if len(parts) == 0 {
		return ""
	}
	return "; " + strings.Join(parts, ", ")
}

// CheckedModel is what Deps.Check found in a model directory without loading its weights.
type CheckedModel interface {
	// EncodePrompt is Generator.EncodePrompt.
	EncodePrompt(text string, chat ChatOptions) ([]int, error)
	// Context is the model's context length in tokens (0 = unknown) and the file and field that say so.
	Context() (int, string)
	// Warnings are what Generator.Info().Warnings will say.
	Warnings() []string
}

// DatasetInfo is a dataset's provenance (datasets.Info).
type DatasetInfo struct {
	Path   string `json:"path,omitempty"`
	SHA256 string `json:"sha256"`
	Count  int    `json:"count"`
	Source string `json:"source,omitempty"`
}

// Deps are the parts a run consumes; the CLI wires the real ones (runner, datasets, metrics) and the
// tests fakes.
type Deps struct {
	// Open loads a model.
	Open func(ctx context.Context, m ModelSpec) (Generator, error)
	// ModelHashes, when set, hashes a model's graph file and external weight files without loading it
	// (what Generator.Info's SHA256 and DataSHA256 record). A model with nothing left to run is not
	// opened, so this is how a changed model file is still caught (refused, or its samples discarded with
	// --force).
	ModelHashes func(m ModelSpec) (graph, data string, err error)
	// Check, when set, checks a model before any work without loading its weights or starting a
	// session (runner.Check: the graph's decoder contract, tokenizer, EOS and vocabulary). Run calls it
	// for every model of the plan before anything is written, and encodes each dataset's first and
	// longest prompt with the result to check the context length.
	Check func(m ModelSpec) (CheckedModel, error)
	// BuildSeeded, when set, builds a config's seeded test model (ModelSpec.Seeded) into the directory
	// path; Run calls it before anything else for each planned seeded model whose directory is missing.
	BuildSeeded func(path string, m SeededModel) error
	// Problems loads a dataset's problems (all of them, in file order).
	Problems func(d DatasetSpec) ([]datasets.Problem, DatasetInfo, error)
	// Render applies a prompt template (datasets.Template(name).Render).
	Render func(template string, p datasets.Problem) (string, error)
	// Grade grades one response (metrics.Grade); the budget curves regrade cut completions with it too.
	Grade func(benchmark, response, gold string) metrics.Verdict
	// Tokenizer loads the tokenizer a model's token ids are decoded with for the analyses (budget
	// curves, think/answer split); nil means LoadTokenizer (the model directory's tokenizer.json).
	Tokenizer TokenizerLoader
	// Revision is the git revision of the binary; Host names the machine (default os.Hostname).
	Revision string
	Host     string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// RunOptions are the run flags.
type RunOptions struct {
	Out      string
	Limit    int
	Models   []string
	Datasets []string
	Shard    Shard
	Force    bool
	// Warn receives warnings about the models (nil = none; they are recorded in results either way).
	Warn io.Writer
	// Progress receives progress lines (nil = none); Terminal draws a bar with \r instead.
	Progress io.Writer
	Terminal bool
}
