package metrics

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
)

// Accuracy at every token budget from one run. Generation is causal: with the same seed, the first B
// tokens of a completion are the same whatever max_new_tokens was, as long as B <= it. A run at budget
// M therefore tells the accuracy the model would have had at every B <= M: a completion of at most B
// tokens is unchanged, a longer one is cut to its first B tokens and graded again (by the caller, who
// decodes the ids; metrics does not tokenize).

// Budget grid defaults.
const (
	// MinGridBudget is the smallest power of two on the default budget grid.
	MinGridBudget = 16
	// MaxGridBudgets bounds how many powers of two below max_new_tokens the default grid holds (the
	// largest ones are kept), so with max_new_tokens the grid has at most MaxGridBudgets+1 points.
	MaxGridBudgets = 11
)

// BudgetGrid returns the budgets of a budget curve for a run at maxNewTokens: the powers of two from
// MinGridBudget below maxNewTokens (at most MaxGridBudgets, the largest), the extra budgets that are at
// most maxNewTokens (a run cannot tell what a model would have written beyond its limit), and
// maxNewTokens itself, sorted and without repeats. maxNewTokens < 1 gives nil; extra budgets < 1 are
// left out.
func BudgetGrid(maxNewTokens int, extra []int) []int {
	if maxNewTokens < 1 {
		return nil
	}
	var grid []int
	for b := MinGridBudget; b < maxNewTokens; b *= 2 {
		grid = append(grid, b)
	}
	if len(grid) > MaxGridBudgets {
		grid = grid[len(grid)-MaxGridBudgets:]
	}
	for _, b := range extra {
		if b >= 1 && b <= maxNewTokens {
			grid = append(grid, b)
		}
	}
	grid = append(grid, maxNewTokens)
	slices.Sort(grid)
	return slices.Compact(grid)
}

// BudgetPoint is the accuracy a run would have had with a smaller token limit.
type BudgetPoint struct {
	Budget int `json:"budget"`
	// Accuracy is avg@k over problems with the task's bootstrap interval (the same resamples at every
	// budget, so at the run's max_new_tokens it equals the task's accuracy exactly).
	Accuracy Interval `json:"accuracy"`
	// MeanTokens is the mean over samples of min(completion tokens, Budget): what the run spends.
	MeanTokens float64 `json:"mean_tokens"`
	// Truncation is the share of samples that Budget cuts (longer than Budget, or cut by the run's own
	// limit at Budget = max_new_tokens).
	Truncation Rate `json:"truncation"`
	// Changed counts samples whose verdict at Budget differs from their verdict at full length.
	Changed int `json:"changed"`
}

// BudgetVerdict tells whether record i, cut to its first budget tokens, is correct. BudgetCurve calls it
// only for records longer than budget; it must be safe for concurrent use if the caller's is.
type BudgetVerdict func(i, budget int) bool

// BudgetCurve computes the accuracy and spend at each budget from a run's records: record i keeps its
// verdict when it has at most budget completion tokens and takes at(i, budget) otherwise. Budgets must be
// positive and increasing; the accuracy interval is BootstrapAvgAtK with opt at every budget. A record
// cut by the run's own limit counts as truncated at any budget at or below its length.
func BudgetCurve(records []Record, budgets []int, at BudgetVerdict, opt BootstrapOptions) ([]BudgetPoint, error) {
	for i, b := range budgets {
		if b < 1 || (i > 0 && b <= budgets[i-1]) {
			return nil, fmt.Errorf("budget curve: budgets must be positive and increasing, got %v", budgets)
		}
	}
	if at == nil {
		return nil, errors.New("budget curve: no verdict function")
	}
	out := make([]BudgetPoint, 0, len(budgets))
	accs := make([][]float64, 0, len(budgets))
	recs := make([]Record, len(records))
	tokens := make([]int, len(records))
	for _, b := range budgets {
		cut, changed := 0, 0
		for i, r := range records {
			recs[i] = r
			if r.CompletionTokens > b || (r.CompletionTokens == b && r.FinishReason == FinishReasonLength) {
				cut++
			}
			if r.CompletionTokens > b {
				recs[i].Correct = at(i, b)
				recs[i].CompletionTokens = b
				if recs[i].Correct != r.Correct {
					changed++
				}
			}
			tokens[i] = recs[i].CompletionTokens
		}
		ps, err := statsGroupProblems(recs)
		if err != nil {
			return nil, fmt.Errorf("budget curve: %w", err)
		}
		accs = append(accs, ProblemAccuracies(statsVerdicts(ps)))
		out = append(out, BudgetPoint{Budget: b, MeanTokens: LengthStats(tokens).Mean, Truncation: NewRate(cut, len(records)), Changed: changed})
	}
	for j, iv := range bootstrapMeans(accs, opt) {
		out[j].Accuracy = iv
	}
	return out, nil
}

// bootstrapMeans is BootstrapMean of each of xss (of equal lengths, finite values) with one draw of the
// resamples for all of them: the same intervals as separate calls with opt, at the cost of one draw.
// Other input falls back to separate calls.
func bootstrapMeans(xss [][]float64, opt BootstrapOptions) []Interval {
	out := make([]Interval, len(xss))
	if len(xss) == 0 {
		return out
	}
	n := len(xss[0])
	shared := n > 0
	for _, xs := range xss {
		if len(xs) != n || len(statsFiniteOnly(xs)) != n {
			shared = false
		}
	}
	if !shared {
		for k, xs := range xss {
			out[k] = BootstrapMean(xs, opt)
		}
		return out
	}
	o := opt.statsNormalized()
	r := rand.New(rand.NewPCG(o.Seed, statsPCGStream))
	idx := make([]int, n)
	reps := make([][]float64, len(xss))
	for k := range reps {
		reps[k] = make([]float64, 0, o.B)
	}
	for b := 0; b < o.B; b++ {
		for i := range idx {
			idx[i] = r.IntN(n)
		}
		for k, vals := range xss {
			s := 0.0
			for _, i := range idx {
				s += vals[i]
			}
			reps[k] = append(reps[k], s/float64(n))
		}
	}
	for k, vals := range xss {
		s := statsSortedClean(reps[k])
		out[k] = Interval{Estimate: Mean(vals), Level: o.Level, Method: MethodBootstrapPercentile, B: o.B, Seed: o.Seed, N: n,
			Low: statsPercentileSorted(s, 100*(1-o.Level)/2), High: statsPercentileSorted(s, 100*(1+o.Level)/2)}
	}
	return out
}

// BudgetAccuracy is the avg@k point estimate of records at one budget (BudgetCurve's Accuracy.Estimate,
// without the interval): what BudgetToReach evaluates between grid points.
func BudgetAccuracy(records []Record, budget int, at BudgetVerdict) (float64, error) {
	recs := make([]Record, len(records))
	for i, r := range records {
		recs[i] = r
		if r.CompletionTokens > budget {
			recs[i].Correct = at(i, budget)
		}
	}
	ps, err := statsGroupProblems(recs)
	if err != nil {
		return 0, err
	}
	return AvgAtK(statsVerdicts(ps))
}

// DefaultReachShares are the shares of the final accuracy BudgetToReach reports by default.
var DefaultReachShares = []float64{0.9, 0.95}

// BudgetReach is the token budget at which a run first reaches a share of its final accuracy.
type BudgetReach struct {
	// Share of the final accuracy (the accuracy at max_new_tokens) and Target = Share x final.
	Share  float64 `json:"share"`
	Target float64 `json:"target_accuracy"`
	// Budget is the smallest budget found whose accuracy is at least Target (0 when Target is 0);
	// Accuracy is the accuracy there. Reached is false when no budget up to max_new_tokens reaches it
	// (only possible for shares above 1).
	Budget   int     `json:"budget"`
	Accuracy float64 `json:"accuracy"`
	Reached  bool    `json:"reached"`
	// Exact is true when the search narrowed Budget to one token; otherwise the true crossing lies
	// within Precision of Budget (relative), below it.
	Exact bool `json:"exact"`
}

// ReachPrecision is the relative precision of BudgetToReach's search between grid points (1/32: about
// 3%), which keeps it to a few regradings per share.
const ReachPrecision = 1.0 / 32

// BudgetToReach finds, for each share, the budget at which the accuracy first reaches share x the
// accuracy at the last point of curve (the run's max_new_tokens). It takes the first grid point at or
// above the target and then bisects the integer budgets between it and the grid point before it with
// accuracyAt, until the bracket is within ReachPrecision (relative) or one token. Accuracy need not be
// monotone in the budget: between two grid points the search finds a crossing, the first one when the
// curve rises there, as it does in practice. A curve without points gives nil.
func BudgetToReach(curve []BudgetPoint, shares []float64, accuracyAt func(budget int) (float64, error)) ([]BudgetReach, error) {
	if len(curve) == 0 {
		return nil, nil
	}
	final := curve[len(curve)-1].Accuracy.Estimate
	memo := map[int]float64{}
	for _, p := range curve {
		memo[p.Budget] = p.Accuracy.Estimate
	}
	acc := func(b int) (float64, error) {
		if v, ok := memo[b]; ok {
			return v, nil
		}
		v, err := accuracyAt(b)
		if err != nil {
			return 0, err
		}
		memo[b] = v
		return v, nil
	}
	out := make([]BudgetReach, 0, len(shares))
	for _, s := range shares {
		r := BudgetReach{Share: s, Target: s * final}
		if r.Target <= 0 {
			r.Reached, r.Exact = true, true
			out = append(out, r)
			continue
		}
		j := slices.IndexFunc(curve, func(p BudgetPoint) bool { return p.Accuracy.Estimate >= r.Target-1e-12 })
		if j < 0 {
			out = append(out, r)
			continue
		}
		lo, hi := 0, curve[j].Budget
		if j > 0 {
			lo = curve[j-1].Budget
		}
		hiAcc := curve[j].Accuracy.Estimate
		for hi-lo > 1 && float64(hi-lo) > ReachPrecision*float64(hi) {
			mid := lo + (hi-lo)/2
			v, err := acc(mid)
			if err != nil {
				return nil, fmt.Errorf("accuracy at budget %d: %w", mid, err)
			}
			if v >= r.Target-1e-12 {
				hi, hiAcc = mid, v
			} else {
				lo = mid
			}
		}
		r.Budget, r.Accuracy, r.Reached, r.Exact = hi, hiAcc, true, hi-lo <= 1
		out = append(out, r)
	}
	return out, nil
}
