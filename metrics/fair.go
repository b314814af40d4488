package metrics

import (
	"fmt"
	"slices"
	"strconv"
)

// Fair length comparisons. A model that gives up quickly on hard problems looks short; comparing lengths
// on the problems both models solve, by difficulty, by how hard the baseline found each problem and by
// how long the baseline was shows whether the candidate really says the same thing in fewer tokens.

// SubsetReduction is the token reduction on a subset of the paired problems.
type SubsetReduction struct {
	// Key names the subset ("Level 3", "[0.5,1)", "Q1", ...).
	Key      string `json:"key"`
	Problems int    `json:"problems"`
	// BaseAccuracy and CandidateAccuracy are avg@k on the subset's problems.
	BaseAccuracy      float64 `json:"base_accuracy"`
	CandidateAccuracy float64 `json:"candidate_accuracy"`
	// Tokens is PairedReduction of the subset's per-problem mean tokens.
	Tokens TokenReduction `json:"tokens"`
	// BaseTokensRange is the smallest and largest baseline per-problem mean in the subset (length
	// quintiles only).
	BaseTokensRange []float64 `json:"base_tokens_range,omitempty"`
}

// CommonlySolved is the token reduction on the problems both models solve, in two senses.
type CommonlySolved struct {
	// AllCorrect: problems where every sample of both runs is correct (lengths of all samples).
	AllCorrect SubsetReduction `json:"all_correct"`
	// AnyCorrect: problems where both runs have a per-problem pass rate above 0; each side's length is
	// the mean over its correct samples. With one sample per problem the two coincide.
	AnyCorrect SubsetReduction `json:"any_correct"`
}

// FairLengths is a candidate's length against a baseline's, made fair (CompareLengths).
type FairLengths struct {
	CommonlySolved CommonlySolved `json:"commonly_solved"`
	// ByLevel: per difficulty level (the records' Groups[levelKey]); nil when no problem has one.
	ByLevel []SubsetReduction `json:"by_level,omitempty"`
	// ByBasePassRate: by the baseline's per-problem pass rate: "1", "[0.5,1)", "(0,0.5)", "0".
	ByBasePassRate []SubsetReduction `json:"by_base_pass_rate"`
	// ByBaseLengthQuintile: by the quintile of the baseline's per-problem mean tokens, "Q1" (shortest)
	// to "Q5"; problems are ranked by length (ties in baseline order) and cut into five near-equal groups.
	ByBaseLengthQuintile []SubsetReduction `json:"by_base_length_quintile"`
	// CorrectAndShorter is the mean over problems of the share of candidate samples that are correct and
	// shorter than the baseline's mean length on that problem (with one sample each: the share of
	// problems where the candidate is correct and shorter), with a bootstrap interval over problems.
	CorrectAndShorter Interval `json:"correct_and_shorter"`
}

// Pass-rate buckets of FairLengths.ByBasePassRate.
var passRateBuckets = []string{"1", "[0.5,1)", "(0,0.5)", "0"}

func passRateBucket(rate float64) string {
	switch {
	case rate >= 1:
		return "1"
	case rate >= 0.5:
		return "[0.5,1)"
	case rate > 0:
		return "(0,0.5)"
	}
	return "0"
}

// pairedProblems groups and pairs two runs' records by problem id (as CompareRecords does): bp[i] and
// cp[i] are the same problem.
func pairedProblems(base, cand []Record) (bp, cp []statsProblem, err error) {
	bp, err = statsGroupProblems(base)
	if err != nil {
		return nil, nil, fmt.Errorf("baseline: %w", err)
	}
	all, err := statsGroupProblems(cand)
	if err != nil {
		return nil, nil, fmt.Errorf("candidate: %w", err)
	}
	bids, cids := make([]string, len(bp)), make([]string, len(all))
	for i, p := range bp {
		bids[i] = p.id
	}
	for i, p := range all {
		cids[i] = p.id
	}
	order, err := PairByID(bids, cids)
	if err != nil {
		return nil, nil, err
	}
	cp = make([]statsProblem, len(order))
	for i, j := range order {
		cp[i] = all[j]
	}
	return bp, cp, nil
}

// problemMeanTokens is the mean completion tokens of a problem's records for which keep is true (0 when
// none is).
func problemMeanTokens(p statsProblem, keep func(Record) bool) float64 {
	s, n := 0.0, 0
	for _, r := range p.records {
		if keep(r) {
			s += float64(r.CompletionTokens)
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return s / float64(n)
}

func problemAccuracy(p statsProblem) float64 {
	c := 0
	for _, r := range p.records {
		if r.Correct {
			c++
		}
	}
	return float64(c) / float64(len(p.records))
}

// subsetReduction is the SubsetReduction of the paired problems idx, lengths by keep.
func subsetReduction(key string, bp, cp []statsProblem, idx []int, keep func(Record) bool, opt BootstrapOptions) SubsetReduction {
	s := SubsetReduction{Key: key, Problems: len(idx)}
	lb, lc := make([]float64, len(idx)), make([]float64, len(idx))
	ab, ac := make([]float64, len(idx)), make([]float64, len(idx))
	for k, i := range idx {
		lb[k], lc[k] = problemMeanTokens(bp[i], keep), problemMeanTokens(cp[i], keep)
		ab[k], ac[k] = problemAccuracy(bp[i]), problemAccuracy(cp[i])
	}
	s.BaseAccuracy, s.CandidateAccuracy = Mean(ab), Mean(ac)
	s.Tokens, _ = PairedReduction(lb, lc, opt) // equal lengths by construction
	return s
}

// CompareLengths compares a candidate's lengths with a baseline's on the same problems (paired by id as
// in CompareRecords; an error names unpaired ids): on the commonly solved problems, by level
// (Groups[levelKey]), by the baseline's pass rate and length quintile, and the share of problems where
// the candidate is correct and shorter. Every reduction is PairedReduction with opt.
func CompareLengths(base, cand []Record, levelKey string, opt BootstrapOptions) (FairLengths, error) {
	var f FairLengths
	bp, cp, err := pairedProblems(base, cand)
	if err != nil {
		return f, err
	}
	all := func(Record) bool { return true }
	correct := func(r Record) bool { return r.Correct }
	var allIdx, anyIdx []int
	for i := range bp {
		ab, ac := problemAccuracy(bp[i]), problemAccuracy(cp[i])
		if ab == 1 && ac == 1 {
			allIdx = append(allIdx, i)
		}
		if ab > 0 && ac > 0 {
			anyIdx = append(anyIdx, i)
		}
	}
	f.CommonlySolved.AllCorrect = subsetReduction("all_correct", bp, cp, allIdx, all, opt)
	f.CommonlySolved.AnyCorrect = subsetReduction("any_correct", bp, cp, anyIdx, correct, opt)

	if levelKey != "" {
		byLevel := map[string][]int{}
		var keys []string
		for i, p := range bp {
			l := p.records[0].Groups[levelKey]
			if l == "" {
				continue
			}
			if _, ok := byLevel[l]; !ok {
				keys = append(keys, l)
			}
			byLevel[l] = append(byLevel[l], i)
		}
		slices.SortFunc(keys, statsCompareKeys)
		for _, k := range keys {
			f.ByLevel = append(f.ByLevel, subsetReduction(k, bp, cp, byLevel[k], all, opt))
		}
	}

	byRate := map[string][]int{}
	for i := range bp {
		b := passRateBucket(problemAccuracy(bp[i]))
		byRate[b] = append(byRate[b], i)
	}
	for _, k := range passRateBuckets {
		f.ByBasePassRate = append(f.ByBasePassRate, subsetReduction(k, bp, cp, byRate[k], all, opt))
	}

	order := make([]int, len(bp))
	baseLen := make([]float64, len(bp))
	for i := range bp {
		order[i] = i
		baseLen[i] = problemMeanTokens(bp[i], all)
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case baseLen[a] < baseLen[b]:
			return -1
		case baseLen[a] > baseLen[b]:
			return 1
		}
		return 0
	})
	for q := 0; q < 5; q++ {
		lo, hi := q*len(order)/5, (q+1)*len(order)/5
		idx := order[lo:hi]
		s := subsetReduction("Q"+strconv.Itoa(q+1), bp, cp, idx, all, opt)
		if len(idx) > 0 {
			s.BaseTokensRange = []float64{baseLen[idx[0]], baseLen[idx[len(idx)-1]]}
		}
		f.ByBaseLengthQuintile = append(f.ByBaseLengthQuintile, s)
	}

	share := make([]float64, len(bp))
	for i := range bp {
		n := 0
		for _, r := range cp[i].records {
			if r.Correct && float64(r.CompletionTokens) < baseLen[i] {
				n++
			}
		}
		share[i] = float64(n) / float64(len(cp[i].records))
	}
	f.CorrectAndShorter = BootstrapMean(share, opt)
	return f, nil
}
