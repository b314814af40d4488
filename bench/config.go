package bench

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Config is a parsed benchmarks.yaml.
type Config struct {
	// Seed is the run seed: per-sample sampling seeds and bootstrap seeds derive from it.
	Seed uint64 `yaml:"seed" json:"seed"`
	// Models are the checkpoints to benchmark.
	Models []ModelSpec `yaml:"models" json:"models"`
	// Datasets are the problem sets.
	Datasets []DatasetSpec `yaml:"datasets" json:"datasets"`
	// Decoding lists the decoding settings; every model runs every dataset with each of them.
	Decoding []DecodingSpec `yaml:"decoding" json:"decoding"`
	// Baseline names the model the others are compared with ("" = no comparison).
	Baseline string `yaml:"baseline" json:"baseline,omitempty"`
	// Gates are the CI limits `gate` checks.
	Gates *Gates `yaml:"gates" json:"gates,omitempty"`
	// Budgets adds token budgets to the default grid of every budget curve (metrics.BudgetGrid: powers of
	// two below each decoding's max_new_tokens, and max_new_tokens itself).
	Budgets []int `yaml:"budgets" json:"budgets,omitempty"`
	// StrictThink grades a completion that never writes </think> as incorrect (the DeepScaleR reward
	// rule), instead of today's lenient reading of unfinished reasoning. Both accuracies are reported;
	// this picks the headline one (accuracy, budgets, comparisons, gates).
	StrictThink bool `yaml:"strict_think" json:"strict_think,omitempty"`
	// ReflectionMarkers replaces the phrases counted as reflection (metrics.DefaultReflectionMarkers).
	ReflectionMarkers []string `yaml:"reflection_markers" json:"reflection_markers,omitempty"`

	// Path is the file the config was read from ("" for the embedded default); BaseDir is the directory
	// relative paths were resolved against.
	Path    string `yaml:"-" json:"-"`
	BaseDir string `yaml:"-" json:"-"`
	// Raw is the file's bytes.
	Raw []byte `yaml:"-" json:"-"`
	// root is the parsed YAML tree, for the line numbers of errors found after parsing (nil for a
	// config read back from a manifest).
	root *yaml.Node
}

// ModelSpec is one model entry.
type ModelSpec struct {
	Name string `yaml:"name" json:"name"`
	// Path is the model directory (model.onnx, tokenizer.json, ...), absolute after loading.
	Path string `yaml:"path" json:"path"`
	// Variant picks the decoder graph among the directory's variants (transformers.js's
	// onnx/model_<variant>.onnx: fp16, q4, q4f16, int8, uint8, quantized or q8, bnb4, ...; fp32 or unset:
	// the plain model.onnx). It is part of each task's identity: another variant's samples are other
	// samples.
	Variant string `yaml:"variant" json:"variant,omitempty"`
	// Provider is cpu, cuda or auto (default auto).
	Provider string `yaml:"provider" json:"provider,omitempty"`
	// Chat renders the prompt through the tokenizer's chat template.
	Chat bool `yaml:"chat" json:"chat,omitempty"`
	// System is the system prompt (chat only).
	System string `yaml:"system" json:"system,omitempty"`
	// EnableThinking is passed to chat templates that read enable_thinking (Qwen3); unset = template default.
	EnableThinking *bool `yaml:"enable_thinking" json:"enable_thinking,omitempty"`
	// EOSTokenID, when set (an id or a list), replaces the EOS ids of the model directory's files
	// (generation_config.json, config.json, genai_config.json, tokenizer_config.json): for a model whose
	// files state none, or a wrong one.
	EOSTokenID TokenIDs `yaml:"eos_token_id" json:"eos_token_id,omitempty"`
	// Threads is ONNX Runtime's intra-op thread count for this model's session (0 or unset = its
	// default, one per core) and Spinning whether those threads spin while waiting for work (unset = its
	// default, true). They change speed, not samples: the config hash leaves them out (as it does
	// batch_size), and results record them.
	Threads  int   `yaml:"threads" json:"threads,omitempty"`
	Spinning *bool `yaml:"spinning" json:"spinning,omitempty"`
	// Seeded, when set, says how to build this model when its directory does not exist: a test decoder
	// with seeded random weights (the embedded default's two models). run builds it there on first use
	// and says so; a model without it whose directory is missing is an error.
	Seeded *SeededModel `yaml:"seeded" json:"seeded,omitempty"`
}

// SeededModel is a test decoder with seeded random weights, as `acoer-bench build-model --seed SEED
// --preset PRESET --eos-bias EOS_BIAS` builds it: it shows the harness working, it does not reason.
type SeededModel struct {
	Preset  string  `yaml:"preset" json:"preset"`
	Seed    int64   `yaml:"seed" json:"seed"`
	EOSBias float64 `yaml:"eos_bias" json:"eos_bias,omitempty"`
}

// TokenIDs is a token id or a list of them (YAML: 2 or [2, 32000]).
type TokenIDs []int

// UnmarshalYAML reads an id or a list of non-negative integer ids.
func (t *TokenIDs) UnmarshalYAML(n *yaml.Node) error {
	bad := func(what string) error {
		return fmt.Errorf("line %d: eos_token_id: want a token id or a list of token ids (non-negative integers), got %s", n.Line, what)
	}
	var items []*yaml.Node
	switch n.Kind {
	case yaml.ScalarNode:
		items = []*yaml.Node{n}
	case yaml.SequenceNode:
		items = n.Content
		if len(items) == 0 {
			return bad("an empty list")
		}
	default:
		return bad("a mapping")
	}
	out := TokenIDs{}
	for _, it := range items {
		var v int
		if it.Kind != yaml.ScalarNode || it.Tag != "!!int" || it.Decode(&v) != nil || v < 0 {
			return bad(yamlGot(strings.TrimPrefix(it.Tag, "!!"), it.Value))
		}
		out = append(out, v)
	}
	*t = out
	return nil
}

// DatasetSpec is one dataset entry.
type DatasetSpec struct {
	Name string `yaml:"name" json:"name"`
	// Kind is gsm8k, math500, math, aime24, aime25, amc23 or jsonl.
	Kind string `yaml:"kind" json:"kind"`
	// Path is a local file (absolute after loading); "" = the datasets cache, then the download.
	Path string `yaml:"path" json:"path,omitempty"`
	// Fields maps a jsonl file's field names (datasets.FieldMap).
	Fields *FieldMap `yaml:"fields" json:"fields,omitempty"`
	// Template names the prompt template (datasets.Template); default "raw" for jsonl, else
	// "deepseek-r1" (what datasets.DefaultTemplate gives the built-in sets).
	Template string `yaml:"template" json:"template"`
	// Grader is the benchmark name the grader uses (gsm8k, math, aime, amc); default per kind.
	Grader string `yaml:"grader" json:"grader"`
	// Limit keeps at most this many problems (0 = all).
	Limit int `yaml:"limit" json:"limit,omitempty"`
	// Seed, when set, picks the Limit problems at random with this seed instead of the first ones.
	Seed *uint64 `yaml:"seed" json:"seed,omitempty"`
}

// FieldMap names the fields of a jsonl file (mirrors datasets.FieldMap).
type FieldMap struct {
	// Question, Answer and ID are field names (defaults "question", "answer", "id"; without an id field a
	// record's id is its 0-based line index).
	Question string `yaml:"question" json:"question,omitempty"`
	Answer   string `yaml:"answer" json:"answer,omitempty"`
	ID       string `yaml:"id" json:"id,omitempty"`
	// Meta lists fields copied into Problem.Meta ("level" and "subject" feed the breakdowns).
	Meta []string `yaml:"meta" json:"meta,omitempty"`
	// Extract post-processes the answer: "" (as is), "boxed" or "gsm8k" (after "#### ").
	Extract string `yaml:"extract" json:"extract,omitempty"`
}

// DecodingSpec is one decoding setting.
type DecodingSpec struct {
	// Name labels the setting in file names and reports (default: the preset's name, else "greedy" or
	// "sampled").
	Name string `yaml:"name" json:"name"`
	// Preset fills the settings this entry does not give from a named protocol (DecodingPresets).
	Preset string `yaml:"preset" json:"preset,omitempty"`
	// Temperature 0 is greedy.
	Temperature float64 `yaml:"temperature" json:"temperature"`
	TopP        float64 `yaml:"top_p" json:"top_p,omitempty"`
	TopK        int     `yaml:"top_k" json:"top_k,omitempty"`
	// Samples is k, the completions per problem (default 1; > 1 needs temperature > 0).
	Samples      int      `yaml:"samples" json:"samples"`
	MaxNewTokens int      `yaml:"max_new_tokens" json:"max_new_tokens"`
	Stop         []string `yaml:"stop" json:"stop,omitempty"`
	// BatchSize is how many sequences one Generate call carries (default 8). It does not change results.
	BatchSize int `yaml:"batch_size" json:"batch_size"`
	// Seed overrides the run seed for this setting's sampling seeds.
	Seed *uint64 `yaml:"seed" json:"seed,omitempty"`
}

// DecodingPreset is a named decoding protocol: the settings a decoding entry with `preset: NAME` gets
// unless it gives them itself.
type DecodingPreset struct {
	Name, Description     string
	Temperature, TopP     float64
	Samples, MaxNewTokens int
}

// DecodingPresets are the named decoding protocols. deepseek-r1 is the evaluation protocol of the
// length-penalty papers (DeepSeek-R1's recommendation, used by LASER, L1 and DeepScaleR): temperature
// 0.6, top_p 0.95, 16 samples per problem, up to 32,768 new tokens. The rest of that protocol, no system
// prompt and the instruction in the user turn, is the deepseek-r1 prompt template and a model without
// `system:`.
var DecodingPresets = []DecodingPreset{
	{Name: "deepseek-r1", Description: "temperature 0.6, top_p 0.95, 16 samples, max_new_tokens 32768 (DeepSeek-R1's recommendation; LASER, L1, DeepScaleR)",
		Temperature: 0.6, TopP: 0.95, Samples: 16, MaxNewTokens: 32768},
}

// decodingPreset finds a preset by name.
func decodingPreset(name string) (DecodingPreset, bool) {
	for _, p := range DecodingPresets {
		if p.Name == name {
			return p, true
		}
	}
	return DecodingPreset{}, false
}

// Gates are CI limits. A token increase limit of -10 demands a 10% reduction.
type Gates struct {
	// Candidates are the models checked against the baseline (default: every other model).
	Candidates []string `yaml:"candidates" json:"candidates,omitempty"`
	// Overall applies to all datasets pooled (each sample weighs the same).
	Overall *GateLimits `yaml:"overall" json:"overall,omitempty"`
	// PerDataset applies to every dataset separately.
	PerDataset *GateLimits `yaml:"per_dataset" json:"per_dataset,omitempty"`
	// Datasets overrides PerDataset for the named datasets.
	Datasets map[string]GateLimits `yaml:"datasets" json:"datasets,omitempty"`
}

// GateLimits are the limits of one gate scope; nil = not checked.
type GateLimits struct {
	// MaxTokenIncreasePct bounds (mean tokens / baseline mean tokens - 1) * 100.
	MaxTokenIncreasePct *float64 `yaml:"max_token_increase_pct" json:"max_token_increase_pct,omitempty"`
	// MaxAccuracyDropPP bounds (baseline accuracy - accuracy) in percentage points.
	MaxAccuracyDropPP *float64 `yaml:"max_accuracy_drop_pp" json:"max_accuracy_drop_pp,omitempty"`
}

// ConfigError is a config problem at a line of the file.
type ConfigError struct {
	File string
	Line int
	Msg  string
}

func (e *ConfigError) Error() string {
	f := e.File
	if f == "" {
		f = "benchmarks.yaml"
	}
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", f, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", f, e.Msg)
}

// LoadConfig reads and validates a config file; relative paths resolve against its directory.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return ParseConfig(data, path, filepath.Dir(abs))
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

var yamlLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// ParseConfig parses config bytes; file names the source in errors and baseDir resolves relative paths.
func ParseConfig(data []byte, file, baseDir string) (*Config, error) {
	cfg := &Config{Path: file, BaseDir: baseDir, Raw: append([]byte(nil), data...)}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &ConfigError{File: file, Msg: "empty config"}
		}
		return nil, yamlError(file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &ConfigError{File: file, Line: extra.Line, Msg: "more than one YAML document"}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(file, err)
	}
	v := validator{file: file, root: &root}
	v.applyPresets(cfg)
	cfg.root = &root
	cfg.normalize()
	v.check(cfg)
	if v.err != nil {
		return nil, v.err
	}
	cfg.resolvePaths()
	return cfg, nil
}

// yamlError turns a yaml error into a ConfigError with the first line number it mentions.
func yamlError(file string, err error) error {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = strings.TrimSpace(te.Errors[0])
		if len(te.Errors) > 1 {
			msg += fmt.Sprintf(" (and %d more)", len(te.Errors)-1)
		}
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &ConfigError{File: file, Line: line, Msg: yamlPlain(m[2])}
	}
	return &ConfigError{File: file, Msg: yamlPlain(msg)}
}

// yamlUnknownRE matches yaml's known-fields error, which names a Go type rather than the config's key.
var yamlUnknownRE = regexp.MustCompile(`^field (\S+) not found in type \S+$`)

// yamlPlain words yaml's messages for a config author: "unknown key "modelz"" instead of "field modelz
// not found in type bench.Config".
func yamlPlain(msg string) string {
	if m := yamlUnknownRE.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("unknown key %q", m[1])
	}
	if m := yamlTypeRE.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("want %s, got %s", yamlWant(m[3]), yamlGot(m[1], m[2]))
	}
	return msg
}

// yamlTypeRE matches yaml's type errors, which name a Go type: "cannot unmarshal !!str `x` into uint64".
var yamlTypeRE = regexp.MustCompile("^cannot unmarshal !!(\\w+)(?: `(.*)`)? into (\\S+)$")

// yamlWant words a Go type of the config schema as what the key accepts.
func yamlWant(goType string) string {
	switch {
	case strings.HasPrefix(goType, "uint"):
		return "a non-negative integer"
	case strings.HasPrefix(goType, "int"):
		return "an integer"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	case goType == "bool":
		return "true or false"
	case goType == "string":
		return "a string"
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	}
	return "a mapping (key: value)"
}

// yamlGot words a YAML node of tag tag (str, int, seq, map, ...) and text value.
func yamlGot(tag, value string) string {
	kind := map[string]string{"str": "text", "int": "an integer", "float": "a number", "bool": "a boolean",
		"seq": "a list", "map": "a mapping", "null": "nothing"}[tag]
	if kind == "" {
		kind = tag
	}
	if value != "" {
		return fmt.Sprintf("%s %q", kind, value)
	}
	return kind
}

// normalize fills defaults.
func (c *Config) normalize() {
	for i := range c.Models {
		if c.Models[i].Provider == "" {
			c.Models[i].Provider = "auto"
		}
	}
	for i := range c.Datasets {
		d := &c.Datasets[i]
		if d.Grader == "" {
			d.Grader = defaultGrader(d.Kind)
		}
		if d.Template == "" {
			d.Template = defaultTemplate(d.Kind)
		}
	}
	if len(c.Decoding) == 0 {
		c.Decoding = []DecodingSpec{{}}
	}
	for i := range c.Decoding {
		d := &c.Decoding[i]
		if d.Samples == 0 {
			d.Samples = 1
		}
		if d.BatchSize == 0 {
			d.BatchSize = 8
		}
		if d.TopP == 0 {
			d.TopP = 1
		}
		if d.MaxNewTokens == 0 {
			d.MaxNewTokens = 512
		}
		if d.Name == "" && d.Preset != "" {
			d.Name = d.Preset
		}
		if d.Name == "" {
			if d.Temperature == 0 {
				d.Name = "greedy"
			} else {
				d.Name = "sampled"
			}
		}
	}
}

func (c *Config) resolvePaths() {
	for i := range c.Models {
		c.Models[i].Path = resolve(c.BaseDir, c.Models[i].Path)
	}
	for i := range c.Datasets {
		if c.Datasets[i].Path != "" {
			c.Datasets[i].Path = resolve(c.BaseDir, c.Datasets[i].Path)
		}
	}
}

func resolve(base, p string) string {
	if p == "" || filepath.IsAbs(p) || base == "" {
		return p
	}
	return filepath.Join(base, p)
}

func defaultGrader(kind string) string {
	switch kind {
	case "gsm8k":
		return "gsm8k"
	case "math", "math500":
		return "math"
	case "aime24", "aime25":
		return "aime"
	case "amc23":
		return "amc"
	}
	return ""
}

func defaultTemplate(kind string) string {
	switch kind {
	case "jsonl":
		return "raw"
	}
	return "deepseek-r1"
}

// applyPresets fills each decoding entry that names a preset with the preset's settings for the keys
// the entry does not set itself (an unknown preset is a config error at its line).
func (v *validator) applyPresets(c *Config) {
	for i := range c.Decoding {
		d := &c.Decoding[i]
		if d.Preset == "" {
			continue
		}
		p, ok := decodingPreset(d.Preset)
		if !ok {
			var names []string
			for _, p := range DecodingPresets {
				names = append(names, p.Name)
			}
			v.fail(v.line("decoding", i, "preset"), "decoding[%d]: preset %q: want one of %s", i, d.Preset, strings.Join(names, ", "))
			continue
		}
		set := func(key string) bool { return v.has("decoding", i, key) }
		if !set("temperature") {
			d.Temperature = p.Temperature
		}
		if !set("top_p") {
			d.TopP = p.TopP
		}
		if !set("samples") {
			d.Samples = p.Samples
		}
		if !set("max_new_tokens") {
			d.MaxNewTokens = p.MaxNewTokens
		}
	}
}

// Kinds the datasets package loads.
var datasetKinds = []string{"gsm8k", "math500", "math", "aime24", "aime25", "amc23", "jsonl"}

// Graders the metrics package knows.
var graderNames = []string{"gsm8k", "math", "aime", "amc"}

// GraderNames lists the grader names a config accepts (each must be a benchmark metrics.Grade knows;
// the CLI's tests check that it does).
func GraderNames() []string { return append([]string(nil), graderNames...) }

type validator struct {
	file string
	root *yaml.Node
	err  error
}

func (v *validator) fail(line int, format string, a ...any) {
	if v.err == nil {
		v.err = &ConfigError{File: v.file, Line: line, Msg: fmt.Sprintf(format, a...)}
	}
}

// line finds the line of the node at path (map keys as strings, list indices as ints); for a key it
// gives the line of the value, falling back to the deepest node found.
func (v *validator) line(path ...any) int {
	_, best := nodeAt(v.root, path...)
	return best
}

// has reports whether the YAML holds a node at path.
func (v *validator) has(path ...any) bool {
	n, _ := nodeAt(v.root, path...)
	return n != nil
}

// Where names the place of path in the config file for an error found after parsing: "file:line" (or
// the file alone when the line is not known, e.g. for a config read back from a manifest).
func (c *Config) Where(path ...any) string {
	f := c.Path
	if f == "" {
		f = "benchmarks.yaml (embedded default)"
	}
	if _, l := nodeAt(c.root, path...); l > 0 {
		return fmt.Sprintf("%s:%d", f, l)
	}
	return f
}

// nodeAt finds the node at path under root (nil when there is none) and the line of the deepest node
// found.
func nodeAt(root *yaml.Node, path ...any) (*yaml.Node, int) {
	n := root
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	best := 0
	if n != nil {
		best = n.Line
	}
	for _, p := range path {
		if n == nil {
			break
		}
		switch k := p.(type) {
		case string:
			var next *yaml.Node
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == k {
						next = n.Content[i+1]
						break
					}
				}
			}
			n = next
		case int:
			if n.Kind == yaml.SequenceNode && k < len(n.Content) {
				n = n.Content[k]
			} else {
				n = nil
			}
		}
		if n != nil {
			best = n.Line
		}
	}
	return n, best
}

func (v *validator) check(c *Config) {
	if len(c.Models) == 0 {
		v.fail(v.line("models"), "no models")
	}
	if len(c.Datasets) == 0 {
		v.fail(v.line("datasets"), "no datasets")
	}
	seen := map[string]int{}
	for i, m := range c.Models {
		switch {
		case m.Name == "":
			v.fail(v.line("models", i), "models[%d]: name is required", i)
		case !nameRE.MatchString(m.Name):
			v.fail(v.line("models", i, "name"), "model name %q: use letters, digits, '.', '_', '-' (at most 64)", m.Name)
		case seen[m.Name] > 0:
			v.fail(v.line("models", i, "name"), "duplicate model name %q (first at line %d)", m.Name, seen[m.Name])
		default:
			seen[m.Name] = v.line("models", i, "name")
		}
		if m.Path == "" {
			v.fail(v.line("models", i), "model %q: path is required (the model directory)", m.Name)
		}
		switch m.Provider {
		case "cpu", "cuda", "auto":
		default:
			v.fail(v.line("models", i, "provider"), "model %q: provider %q: want cpu, cuda or auto", m.Name, m.Provider)
		}
		if m.Threads < 0 {
			v.fail(v.line("models", i, "threads"), "model %q: threads: want 0 (ONNX Runtime's default) or a positive thread count, got %d", m.Name, m.Threads)
		}
		if !m.Chat && (m.System != "" || m.EnableThinking != nil) {
			v.fail(v.line("models", i, "system"), "model %q: system / enable_thinking need chat: true", m.Name)
		}
		if sm := m.Seeded; sm != nil {
			switch {
			case sm.Preset == "":
				v.fail(v.line("models", i, "seeded"), "model %q: seeded needs a preset (tiny, small or medium)", m.Name)
			case sm.Seed < 0:
				v.fail(v.line("models", i, "seeded", "seed"), "model %q: seeded.seed must be >= 0", m.Name)
			}
		}
	}
	seenD := map[string]int{}
	for i, d := range c.Datasets {
		switch {
		case d.Name == "":
			v.fail(v.line("datasets", i), "datasets[%d]: name is required", i)
		case !nameRE.MatchString(d.Name):
			v.fail(v.line("datasets", i, "name"), "dataset name %q: use letters, digits, '.', '_', '-' (at most 64)", d.Name)
		case seenD[d.Name] > 0:
			v.fail(v.line("datasets", i, "name"), "duplicate dataset name %q (first at line %d)", d.Name, seenD[d.Name])
		default:
			seenD[d.Name] = v.line("datasets", i, "name")
		}
		if !contains(datasetKinds, d.Kind) {
			v.fail(v.line("datasets", i, "kind"), "dataset %q: kind %q: want one of %s", d.Name, d.Kind, strings.Join(datasetKinds, ", "))
		}
		if d.Kind == "jsonl" && d.Path == "" {
			v.fail(v.line("datasets", i), "dataset %q: kind jsonl needs a path", d.Name)
		}
		if d.Kind != "jsonl" && d.Fields != nil {
			v.fail(v.line("datasets", i, "fields"), "dataset %q: fields apply to kind jsonl only", d.Name)
		}
		if f := d.Fields; f != nil {
			switch f.Extract {
			case "", "boxed", "gsm8k":
			default:
				v.fail(v.line("datasets", i, "fields", "extract"), "dataset %q: fields.extract %q: want boxed or gsm8k (or nothing)", d.Name, f.Extract)
			}
		}
		if !contains(graderNames, d.Grader) {
			v.fail(v.line("datasets", i, "grader"), "dataset %q: grader %q: want one of %s", d.Name, d.Grader, strings.Join(graderNames, ", "))
		}
		if d.Limit < 0 {
			v.fail(v.line("datasets", i, "limit"), "dataset %q: limit must be >= 0", d.Name)
		}
		if d.Seed != nil && d.Limit == 0 {
			v.fail(v.line("datasets", i, "seed"), "dataset %q: seed picks a random subset and needs a limit", d.Name)
		}
	}
	seenDec := map[string]int{}
	for i, d := range c.Decoding {
		ln := func(k string) int { return v.line("decoding", i, k) }
		switch {
		case !nameRE.MatchString(d.Name):
			v.fail(ln("name"), "decoding name %q: use letters, digits, '.', '_', '-'", d.Name)
		case seenDec[d.Name] > 0:
			v.fail(ln("name"), "duplicate decoding name %q (first at line %d)", d.Name, seenDec[d.Name])
		default:
			seenDec[d.Name] = ln("name")
		}
		if d.Temperature < 0 || math.IsNaN(d.Temperature) || math.IsInf(d.Temperature, 0) {
			v.fail(ln("temperature"), "decoding %q: temperature must be >= 0", d.Name)
		}
		if !(d.TopP > 0 && d.TopP <= 1) {
			v.fail(ln("top_p"), "decoding %q: top_p must be in (0, 1]", d.Name)
		}
		if d.TopK < 0 {
			v.fail(ln("top_k"), "decoding %q: top_k must be >= 0", d.Name)
		}
		if d.Samples < 1 || d.Samples > 1024 {
			v.fail(ln("samples"), "decoding %q: samples must be in 1..1024", d.Name)
		}
		if d.Samples > 1 && d.Temperature == 0 {
			v.fail(ln("samples"), "decoding %q: samples > 1 needs temperature > 0 (greedy repeats itself)", d.Name)
		}
		if d.MaxNewTokens < 1 || d.MaxNewTokens > 1<<20 {
			v.fail(ln("max_new_tokens"), "decoding %q: max_new_tokens must be in 1..1048576", d.Name)
		}
		if d.BatchSize < 1 || d.BatchSize > 4096 {
			v.fail(ln("batch_size"), "decoding %q: batch_size must be in 1..4096", d.Name)
		}
		for j, s := range d.Stop {
			if s == "" {
				v.fail(v.line("decoding", i, "stop", j), "decoding %q: empty stop string", d.Name)
			}
		}
	}
	for i, b := range c.Budgets {
		if b < 1 || b > 1<<20 {
			v.fail(v.line("budgets", i), "budgets[%d]: %d: a budget is a number of new tokens in 1..1048576", i, b)
		}
	}
	for i, m := range c.ReflectionMarkers {
		if strings.TrimSpace(m) == "" {
			v.fail(v.line("reflection_markers", i), "reflection_markers[%d]: empty marker", i)
		}
	}
	if c.Baseline != "" && seen[c.Baseline] == 0 {
		v.fail(v.line("baseline"), "baseline %q is not among the models (%s)", c.Baseline, strings.Join(c.ModelNames(), ", "))
	}
	if g := c.Gates; g != nil {
		if c.Baseline == "" {
			v.fail(v.line("gates"), "gates need a baseline model")
		}
		for i, m := range g.Candidates {
			if seen[m] == 0 {
				v.fail(v.line("gates", "candidates", i), "gate candidate %q is not among the models", m)
			} else if m == c.Baseline {
				v.fail(v.line("gates", "candidates", i), "gate candidate %q is the baseline", m)
			}
		}
		v.checkLimits(g.Overall, "gates", "overall")
		v.checkLimits(g.PerDataset, "gates", "per_dataset")
		for name, l := range g.Datasets {
			if seenD[name] == 0 {
				v.fail(v.line("gates", "datasets", name), "gate dataset %q is not among the datasets", name)
			}
			v.checkLimits(&l, "gates", "datasets", name)
		}
	}
}

func (v *validator) checkLimits(l *GateLimits, path ...any) {
	if l == nil {
		return
	}
	if l.MaxTokenIncreasePct == nil && l.MaxAccuracyDropPP == nil {
		v.fail(v.line(path...), "gate %v: set max_token_increase_pct and/or max_accuracy_drop_pp", path[len(path)-1])
	}
	if p := l.MaxTokenIncreasePct; p != nil && (math.IsNaN(*p) || *p < -100 || math.IsInf(*p, 0)) {
		v.fail(v.line(append(path, "max_token_increase_pct")...), "max_token_increase_pct must be a number >= -100")
	}
	if p := l.MaxAccuracyDropPP; p != nil && (math.IsNaN(*p) || *p < -100 || *p > 100) {
		v.fail(v.line(append(path, "max_accuracy_drop_pp")...), "max_accuracy_drop_pp must be in -100..100")
	}
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// ModelNames lists the model names in config order.
func (c *Config) ModelNames() []string {
	out := make([]string, len(c.Models))
	for i, m := range c.Models {
		out[i] = m.Name
	}
	return out
}

// Model finds a model by name.
func (c *Config) Model(name string) (ModelSpec, bool) {
	for _, m := range c.Models {
		if m.Name == name {
			return m, true
		}
	}
	return ModelSpec{}, false
}

// Dataset finds a dataset by name.
func (c *Config) Dataset(name string) (DatasetSpec, bool) {
	for _, d := range c.Datasets {
		if d.Name == name {
			return d, true
		}
	}
	return DatasetSpec{}, false
}

// DecodingByName finds a decoding setting by name.
func (c *Config) DecodingByName(name string) (DecodingSpec, bool) {
	for _, d := range c.Decoding {
		if d.Name == name {
			return d, true
		}
	}
	return DecodingSpec{}, false
}

// DecodingSeed is the seed a decoding setting derives sampling seeds from.
func (c *Config) DecodingSeed(d DecodingSpec) uint64 {
	if d.Seed != nil {
		return *d.Seed
	}
	return c.Seed
}

// identity is what decides which samples a config produces: not gates, baseline or paths (a moved model
// directory with the same model.onnx gives the same samples; model files are checked by sha256).
type identity struct {
	Seed     uint64         `json:"seed"`
	Models   []ModelSpec    `json:"models"`
	Datasets []DatasetSpec  `json:"datasets"`
	Decoding []DecodingSpec `json:"decoding"`
}

// Hash is the sha256 of the config's sample-relevant content (gates and baseline excluded, paths
// excluded: model and dataset files are identified by their sha256 in the manifest; batch size and a
// model's threads and spinning excluded: they do not change results; a decoding's preset name excluded: the settings it gives count; budgets,
// strict_think and reflection_markers excluded: they change how samples are analysed, not the samples).
func (c *Config) Hash() string {
	id := identity{Seed: c.Seed}
	for _, d := range c.Decoding {
		d.BatchSize = 0 // batch composition does not change results
		d.Preset = ""   // the settings it filled in are what count
		id.Decoding = append(id.Decoding, d)
	}
	for _, m := range c.Models {
		m.Path, m.Seeded = "", nil     // how a missing directory gets built is not the model: its files' sha256 is
		m.Threads, m.Spinning = 0, nil // speed, not samples
		id.Models = append(id.Models, m)
	}
	for _, d := range c.Datasets {
		d.Path = ""
		id.Datasets = append(id.Datasets, d)
	}
	b, _ := json.Marshal(id)
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TaskHash identifies the samples of one model x dataset x decoding (its config part only).
func (c *Config) TaskHash(model, dataset, decoding string) string {
	m, _ := c.Model(model)
	d, _ := c.Dataset(dataset)
	dec, _ := c.DecodingByName(decoding)
	m.Path, m.Seeded, d.Path, dec.BatchSize, dec.Preset = "", nil, "", 0, ""
	m.Threads, m.Spinning = 0, nil
	b, _ := json.Marshal(struct {
		Seed uint64
		M    ModelSpec
		D    DatasetSpec
		Dec  DecodingSpec
	}{c.DecodingSeed(dec), m, d, dec})
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
