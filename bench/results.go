package bench

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
)

// ResultsVersion is the results.json schema version.
const ResultsVersion = 1

// ResultsFile is the results file name inside a results directory.
const ResultsFile = "results.json"

// Float is a float64 that marshals NaN and ±Inf as JSON null (and reads null back as NaN).
type Float float64

// MarshalJSON implements json.Marshaler.
func (f Float) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return []byte(strconv.FormatFloat(v, 'g', 10, 64)), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *Float) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = Float(math.NaN())
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return err
	}
	*f = Float(v)
	return nil
}

// OK reports that f is a finite number.
func (f Float) OK() bool { return !math.IsNaN(float64(f)) && !math.IsInf(float64(f), 0) }

// Estimate is a point estimate with a confidence interval at Level (e.g. 0.95).
type Estimate struct {
	Value Float `json:"value"`
	Lo    Float `json:"lo"`
	Hi    Float `json:"hi"`
	Level Float `json:"level"`
}

// Results is results.json.
type Results struct {
	SchemaVersion int        `json:"schema_version"`
	Provenance    Provenance `json:"provenance"`
	// Baseline is the model the comparisons are against ("" = none).
	Baseline string `json:"baseline,omitempty"`
	// Tasks are the model x dataset x decoding results, in config order.
	Tasks []TaskResult `json:"tasks"`
	// Overall pools every dataset per model x decoding (each sample weighs the same).
	Overall []OverallResult `json:"overall"`
	// Gates are the config's gates (what `gate` checks by default).
	Gates *Gates `json:"gates,omitempty"`
}

// Provenance is everything needed to reproduce the results.
type Provenance struct {
	Revision   string `json:"git_revision"`
	ConfigHash string `json:"config_hash"`
	Seed       uint64 `json:"seed"`
	// Host and CreatedAt describe the invocation that wrote the file (they differ between reruns).
	Host      string `json:"host,omitempty"`
	CreatedAt string `json:"created_at,omitempty"`
	// Shards lists the shards merged into these results (empty = one unsharded run).
	Shards []string `json:"shards,omitempty"`
	// RunLimit is the run's --limit (0 = none): results then cover a prefix of each dataset's plan.
	RunLimit int                        `json:"run_limit,omitempty"`
	Models   map[string]ModelProv       `json:"models"`
	Datasets map[string]DatasetProv     `json:"datasets"`
	Decoding []DecodingSpec             `json:"decoding"`
	Stats    map[string]string          `json:"statistics"`
	Extra    map[string]json.RawMessage `json:"extra,omitempty"`
}

// ModelProv is a model's provenance: the files used and the prompt options.
type ModelProv struct {
	ModelInfo
	Chat           bool   `json:"chat"`
	System         string `json:"system,omitempty"`
	EnableThinking *bool  `json:"enable_thinking,omitempty"`
}

// DatasetProv is a dataset's provenance.
type DatasetProv struct {
	DatasetInfo
	Kind     string  `json:"kind"`
	Template string  `json:"template"`
	Grader   string  `json:"grader"`
	Limit    int     `json:"limit,omitempty"`
	Seed     *uint64 `json:"subset_seed,omitempty"`
}

// TaskResult is one model x dataset x decoding.
type TaskResult struct {
	Model     string `json:"model"`
	Dataset   string `json:"dataset"`
	Decoding  string `json:"decoding"`
	Benchmark string `json:"benchmark"`
	// Problems is n, the problems with samples; Samples the records; K the samples per problem.
	Problems int `json:"n"`
	Samples  int `json:"samples"`
	K        int `json:"k"`
	// Complete is false when some planned (problem, sample) pairs have no record (an interrupted run).
	Complete bool `json:"complete"`
	// Accuracy is the mean per-problem accuracy (avg@k when k > 1) with a bootstrap interval over problems.
	Accuracy Estimate `json:"accuracy"`
	// AvgAtK (= Accuracy.Value), PassAtK (unbiased) and MajAtK (majority vote over extracted answers),
	// when k > 1.
	AvgAtK  *Float `json:"avg_at_k,omitempty"`
	PassAtK []AtK  `json:"pass_at_k,omitempty"`
	MajAtK  *Float `json:"maj_at_k,omitempty"`
	// Length is completion tokens.
	Length LengthStats `json:"length"`
	// TruncationRate is the share of samples with finish reason "length"; ThinkUnclosedRate the share
	// that opened <think> and never closed it.
	TruncationRate    Float   `json:"truncation_rate"`
	ThinkUnclosedRate Float   `json:"think_unclosed_rate"`
	Latency           Latency `json:"latency"`
	// TokensPerSecond is completion tokens / end-to-end seconds, summed over samples.
	TokensPerSecond Float `json:"tokens_per_second"`
	// AccuracyPer1kTokens is accuracy (0..1) / mean tokens * 1000.
	AccuracyPer1kTokens Float       `json:"accuracy_per_1k_tokens"`
	VsBaseline          *Comparison `json:"vs_baseline,omitempty"`
}

// AtK is a metric at one k.
type AtK struct {
	K     int   `json:"k"`
	Value Float `json:"value"`
}

// LengthStats summarises completion tokens.
type LengthStats struct {
	Overall   Summary        `json:"overall"`
	Correct   Summary        `json:"correct"`
	Incorrect Summary        `json:"incorrect"`
	ByLevel   []LevelSummary `json:"by_level,omitempty"`
}

// Summary is a length distribution summary.
type Summary struct {
	N      int   `json:"n"`
	Mean   Float `json:"mean"`
	Median Float `json:"median"`
	P90    Float `json:"p90"`
	Max    Float `json:"max"`
}

// LevelSummary is accuracy and length at one difficulty level.
type LevelSummary struct {
	Level    string  `json:"level"`
	Samples  int     `json:"samples"`
	Accuracy Float   `json:"accuracy"`
	Length   Summary `json:"length"`
}

// Latency summarises timings in milliseconds.
type Latency struct {
	TTFTMs     Dist `json:"ttft_ms"`
	PerTokenMs Dist `json:"per_token_ms"`
	TotalMs    Dist `json:"total_ms"`
}

// Dist is a latency distribution summary.
type Dist struct {
	Mean Float `json:"mean"`
	P50  Float `json:"p50"`
	P90  Float `json:"p90"`
	P95  Float `json:"p95"`
	P99  Float `json:"p99"`
}

// Comparison is a candidate against the baseline on the problems both have.
type Comparison struct {
	Baseline string `json:"baseline"`
	Paired   int    `json:"paired_problems"`
	// TokenReduction is 1 - L/L_base (mean completion tokens) with a paired bootstrap interval;
	// TokenIncreasePct = (L/L_base - 1) * 100 = -100 * TokenReduction.
	TokenReduction   Estimate `json:"token_reduction"`
	TokenIncreasePct Float    `json:"token_increase_pct"`
	// AccuracyChangePP is accuracy - baseline accuracy in points (paired bootstrap interval);
	// AccuracyChangeRelPct the same relative to the baseline's accuracy in percent.
	AccuracyChangePP     Estimate `json:"accuracy_change_pp"`
	AccuracyChangeRelPct Float    `json:"accuracy_change_rel_pct"`
	BaselineAccuracy     Float    `json:"baseline_accuracy"`
	BaselineMeanTokens   Float    `json:"baseline_mean_tokens"`
	// PValue is the paired test's two-sided p-value; Test names it.
	PValue Float  `json:"p_value"`
	Test   string `json:"test"`
	// LatencyChangePct is the relative change of mean end-to-end latency in percent (paired bootstrap).
	LatencyChangePct Estimate `json:"latency_change_pct"`
}

// OverallResult pools all datasets of one model x decoding.
type OverallResult struct {
	Model      string      `json:"model"`
	Decoding   string      `json:"decoding"`
	Problems   int         `json:"n"`
	Samples    int         `json:"samples"`
	Accuracy   Estimate    `json:"accuracy"`
	MeanTokens Float       `json:"mean_tokens"`
	VsBaseline *Comparison `json:"vs_baseline,omitempty"`
}

// Task finds a task result.
func (r *Results) Task(model, dataset, decoding string) (TaskResult, bool) {
	for _, t := range r.Tasks {
		if t.Model == model && t.Dataset == dataset && t.Decoding == decoding {
			return t, true
		}
	}
	return TaskResult{}, false
}

// Models lists the models in the results, in order of first appearance.
func (r *Results) Models() []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range r.Tasks {
		if !seen[t.Model] {
			seen[t.Model] = true
			out = append(out, t.Model)
		}
	}
	return out
}

// WriteResults writes results.json atomically.
func WriteResults(dir string, r *Results) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, ResultsFile), append(b, '\n'))
}

// ReadResults reads dir/results.json (dir may also name the file itself).
func ReadResults(dir string) (*Results, error) {
	path := dir
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		path = filepath.Join(dir, ResultsFile)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Results
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if r.SchemaVersion != ResultsVersion {
		return nil, fmt.Errorf("%s: schema_version %d, this binary reads %d", path, r.SchemaVersion, ResultsVersion)
	}
	return &r, nil
}
