package metrics

// RelativeChange is the relative change of a candidate's mean against a baseline's mean on the same
// problems, in percent: ChangePct.Estimate = 100·(M_cand/M_base − 1), where M is the mean over problems
// of a per-problem value (e.g. mean end-to-end latency in milliseconds). +20 means the candidate is 20%
// higher (slower, longer); −20 20% lower. ChangePct carries a paired percentile bootstrap interval.
// It is the same statistic as TokenReduction (ChangePct = −100·Reduction), reported as a signed change.
type RelativeChange struct {
	BaseMean      float64  `json:"base_mean"`
	CandidateMean float64  `json:"candidate_mean"`
	ChangePct     Interval `json:"change_pct"`
}

// PairedRelativeChange computes the RelativeChange from per-problem values, base[i] and cand[i] being
// the same problem (see PairByID). It is PairedReduction (same resamples, same seed) with the sign
// flipped and scaled to percent, so Low/High are −100·High/−100·Low of the reduction. A zero baseline
// mean gives estimate 0; slices of different lengths are an error.
func PairedRelativeChange(base, cand []float64, opt BootstrapOptions) (RelativeChange, error) {
	r, err := PairedReduction(base, cand, opt)
	if err != nil {
		return RelativeChange{}, err
	}
	iv := r.Reduction
	iv.Estimate, iv.Low, iv.High = statsNegPct(iv.Estimate), statsNegPct(iv.High), statsNegPct(iv.Low)
	return RelativeChange{BaseMean: r.BaseMean, CandidateMean: r.CandidateMean, ChangePct: iv}, nil
}

// statsNegPct turns a reduction (a fraction) into a signed change in percent, without a negative zero.
func statsNegPct(x float64) float64 {
	if x == 0 {
		return 0
	}
	return -100 * x
}

// IntersectProblems keeps the records of the problems both runs have (by ProblemID), each side in its
// input order, so that CompareRecords can compare two runs that only partly overlap (an interrupted or
// --limit run against a complete one). BaseOnly and CandidateOnly count the problems left out on each
// side.
func IntersectProblems(base, cand []Record) (b, c []Record, baseOnly, candidateOnly int) {
	inBase, inCand := statsProblemSet(base), statsProblemSet(cand)
	for id := range inBase {
		if !inCand[id] {
			baseOnly++
		}
	}
	for id := range inCand {
		if !inBase[id] {
			candidateOnly++
		}
	}
	return statsKeepProblems(base, inCand), statsKeepProblems(cand, inBase), baseOnly, candidateOnly
}

func statsProblemSet(rs []Record) map[string]bool {
	set := make(map[string]bool, len(rs))
	for _, r := range rs {
		set[r.ProblemID] = true
	}
	return set
}

func statsKeepProblems(rs []Record, keep map[string]bool) []Record {
	out := make([]Record, 0, len(rs))
	for _, r := range rs {
		if keep[r.ProblemID] {
			out = append(out, r)
		}
	}
	return out
}
