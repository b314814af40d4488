package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/acoer/acoer-bench/metrics"
)

// ResultsVersion is the results.json schema version.
//
// 2: the numbers are metrics.RunStats / metrics.Comparison (metrics.Aggregate, metrics.CompareRecords).
// 3: adds per task budget_curve, budget_to_reach, outcome_efficiency(_xi), redundant_token_share,
// reflection_markers_per_1k, reflection, trajectories, think_tokens, think_grading, mean_tokens_ci,
// equal_spend_curve, analysis, length p99; against the baseline reduction_commonly_solved,
// reduction_by_level, reduction_by_base_pass_rate, reduction_by_base_length_quintile,
// correct_and_shorter and equal_spend. Samples carry prompt_ids and completion_ids, and the scheduler's
// work shares; throughput gains decode_steps, prefill_tokens, slots, slot_utilization and
// mean_live_rows, and its wall_seconds is the sum of the samples' work shares.
const ResultsVersion = 3

// MinResultsVersion is the oldest results.json schema this binary reads (what it lacks is left empty).
const MinResultsVersion = 2

// ErrResultsVersion marks a results.json of another schema version (OpenDir then recomputes it from the
// samples when they are there).
var ErrResultsVersion = errors.New("unsupported results schema version")

// ResultsFile is the results file name inside a results directory.
const ResultsFile = "results.json"

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

// TaskResult is one model x dataset x decoding. Every number in it comes from metrics.Aggregate over the
// task's samples (one metrics.Record per sample; see records), inlined from metrics.RunStats:
// problems, samples, min/max_samples_per_problem, accuracy (avg@k with a bootstrap interval over
// problems), accuracy_wilson, pass_at_k and maj_at_k (per k, with intervals), length (all / correct /
// incorrect), by_group (per "level" and "subject" when the dataset has them), truncation, think,
// accuracy_per_1k_tokens, ttft / per_token / end_to_end latency summaries (ms) and throughput.
type TaskResult struct {
	Model     string `json:"model"`
	Dataset   string `json:"dataset"`
	Decoding  string `json:"decoding"`
	Benchmark string `json:"benchmark"`
	// K is the configured samples per problem.
	K int `json:"k"`
	// Complete is false when some planned (problem, sample) pairs have no record (an interrupted run).
	Complete bool `json:"complete"`
	metrics.RunStats
	// AvgAtK (= Accuracy.Estimate) when k > 1.
	AvgAtK     *float64    `json:"avg_at_k,omitempty"`
	VsBaseline *Comparison `json:"vs_baseline,omitempty"`

	// The analyses of schema 3 (see analysis.go and the README's "What the numbers mean"). Those that need
	// token ids (budget curve, outcome efficiency, redundant tokens, reflection by part, think tokens) are
	// absent when the samples or the tokenizer are missing; Analysis.Notes says why.
	//
	// ThinkGrading is the accuracy read leniently and with strict_think; MeanTokensCI the mean completion
	// tokens (mean of per-problem means) with a bootstrap interval over problems.
	ThinkGrading *ThinkGrading     `json:"think_grading,omitempty"`
	MeanTokensCI *metrics.Interval `json:"mean_tokens_ci,omitempty"`
	// BudgetCurve is the accuracy and spend at each budget up to max_new_tokens (the last point);
	// BudgetToReach the budgets that reach 90% and 95% of the final accuracy.
	BudgetCurve   []metrics.BudgetPoint `json:"budget_curve,omitempty"`
	BudgetToReach []metrics.BudgetReach `json:"budget_to_reach,omitempty"`
	// Overthinking (metrics.OverthinkingStats).
	OutcomeEfficiency      *metrics.VerdictSplit      `json:"outcome_efficiency,omitempty"`
	OutcomeEfficiencyXi    *metrics.Interval          `json:"outcome_efficiency_xi,omitempty"`
	RedundantTokenShare    *metrics.VerdictSplit      `json:"redundant_token_share,omitempty"`
	ReflectionMarkersPer1k *metrics.VerdictSplit      `json:"reflection_markers_per_1k,omitempty"`
	Reflection             *metrics.ReflectionSummary `json:"reflection,omitempty"`
	Trajectories           *metrics.TrajectorySummary `json:"trajectories,omitempty"`
	ThinkTokens            *metrics.ThinkTokens       `json:"think_tokens,omitempty"`
	// EqualSpendCurve is maj@k and pass@k against k x mean tokens, k = 1..samples (k > 1 only).
	EqualSpendCurve []metrics.SpendPoint `json:"equal_spend_curve,omitempty"`
	Analysis        *AnalysisInfo        `json:"analysis,omitempty"`
}

// Comparison is a candidate against the baseline on the problems both have: metrics.CompareRecords
// over the common problems (inlined: problems, accuracy {base_accuracy, candidate_accuracy, delta_pp,
// relative_pct, delta_pp_ci, test {method, p_value, ...}}, tokens {base_mean_tokens,
// candidate_mean_tokens, reduction}, aes, aes_params, base/candidate_accuracy_per_1k_tokens,
// end_to_end_latency {base_mean, candidate_mean, change_pct}).
type Comparison struct {
	Baseline string `json:"baseline"`
	// BaselineOnly and CandidateOnly count problems that only one side has (left out of the comparison).
	BaselineOnly  int `json:"baseline_only_problems"`
	CandidateOnly int `json:"candidate_only_problems"`
	metrics.Comparison

	// Fair length comparisons (metrics.CompareLengths, schema 3): the token reduction on the problems
	// both solve, by level, by the baseline's pass rate and length quintile, and the share of problems
	// where the candidate is correct and shorter.
	ReductionCommonlySolved       *metrics.CommonlySolved   `json:"reduction_commonly_solved,omitempty"`
	ReductionByLevel              []metrics.SubsetReduction `json:"reduction_by_level,omitempty"`
	ReductionByBasePassRate       []metrics.SubsetReduction `json:"reduction_by_base_pass_rate,omitempty"`
	ReductionByBaseLengthQuintile []metrics.SubsetReduction `json:"reduction_by_base_length_quintile,omitempty"`
	CorrectAndShorter             *metrics.Interval         `json:"correct_and_shorter,omitempty"`
	// EqualSpend is the candidate's maj@k* against the baseline's avg@1, k* = floor(L_base/L_cand)
	// (metrics.CompareEqualSpend; when the candidate has more than one sample per problem).
	EqualSpend *metrics.EqualSpend `json:"equal_spend,omitempty"`
}

// OverallResult pools all datasets of one model x decoding (problems keyed by dataset and id; each
// problem weighs the same). The numbers are metrics.RunStats, as in TaskResult.
type OverallResult struct {
	Model    string `json:"model"`
	Decoding string `json:"decoding"`
	metrics.RunStats
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
		return nil, jsonFileError(path, err)
	}
	if r.SchemaVersion < MinResultsVersion || r.SchemaVersion > ResultsVersion {
		return nil, fmt.Errorf("%s: schema_version %d, this binary reads %d to %d: %w", path, r.SchemaVersion, MinResultsVersion, ResultsVersion, ErrResultsVersion)
	}
	return &r, nil
}
