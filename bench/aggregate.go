package bench

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/acoer/acoer-bench/metrics"
)

// confidenceLevel is the level of every interval in the results.
const confidenceLevel = 0.95

// groupKeys are the Sample fields results break down by (metrics.Record.Groups keys).
var groupKeys = []string{"level", "subject"}

// aggInput is what the aggregation needs: the manifest (config + provenance), the samples of each task
// and, per task, how many (problem, sample) pairs were planned (for Complete).
type aggInput struct {
	Manifest *Manifest
	Samples  map[TaskKey][]Sample
	Expected map[TaskKey]int
	Revision string
	Host     string
	Created  string
	Shards   []string
	// Tokenizer loads the tokenizer a model's token ids are decoded with (nil: LoadTokenizer); Grade
	// regrades cut completions (nil: metrics.Grade).
	Tokenizer TokenizerLoader
	Grade     func(benchmark, response, gold string) metrics.Verdict
}

// bootSeed derives a bootstrap seed for one statistic from the run seed and a label.
func bootSeed(run uint64, label string) uint64 {
	h := sha256.Sum256([]byte(strconv.FormatUint(run, 10) + "\x00" + label))
	return binary.LittleEndian.Uint64(h[:8])
}

// bootOptions are the bootstrap options of the statistics labelled label.
func bootOptions(run uint64, label string) metrics.BootstrapOptions {
	return metrics.BootstrapOptions{B: metrics.DefaultBootstrapB, Level: confidenceLevel, Seed: bootSeed(run, label)}
}

// statsProvenance describes how the numbers were computed (results.json provenance.statistics).
func statsProvenance() map[string]string {
	return map[string]string{
		"implementation":   "github.com/acoer/acoer-bench/metrics (Aggregate, CompareRecords)",
		"confidence_level": strconv.FormatFloat(confidenceLevel, 'g', -1, 64),
		"accuracy_ci": fmt.Sprintf("percentile bootstrap over problems, %d resamples, seeded from the run seed (accuracy.seed); "+
			"accuracy_wilson: Wilson interval over samples", metrics.DefaultBootstrapB),
		"pass_at_k":      "unbiased estimator 1-C(n-c,k)/C(n,k) (Chen et al. 2021), bootstrap over problems",
		"maj_at_k":       "majority vote over the first k samples' extracted answers (the grader's NormalizeAnswer(Verdict.Extracted) as the vote key), ties to the first seen",
		"paired_ci":      "paired percentile bootstrap over the problems both runs have",
		"paired_test":    "exact McNemar (one sample per problem) / paired sign-flip permutation test on per-problem accuracy (k>1); vs_baseline.accuracy.test.method names it",
		"aes":            "accuracy-efficiency score, Luo et al. 2025 (O1-Pruner, arXiv:2501.12570 Eq. 18), weights in vs_baseline.aes_params",
		"tokens_per_sec": "throughput.tokens_per_second: completion tokens / wall_seconds, the sum over samples of their share of their batch's wall time (batch_wall_ms / batch_size; 0 when samples lack it); throughput.per_sequence_tokens_per_second: mean over samples of completion tokens / end-to-end time",
	}
}

// aggregate computes results.json from samples: metrics.Aggregate per task and per model x decoding
// (pooled), metrics.CompareRecords against the baseline.
func aggregate(in aggInput) (*Results, error) {
	cfg := in.Manifest.Config
	res := &Results{
		SchemaVersion: ResultsVersion,
		Baseline:      cfg.Baseline,
		Gates:         cfg.Gates,
		Provenance: Provenance{
			Revision:   in.Revision,
			ConfigHash: in.Manifest.ConfigHash,
			Seed:       cfg.Seed,
			Host:       in.Host,
			CreatedAt:  in.Created,
			Shards:     in.Shards,
			Models:     map[string]ModelProv{},
			Datasets:   map[string]DatasetProv{},
			Decoding:   cfg.Decoding,
			Stats:      statsProvenance(),
		},
	}
	for _, m := range cfg.Models {
		mp := ModelProv{ModelInfo: in.Manifest.Models[m.Name], Chat: m.Chat, System: m.System, EnableThinking: m.EnableThinking}
		if mp.Path == "" {
			mp.Path = m.Path
		}
		res.Provenance.Models[m.Name] = mp
	}
	for _, d := range cfg.Datasets {
		res.Provenance.Datasets[d.Name] = DatasetProv{DatasetInfo: in.Manifest.Datasets[d.Name], Kind: d.Kind,
			Template: d.Template, Grader: d.Grader, Limit: d.Limit, Seed: d.Seed}
	}
	an := newAnalyzer(cfg, in.Grade, in.Tokenizer)
	// Tasks in config order.
	for _, m := range cfg.Models {
		for _, d := range cfg.Datasets {
			for _, dec := range cfg.Decoding {
				k := TaskKey{m.Name, d.Name, dec.Name}
				s, ok := in.Samples[k]
				if !ok {
					continue
				}
				tr, err := taskResult(k, d, dec, s, cfg, an)
				if err != nil {
					return nil, err
				}
				if exp, ok := in.Expected[k]; ok {
					tr.Complete = len(s) >= exp
				} else {
					tr.Complete = true
				}
				res.Tasks = append(res.Tasks, tr)
			}
		}
	}
	// Comparisons with the baseline.
	if b := cfg.Baseline; b != "" {
		for i := range res.Tasks {
			t := &res.Tasks[i]
			if t.Model == b {
				continue
			}
			base, ok := in.Samples[TaskKey{b, t.Dataset, t.Decoding}]
			if !ok {
				continue
			}
			cand := in.Samples[TaskKey{t.Model, t.Dataset, t.Decoding}]
			c, err := compareSamples(b, base, cand, cfg, t.Model+"/"+t.Dataset+"/"+t.Decoding)
			if err != nil {
				return nil, fmt.Errorf("%s against %s: %w", TaskKey{t.Model, t.Dataset, t.Decoding}, b, err)
			}
			t.VsBaseline = c
		}
	}
	// Overall per model x decoding.
	for _, m := range cfg.Models {
		for _, dec := range cfg.Decoding {
			var all []Sample
			for _, d := range cfg.Datasets {
				all = append(all, in.Samples[TaskKey{m.Name, d.Name, dec.Name}]...)
			}
			if len(all) == 0 {
				continue
			}
			label := "overall/" + m.Name + "/" + dec.Name
			slots := map[string]int{}
			for _, d := range cfg.Datasets {
				slots[d.Name] = taskSlots(dec, in.Samples[TaskKey{m.Name, d.Name, dec.Name}])
			}
			rs, err := runStats(all, dec.Samples, func(x Sample) int { return slots[x.Dataset] }, bootOptions(cfg.Seed, label), cfg.StrictThink)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", label, err)
			}
			o := OverallResult{Model: m.Name, Decoding: dec.Name, RunStats: rs}
			if b := cfg.Baseline; b != "" && b != m.Name {
				var base []Sample
				for _, d := range cfg.Datasets {
					base = append(base, in.Samples[TaskKey{b, d.Name, dec.Name}]...)
				}
				if len(base) > 0 {
					if o.VsBaseline, err = compareSamples(b, base, all, cfg, label); err != nil {
						return nil, fmt.Errorf("%s against %s: %w", label, b, err)
					}
				}
			}
			res.Overall = append(res.Overall, o)
		}
	}
	return res, nil
}

// records turns samples into metrics records. Problems are keyed "dataset/problem id", so samples of
// several datasets pool without collisions. The maj@k vote key is the grader's normalised form of the
// extracted answer (metrics.NormalizeAnswer), so "\frac{1}{2}" and "$\frac12$" vote together. With
// strictThink a sample without </think> is incorrect and casts no vote (the DeepScaleR reward rule).
func records(s []Sample, strictThink bool) []metrics.Record {
	out := make([]metrics.Record, len(s))
	for i, x := range s {
		correct, answer := x.Correct, metrics.NormalizeAnswer(x.Extracted)
		if strictThink && !x.ThinkClosed {
			correct, answer = false, ""
		}
		var groups map[string]string
		for _, kv := range [][2]string{{groupKeys[0], x.Level}, {groupKeys[1], x.Subject}} {
			if kv[1] != "" {
				if groups == nil {
					groups = map[string]string{}
				}
				groups[kv[0]] = kv[1]
			}
		}
		out[i] = metrics.Record{
			ProblemID: x.Dataset + "/" + x.ProblemID, Sample: x.Sample,
			Correct: correct, Answer: answer, // maj@k votes on the grader's normalised answer
			CompletionTokens: x.CompletionTokens, FinishReason: x.FinishReason,
			ThinkOpened: x.ThinkOpened, ThinkClosed: x.ThinkClosed,
			TTFT: msDuration(x.TTFTMs), Total: msDuration(x.TotalMs),
			Groups: groups,
		}
	}
	return out
}

func msDuration(ms float64) time.Duration {
	return time.Duration(math.Round(ms * float64(time.Millisecond)))
}

// minSamplesPerProblem is the smallest number of records of one problem (0 for none).
func minSamplesPerProblem(recs []metrics.Record) int {
	n := map[string]int{}
	for _, r := range recs {
		n[r.ProblemID]++
	}
	least := 0
	for _, c := range n {
		if least == 0 || c < least {
			least = c
		}
	}
	return least
}

// atKs are the k values reported for k samples per problem: 1, powers of two below k, and k.
func atKs(k int) []int {
	var out []int
	for i := 1; i < k; i *= 2 {
		out = append(out, i)
	}
	return append(out, k)
}

// runStats is metrics.Aggregate with pass@k and maj@k at atKs(k), leaving out the k that some problem
// of an incomplete run has too few samples for. The generation wall time (for whole-run tokens/s),
// decode steps and prefill tokens are the sums of the samples' work shares, so they are exact for any
// set of samples, a resumed run's included. Files written before the scheduler carry their static
// batch's wall time instead (batch_wall_ms / batch_size per sample, and no engine figures); a task
// that mixes the two, or lacks both, leaves the wall time unknown (0). slots gives the slot count of a
// sample's task.
func runStats(s []Sample, k int, slots func(Sample) int, boot metrics.BootstrapOptions, strictThink bool) (metrics.RunStats, error) {
	recs := records(s, strictThink)
	var wallMs, oldMs float64
	var eng metrics.EngineWork
	shares, old := 0, 0
	for _, x := range s {
		switch {
		case x.ShareWallMs > 0:
			shares++
			wallMs += x.ShareWallMs
			eng.DecodeSteps += x.ShareDecodeSteps
			eng.SlotSteps += x.ShareDecodeSteps * float64(slots(x))
			eng.PrefillTokens += x.SharePrefillTokens
			eng.DecodeRows += int64(max(x.CompletionTokens-1, 0))
		case x.BatchSize > 0 && x.BatchWallMs > 0:
			old++
			oldMs += x.BatchWallMs / float64(x.BatchSize)
		}
	}
	opt := metrics.AggregateOptions{Bootstrap: boot, GroupBy: groupKeys}
	switch {
	case shares == len(s) && len(s) > 0:
		opt.Wall, opt.Engine = msDuration(wallMs), &eng
	case old == len(s):
		opt.Wall = msDuration(oldMs)
	}
	least := minSamplesPerProblem(recs)
	var ks []int
	for _, x := range atKs(max(k, 1)) {
		if x <= least {
			ks = append(ks, x)
		}
	}
	if len(ks) == 0 {
		ks = []int{1}
	}
	opt.K = ks
	return metrics.Aggregate(recs, opt)
}

// taskResult is one task's results: metrics.Aggregate over its samples, then (with an analyzer) the
// analyses of analysis.go.
func taskResult(k TaskKey, d DatasetSpec, dec DecodingSpec, s []Sample, cfg *Config, an *analyzer) (TaskResult, error) {
	boot := bootOptions(cfg.Seed, "task/"+k.String())
	rs, err := runStats(s, dec.Samples, func(Sample) int { return taskSlots(dec, s) }, boot, cfg.StrictThink)
	if err != nil {
		return TaskResult{}, fmt.Errorf("%s: %w", k, err)
	}
	t := TaskResult{Model: k.Model, Dataset: k.Dataset, Decoding: k.Decoding, Benchmark: d.Grader, K: dec.Samples, RunStats: rs}
	if dec.Samples > 1 {
		avg := rs.Accuracy.Estimate
		t.AvgAtK = &avg
	}
	if an != nil {
		if err := an.analyze(&t, k, d, dec, s, boot); err != nil {
			return TaskResult{}, err
		}
	}
	return t, nil
}

// compareSamples compares cand against base on the problems both have (metrics.IntersectProblems,
// then metrics.CompareRecords, metrics.CompareLengths and, for more than one candidate sample per
// problem, metrics.CompareEqualSpend).
func compareSamples(baseline string, base, cand []Sample, cfg *Config, label string) (*Comparison, error) {
	b, c, bo, co := metrics.IntersectProblems(records(base, cfg.StrictThink), records(cand, cfg.StrictThink))
	mc, err := metrics.CompareRecords(b, c, metrics.CompareOptions{Bootstrap: bootOptions(cfg.Seed, "vs/"+label)})
	if err != nil {
		return nil, err
	}
	out := &Comparison{Baseline: baseline, BaselineOnly: bo, CandidateOnly: co, Comparison: mc}
	if len(b) == 0 {
		return out, nil
	}
	f, err := metrics.CompareLengths(b, c, groupKeys[0], bootOptions(cfg.Seed, "fair/"+label))
	if err != nil {
		return nil, err
	}
	out.ReductionCommonlySolved = &f.CommonlySolved
	out.ReductionByLevel, out.ReductionByBasePassRate, out.ReductionByBaseLengthQuintile = f.ByLevel, f.ByBasePassRate, f.ByBaseLengthQuintile
	out.CorrectAndShorter = &f.CorrectAndShorter
	if minSamplesPerProblem(c) > 1 {
		e, err := metrics.CompareEqualSpend(b, c, bootOptions(cfg.Seed, "spend/"+label))
		if err != nil {
			return nil, err
		}
		out.EqualSpend = &e
	}
	return out, nil
}

// taskSlots is the number of rows the scheduler keeps for a task: its batch size, or its sample count
// when smaller.
func taskSlots(dec DecodingSpec, s []Sample) int { return max(min(dec.BatchSize, len(s)), 1) }

// countProblems is the number of distinct problems among samples of one task.
func countProblems(s []Sample) int {
	seen := map[string]bool{}
	for _, x := range s {
		seen[x.ProblemID] = true
	}
	return len(seen)
}
