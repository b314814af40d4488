package metrics

import (
	"fmt"
	"slices"
	"sort"
	"time"
)

// Record is what the statistics need to know about one generated response. bench owns the full
// per-sample record and fills one Record per sample; Aggregate and CompareRecords derive everything
// from a slice of them.
type Record struct {
	// ProblemID identifies the problem; records of one problem are its k samples.
	ProblemID string `json:"problem_id"`
	// Sample is the sample's index within its problem; records are ordered by it (stable, so it may be
	// left 0 when the input is already in sample order). maj@k and pass@k use the first k samples.
	Sample int `json:"sample"`
	// Correct is the verdict; Answer the extracted answer in canonical form, the maj@k equivalence key
	// ("" when none was extracted): use the grader's NormalizeAnswer(Verdict.Extracted), not the raw
	// extraction, so that "1/2" and "\frac{1}{2}"-style spellings the normaliser unifies vote together.
	Correct bool   `json:"correct"`
	Answer  string `json:"answer"`
	// CompletionTokens counts generated tokens; FinishReason is "stop" or "length".
	CompletionTokens int    `json:"completion_tokens"`
	FinishReason     string `json:"finish_reason"`
	// ThinkOpened / ThinkClosed are the grader's think-block flags (Verdict.ThinkOpened/ThinkClosed).
	ThinkOpened bool `json:"think_opened"`
	ThinkClosed bool `json:"think_closed"`
	// TTFT and Total are the time to first token and the end-to-end time (runner.Completion).
	TTFT  time.Duration `json:"ttft_ns"`
	Total time.Duration `json:"total_ns"`
	// Groups are breakdown keys of the problem, e.g. {"level": "Level 3", "subject": "Algebra"}.
	Groups map[string]string `json:"groups,omitempty"`
}

// AggregateOptions configure Aggregate.
type AggregateOptions struct {
	// K lists the k of pass@k and maj@k to report; empty means {1} plus the smallest per-problem sample
	// count when it is above 1. A k above some problem's sample count is an error.
	K []int `json:"k,omitempty"`
	// Bootstrap configures every bootstrap interval (resampling problems).
	Bootstrap BootstrapOptions `json:"bootstrap"`
	// Wall is the run's wall-clock generation time, for tokens per second (0: unknown).
	Wall time.Duration `json:"wall_ns"`
	// Engine is the scheduler's work for the run (decode steps, prefill tokens, slots), when known.
	Engine *EngineWork `json:"engine,omitempty"`
	// GroupBy lists the Groups keys to break down by; empty means every key present in the records.
	GroupBy []string `json:"group_by,omitempty"`
}

// AtK is one metric at one k.
type AtK struct {
	K     int      `json:"k"`
	Value Interval `json:"value"`
}

// RunStats is the statistical summary of one run (one model × dataset × decoding).
type RunStats struct {
	Problems int `json:"problems"`
	Samples  int `json:"samples"`
	// MinK and MaxK are the smallest and largest number of samples per problem.
	MinK int `json:"min_samples_per_problem"`
	MaxK int `json:"max_samples_per_problem"`
	// Accuracy is avg@k (mean over problems of per-problem accuracy; plain accuracy for one sample per
	// problem) with a bootstrap interval over problems. AccuracyWilson is the Wilson interval over all
	// samples as independent trials (exact in its assumptions only for one sample per problem).
	Accuracy       Interval `json:"accuracy"`
	AccuracyWilson Interval `json:"accuracy_wilson"`
	PassAtK        []AtK    `json:"pass_at_k"`
	MajAtK         []AtK    `json:"maj_at_k"`
	// Length summarises completion tokens over all responses and split by verdict.
	Length LengthSplit `json:"length"`
	// ByGroup holds per-group accuracy and length for each Groups key ("level", "subject").
	ByGroup    map[string][]GroupSummary `json:"by_group,omitempty"`
	Truncation Rate                      `json:"truncation"`
	Think      ThinkSummary              `json:"think"`
	// AccuracyPer1kTokens is AccuracyPer1kTokens(avg@k, mean completion tokens).
	AccuracyPer1kTokens float64 `json:"accuracy_per_1k_tokens"`
	// TTFT, PerToken (sequences with >= 2 tokens) and EndToEnd latencies, and throughput.
	TTFT       LatencySummary    `json:"ttft"`
	PerToken   LatencySummary    `json:"per_token"`
	EndToEnd   LatencySummary    `json:"end_to_end"`
	Throughput ThroughputSummary `json:"throughput"`
}

// statsProblem is one problem's records in sample order.
type statsProblem struct {
	id      string
	records []Record
}

// statsGroupProblems groups records by problem id, problems in order of first appearance, samples
// stably ordered by Sample.
func statsGroupProblems(records []Record) ([]statsProblem, error) {
	index := map[string]int{}
	var ps []statsProblem
	for i, r := range records {
		if r.ProblemID == "" {
			return nil, fmt.Errorf("record %d has an empty problem id", i)
		}
		j, ok := index[r.ProblemID]
		if !ok {
			j = len(ps)
			index[r.ProblemID] = j
			ps = append(ps, statsProblem{id: r.ProblemID})
		}
		ps[j].records = append(ps[j].records, r)
	}
	for _, p := range ps {
		slices.SortStableFunc(p.records, func(a, b Record) int { return a.Sample - b.Sample })
	}
	return ps, nil
}

func statsVerdicts(ps []statsProblem) [][]bool {
	out := make([][]bool, len(ps))
	for i, p := range ps {
		out[i] = make([]bool, len(p.records))
		for j, r := range p.records {
			out[i][j] = r.Correct
		}
	}
	return out
}

func statsVotes(ps []statsProblem) [][]Vote {
	out := make([][]Vote, len(ps))
	for i, p := range ps {
		out[i] = make([]Vote, len(p.records))
		for j, r := range p.records {
			out[i][j] = Vote{Answer: r.Answer, Correct: r.Correct}
		}
	}
	return out
}

// statsPerProblemMean is the per-problem mean of a value of each record.
func statsPerProblemMean(ps []statsProblem, value func(Record) float64) []float64 {
	out := make([]float64, len(ps))
	for i, p := range ps {
		s := 0.0
		for _, r := range p.records {
			s += value(r)
		}
		out[i] = s / float64(len(p.records))
	}
	return out
}

// statsMeanTokens is the per-problem mean completion length.
func statsMeanTokens(ps []statsProblem) []float64 {
	return statsPerProblemMean(ps, func(r Record) float64 { return float64(r.CompletionTokens) })
}

// statsMeanTotalMS is the per-problem mean end-to-end latency in milliseconds.
func statsMeanTotalMS(ps []statsProblem) []float64 {
	return statsPerProblemMean(ps, func(r Record) float64 { return float64(r.Total) / float64(time.Millisecond) })
}

// Aggregate computes a run's RunStats from its per-sample records. No records give a zero RunStats
// (Problems = 0) and no error; records with an empty problem id or a K above a problem's sample count
// are errors.
func Aggregate(records []Record, opt AggregateOptions) (RunStats, error) {
	var rs RunStats
	ps, err := statsGroupProblems(records)
	if err != nil {
		return rs, err
	}
	if len(ps) == 0 {
		return rs, nil
	}
	rs.Problems, rs.Samples = len(ps), len(records)
	rs.MinK, rs.MaxK = len(ps[0].records), len(ps[0].records)
	for _, p := range ps {
		rs.MinK = min(rs.MinK, len(p.records))
		rs.MaxK = max(rs.MaxK, len(p.records))
	}
	verdicts, votes := statsVerdicts(ps), statsVotes(ps)
	if rs.Accuracy, err = BootstrapAvgAtK(verdicts, opt.Bootstrap); err != nil {
		return rs, err
	}
	ks := opt.K
	if len(ks) == 0 {
		ks = []int{1}
		if rs.MinK > 1 {
			ks = append(ks, rs.MinK)
		}
	}
	for _, k := range ks {
		pk, err := BootstrapPassAtK(verdicts, k, opt.Bootstrap)
		if err != nil {
			return rs, err
		}
		mk, err := BootstrapMajAtK(votes, k, opt.Bootstrap)
		if err != nil {
			return rs, err
		}
		rs.PassAtK = append(rs.PassAtK, AtK{K: k, Value: pk})
		rs.MajAtK = append(rs.MajAtK, AtK{K: k, Value: mk})
	}

	n := len(records)
	tokens := make([]int, 0, n)
	correct := make([]bool, 0, n)
	finish := make([]string, 0, n)
	opened, closed := make([]bool, 0, n), make([]bool, 0, n)
	ttft, e2e, perTok := make([]time.Duration, 0, n), make([]time.Duration, 0, n), make([]time.Duration, 0, n)
	groupKeys := map[string]bool{}
	for _, p := range ps {
		for _, r := range p.records {
			tokens = append(tokens, r.CompletionTokens)
			correct = append(correct, r.Correct)
			finish = append(finish, r.FinishReason)
			opened, closed = append(opened, r.ThinkOpened), append(closed, r.ThinkClosed)
			ttft, e2e = append(ttft, r.TTFT), append(e2e, r.Total)
			if d, ok := PerTokenLatency(r.CompletionTokens, r.TTFT, r.Total); ok {
				perTok = append(perTok, d)
			}
			for k := range r.Groups {
				groupKeys[k] = true
			}
		}
	}
	rs.AccuracyWilson = AccuracyWilson(correct, rs.Accuracy.Level)
	rs.Length, _ = LengthByCorrectness(tokens, correct)
	rs.Truncation = TruncationRate(finish)
	rs.Think, _ = ThinkStats(opened, closed)
	rs.AccuracyPer1kTokens = AccuracyPer1kTokens(rs.Accuracy.Estimate, Mean(statsMeanTokens(ps)))
	rs.TTFT, rs.EndToEnd, rs.PerToken = LatencyStatsDurations(ttft), LatencyStatsDurations(e2e), LatencyStatsDurations(perTok)
	rs.Throughput, _ = Throughput(tokens, e2e, opt.Wall)
	if opt.Engine != nil {
		rs.Throughput.SetEngine(*opt.Engine)
	}

	by := opt.GroupBy
	if len(by) == 0 {
		for k := range groupKeys {
			by = append(by, k)
		}
		sort.Strings(by)
	}
	for _, g := range by {
		keys := make([]string, 0, n)
		for _, p := range ps {
			for _, r := range p.records {
				keys = append(keys, r.Groups[g])
			}
		}
		gs, _ := GroupStats(keys, tokens, correct)
		if len(gs) == 0 {
			continue
		}
		if rs.ByGroup == nil {
			rs.ByGroup = map[string][]GroupSummary{}
		}
		rs.ByGroup[g] = gs
	}
	return rs, nil
}

// CompareOptions configure CompareRecords.
type CompareOptions struct {
	Bootstrap BootstrapOptions `json:"bootstrap"`
	// Permutations for the paired permutation test (k > 1); 0 means DefaultPermutations.
	Permutations int       `json:"permutations,omitempty"`
	AES          AESParams `json:"aes"`
}

// Comparison is a candidate run against a baseline run on the same problems.
type Comparison struct {
	Problems int            `json:"problems"`
	Accuracy AccuracyChange `json:"accuracy"`
	Tokens   TokenReduction `json:"tokens"`
	// AES is the accuracy-efficiency score (see AES) from avg@k and mean completion tokens.
	AES       float64   `json:"aes"`
	AESParams AESParams `json:"aes_params"`
	// Accuracy per 1,000 tokens of each side (see AccuracyPer1kTokens).
	BaseAccuracyPer1kTokens      float64 `json:"base_accuracy_per_1k_tokens"`
	CandidateAccuracyPer1kTokens float64 `json:"candidate_accuracy_per_1k_tokens"`
	// Latency is the relative change of mean end-to-end latency (per-problem means of Total, in
	// milliseconds) with a paired bootstrap interval (see PairedRelativeChange).
	Latency RelativeChange `json:"end_to_end_latency"`
}

// CompareRecords pairs two runs by problem id (an error names ids that are missing on either side or
// duplicated) and compares them: accuracy change with a paired test and interval, relative token
// reduction with a paired bootstrap interval, AES, accuracy per 1,000 tokens and the relative change of
// end-to-end latency. To compare runs that only partly overlap, pass them through IntersectProblems.
func CompareRecords(base, cand []Record, opt CompareOptions) (Comparison, error) {
	var c Comparison
	bp, err := statsGroupProblems(base)
	if err != nil {
		return c, fmt.Errorf("baseline: %w", err)
	}
	cp, err := statsGroupProblems(cand)
	if err != nil {
		return c, fmt.Errorf("candidate: %w", err)
	}
	bids, cids := make([]string, len(bp)), make([]string, len(cp))
	for i, p := range bp {
		bids[i] = p.id
	}
	for i, p := range cp {
		cids[i] = p.id
	}
	order, err := PairByID(bids, cids)
	if err != nil {
		return c, err
	}
	aligned := make([]statsProblem, len(order))
	for i, j := range order {
		aligned[i] = cp[j]
	}
	c.Problems = len(bp)
	if c.Accuracy, err = CompareAccuracy(statsVerdicts(bp), statsVerdicts(aligned), opt.Bootstrap, opt.Permutations); err != nil {
		return c, err
	}
	lb, lc := statsMeanTokens(bp), statsMeanTokens(aligned)
	if c.Tokens, err = PairedReduction(lb, lc, opt.Bootstrap); err != nil {
		return c, err
	}
	c.AESParams = opt.AES.WithDefaults()
	c.AES = AES(c.Accuracy.Base, c.Accuracy.Candidate, c.Tokens.BaseMean, c.Tokens.CandidateMean, c.AESParams)
	c.BaseAccuracyPer1kTokens = AccuracyPer1kTokens(c.Accuracy.Base, c.Tokens.BaseMean)
	c.CandidateAccuracyPer1kTokens = AccuracyPer1kTokens(c.Accuracy.Candidate, c.Tokens.CandidateMean)
	if c.Latency, err = PairedRelativeChange(statsMeanTotalMS(bp), statsMeanTotalMS(aligned), opt.Bootstrap); err != nil {
		return c, err
	}
	return c, nil
}
