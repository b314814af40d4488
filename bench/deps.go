package bench

import (
	"context"
	"io"
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
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	// DataSHA256 identifies the external weight files (model.onnx.data); "" when the graph has none.
	DataSHA256    string `json:"data_sha256,omitempty"`
	Tokenizer     string `json:"tokenizer,omitempty"`
	ORTVersion    string `json:"ort_version,omitempty"`
	Provider      string `json:"provider,omitempty"`
	ContextLength int    `json:"context_length,omitempty"`
	// BOSRule says how a raw (non-chat) prompt gets its BOS (runner.Info.BOSRule).
	BOSRule string `json:"bos_rule,omitempty"`
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
	// Progress receives progress lines (nil = none); Terminal draws a bar with \r instead.
	Progress io.Writer
	Terminal bool
}
