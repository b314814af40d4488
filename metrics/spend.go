package metrics

import (
	"fmt"
	"math"
	"slices"
)

// Accuracy at equal token spend: k short samples against one long one (DLER's parallel-scaling
// argument). With k samples per problem, maj@k' and pass@k' for k' <= k cost about k' x the mean tokens
// of one sample.

// SpendPoint is maj@k and pass@k with the tokens k samples cost on average.
type SpendPoint struct {
	K int `json:"k"`
	// Spend is k x the mean completion tokens (mean over problems of per-problem means).
	Spend   float64 `json:"expected_tokens"`
	MajAtK  float64 `json:"maj_at_k"`
	PassAtK float64 `json:"pass_at_k"`
}

// EqualSpendCurve returns a SpendPoint for every k from 1 to the smallest number of samples per problem
// (pass@k unbiased over all n samples, maj@k over the first k; see PassAtK and MajAtK). No records give
// nil.
func EqualSpendCurve(records []Record) ([]SpendPoint, error) {
	ps, err := statsGroupProblems(records)
	if err != nil || len(ps) == 0 {
		return nil, err
	}
	minK := len(ps[0].records)
	for _, p := range ps {
		minK = min(minK, len(p.records))
	}
	verdicts, votes := statsVerdicts(ps), statsVotes(ps)
	mean := Mean(statsMeanTokens(ps))
	out := make([]SpendPoint, 0, minK)
	for k := 1; k <= minK; k++ {
		pk, err := MeanPassAtK(verdicts, k)
		if err != nil {
			return nil, err
		}
		mk, err := MajAtK(votes, k)
		if err != nil {
			return nil, err
		}
		out = append(out, SpendPoint{K: k, Spend: float64(k) * mean, MajAtK: mk, PassAtK: pk})
	}
	return out, nil
}

// EqualSpend compares a candidate's majority vote with a baseline's single sample at the same expected
// spend: k* = floor(L_base / L_cand) samples of the candidate cost about one of the baseline.
type EqualSpend struct {
	// LengthRatio is L_base / L_cand (mean completion tokens; 0 when the candidate's mean is 0).
	LengthRatio float64 `json:"length_ratio"`
	// KStar is floor(LengthRatio), at least 1 and at most the candidate's samples per problem; Capped
	// says the second bound applied (the candidate would afford more samples than it has).
	KStar  int  `json:"k_star"`
	Capped bool `json:"capped"`
	// CandidateMajAtKStar is the candidate's maj@k*; BaseAvgAt1 the baseline's avg@1 (its accuracy per
	// sample, avg@k); BaseSpend and CandidateSpend the tokens each spends per problem (L_base and
	// k* x L_cand).
	CandidateMajAtKStar float64 `json:"candidate_maj_at_k_star"`
	BaseAvgAt1          float64 `json:"base_avg_at_1"`
	BaseSpend           float64 `json:"base_spend"`
	CandidateSpend      float64 `json:"candidate_spend"`
	// GainPP is 100 x (maj@k* − avg@1) in points, with a paired bootstrap interval over problems.
	GainPP Interval `json:"gain_pp"`
}

// CompareEqualSpend computes EqualSpend for runs on the same problems (paired by id as in
// CompareRecords).
func CompareEqualSpend(base, cand []Record, opt BootstrapOptions) (EqualSpend, error) {
	var e EqualSpend
	bp, cp, err := pairedProblems(base, cand)
	if err != nil {
		return e, err
	}
	if len(bp) == 0 {
		return e, nil
	}
	lb, lc := Mean(statsMeanTokens(bp)), Mean(statsMeanTokens(cp))
	minK := len(cp[0].records)
	for _, p := range cp {
		minK = min(minK, len(p.records))
	}
	e.KStar = 1
	if lc > 0 {
		e.LengthRatio = lb / lc
		e.KStar = max(1, int(math.Floor(e.LengthRatio+1e-9)))
	}
	if e.KStar > minK {
		e.KStar, e.Capped = minK, true
	}
	maj, err := ProblemMajAtK(statsVotes(cp), e.KStar)
	if err != nil {
		return e, fmt.Errorf("candidate: %w", err)
	}
	acc := ProblemAccuracies(statsVerdicts(bp))
	diff := make([]float64, len(bp))
	for i := range diff {
		diff[i] = 100 * (maj[i] - acc[i])
	}
	e.CandidateMajAtKStar, e.BaseAvgAt1 = Mean(maj), Mean(acc)
	e.BaseSpend, e.CandidateSpend = lb, float64(e.KStar)*lc
	e.GainPP = BootstrapMean(diff, opt)
	e.GainPP.Estimate = 100 * (e.CandidateMajAtKStar - e.BaseAvgAt1)
	return e, nil
}

// ECDFPoint is one step of an empirical CDF: the share of values at most Value.
type ECDFPoint struct {
	Value int     `json:"value"`
	Share float64 `json:"share"`
}

// ECDF is the empirical cumulative distribution of values: one point per distinct value, ascending,
// with the share of values at most it (the last share is 1). Empty input gives nil.
func ECDF(values []int) []ECDFPoint {
	if len(values) == 0 {
		return nil
	}
	s := append([]int(nil), values...)
	slices.Sort(s)
	var out []ECDFPoint
	n := float64(len(s))
	for i := 0; i < len(s); i++ {
		if i+1 < len(s) && s[i+1] == s[i] {
			continue
		}
		out = append(out, ECDFPoint{Value: s[i], Share: float64(i+1) / n})
	}
	return out
}
