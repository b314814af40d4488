package metrics

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
)

// PairingError reports why two runs cannot be paired problem by problem. Each list holds problem ids.
type PairingError struct {
	MissingInCandidate []string // in the baseline, not in the candidate
	MissingInBaseline  []string // in the candidate, not in the baseline
	DuplicateBaseline  []string // appear more than once in the baseline
	DuplicateCandidate []string // appear more than once in the candidate
	Empty              []string // indexes ("baseline[3]") of empty ids
}

func (e *PairingError) Error() string {
	var parts []string
	add := func(what string, ids []string) {
		if len(ids) == 0 {
			return
		}
		shown := ids
		more := ""
		if len(shown) > 10 {
			shown, more = shown[:10], fmt.Sprintf(" and %d more", len(ids)-10)
		}
		parts = append(parts, fmt.Sprintf("%d %s: %s%s", len(ids), what, strings.Join(shown, ", "), more))
	}
	add("baseline problem ids missing from the candidate", e.MissingInCandidate)
	add("candidate problem ids missing from the baseline", e.MissingInBaseline)
	add("duplicate baseline ids", e.DuplicateBaseline)
	add("duplicate candidate ids", e.DuplicateCandidate)
	add("empty ids", e.Empty)
	return "cannot pair runs by problem id: " + strings.Join(parts, "; ")
}

// PairByID matches two runs problem by problem: order[i] is the index in candIDs of the problem
// baseIDs[i]. The two runs must hold exactly the same set of non-empty, unique ids (in any order);
// otherwise the error is a *PairingError that names the offending ids.
func PairByID(baseIDs, candIDs []string) ([]int, error) {
	e := &PairingError{}
	cand := make(map[string]int, len(candIDs))
	for j, id := range candIDs {
		if id == "" {
			e.Empty = append(e.Empty, fmt.Sprintf("candidate[%d]", j))
			continue
		}
		if _, dup := cand[id]; dup {
			e.DuplicateCandidate = append(e.DuplicateCandidate, id)
			continue
		}
		cand[id] = j
	}
	order := make([]int, len(baseIDs))
	seen := make(map[string]bool, len(baseIDs))
	for i, id := range baseIDs {
		if id == "" {
			e.Empty = append(e.Empty, fmt.Sprintf("baseline[%d]", i))
			continue
		}
		if seen[id] {
			e.DuplicateBaseline = append(e.DuplicateBaseline, id)
			continue
		}
		seen[id] = true
		j, ok := cand[id]
		if !ok {
			e.MissingInCandidate = append(e.MissingInCandidate, id)
			continue
		}
		order[i] = j
	}
	for _, id := range candIDs {
		if id != "" && !seen[id] {
			e.MissingInBaseline = append(e.MissingInBaseline, id)
		}
	}
	if len(e.MissingInCandidate)+len(e.MissingInBaseline)+len(e.DuplicateBaseline)+len(e.DuplicateCandidate)+len(e.Empty) > 0 {
		return nil, e
	}
	return order, nil
}

// TokenReduction is the relative reduction of mean completion length of a candidate against a
// baseline on the same problems: Reduction.Estimate = 1 − L_cand/L_base, where L is the mean over
// problems of the per-problem mean completion tokens (0.3 = the candidate writes 30% fewer tokens;
// negative = it writes more). Reduction carries a paired percentile bootstrap interval.
type TokenReduction struct {
	BaseMean      float64  `json:"base_mean_tokens"`
	CandidateMean float64  `json:"candidate_mean_tokens"`
	Reduction     Interval `json:"reduction"`
}

// PairedReduction computes the TokenReduction from per-problem mean completion lengths, base[i] and
// cand[i] being the same problem (see PairByID). The interval is a paired bootstrap (Bootstrap):
// problems are resampled jointly and 1 − mean(cand*)/mean(base*) is recomputed on each resample.
// A zero baseline mean gives estimate 0 (the ratio is undefined); non-finite lengths count as 0. Slices of different lengths are an
// error; empty slices give a zero value with N = 0.
func PairedReduction(base, cand []float64, opt BootstrapOptions) (TokenReduction, error) {
	if len(base) != len(cand) {
		return TokenReduction{}, fmt.Errorf("paired reduction: %d baseline problems but %d candidate problems", len(base), len(cand))
	}
	b := make([]float64, len(base))
	c := make([]float64, len(cand))
	for i := range base {
		b[i], c[i] = statsFinite(base[i]), statsFinite(cand[i])
	}
	r := TokenReduction{BaseMean: Mean(b), CandidateMean: Mean(c)}
	r.Reduction = Bootstrap(len(b), func(idx []int) float64 {
		var sb, sc float64
		for _, i := range idx {
			sb += b[i]
			sc += c[i]
		}
		if sb == 0 {
			return math.NaN()
		}
		return 1 - sc/sb
	}, opt)
	if len(b) > 0 && r.BaseMean != 0 {
		r.Reduction.Estimate = 1 - r.CandidateMean/r.BaseMean
	}
	return r, nil
}

// McNemarExact is the two-sided exact McNemar test (McNemar 1947; statsmodels
// mcnemar(table, exact=True)) for paired binary outcomes: b pairs where only the baseline is correct
// and c where only the candidate is correct. Under the null each discordant pair is a fair coin, so
//
//	p = min(1, 2·P(X ≤ min(b, c))),  X ~ Binomial(b + c, 1/2)
//
// (equal to scipy.stats.binomtest(b, b+c, 0.5).pvalue). b + c = 0 gives 1; negative counts give 1.
func McNemarExact(b, c int) float64 {
	if b < 0 || c < 0 || b+c == 0 {
		return 1
	}
	return math.Min(1, 2*BinomialCDFHalf(min(b, c), b+c))
}

// statsExactBinomialMax is the largest n for which BinomialCDFHalf sums exact big integers.
const statsExactBinomialMax = 10000

// BinomialCDFHalf is P(X ≤ m) for X ~ Binomial(n, 1/2). For n ≤ 10000 it is exact up to the final
// rounding (Σ_{i≤m} C(n,i) in big integers, times 2^−n); above, it sums in log space from the largest
// term, so it neither underflows nor loses the small tail (relative error about 1e-13).
func BinomialCDFHalf(m, n int) float64 {
	if n < 0 || m < 0 {
		return 0
	}
	if m >= n {
		return 1
	}
	if 2*m >= n { // use symmetry: P(X <= m) = 1 - P(X <= n-m-1)
		return 1 - BinomialCDFHalf(n-m-1, n)
	}
	if n <= statsExactBinomialMax {
		c, sum := big.NewInt(1), big.NewInt(1)
		var num, den big.Int
		for i := 1; i <= m; i++ {
			c.Mul(c, num.SetInt64(int64(n-i+1)))
			c.Quo(c, den.SetInt64(int64(i)))
			sum.Add(sum, c)
		}
		f := new(big.Float).SetInt(sum)
		v, _ := f.SetMantExp(f, -n).Float64()
		return v
	}
	return statsBinomialCDFHalfLog(m, n)
}

// statsBinomialCDFHalfLog is BinomialCDFHalf for 0 <= m < n/2 in log space.
func statsBinomialCDFHalfLog(m, n int) float64 {
	// Terms t_i = C(n,i)/2^n increase for i <= n/2, so t_m is the largest; sum t_i/t_m downwards.
	lg := func(x int) float64 { v, _ := math.Lgamma(float64(x) + 1); return v }
	logTm := lg(n) - lg(m) - lg(n-m) - float64(n)*math.Ln2
	sum, t := 1.0, 1.0
	for i := m; i > 0; i-- {
		t *= float64(i) / float64(n-i+1) // t_{i-1}/t_i
		sum += t
		if t < 1e-18*sum {
			break
		}
	}
	return math.Min(1, math.Exp(logTm+math.Log(sum)))
}

// Paired test methods.
const (
	MethodMcNemarExact      = "mcnemar_exact"
	MethodPermutationExact  = "paired_permutation_exact"
	MethodPermutationRandom = "paired_permutation_monte_carlo"
)

// DefaultPermutations is the default number of random sign flips of PairedPermutationTest.
const DefaultPermutations = 10000

// statsExactPermutationMax is the largest number of non-zero differences enumerated exactly (2^16).
const statsExactPermutationMax = 16

// PairedTest is the result of a paired significance test of candidate against baseline accuracy.
type PairedTest struct {
	Method string  `json:"method"`
	PValue float64 `json:"p_value"`
	// BaseOnly and CandidateOnly are McNemar's discordant counts (b: only the baseline correct, c: only
	// the candidate correct) for single samples; for the permutation test they count problems whose
	// per-problem accuracy is higher for the baseline / for the candidate.
	BaseOnly      int `json:"base_only"`
	CandidateOnly int `json:"candidate_only"`
	// Permutations and Seed describe a Monte Carlo permutation test (0 for exact tests).
	Permutations int    `json:"permutations,omitempty"`
	Seed         uint64 `json:"seed,omitempty"`
}

// PairedPermutationTest is the two-sided paired sign-flip permutation test (Fisher–Pitman; the paired
// "samples" permutation of scipy.stats.permutation_test) of the null "candidate and baseline are
// exchangeable on each problem", for per-problem differences d_i = cand_i − base_i (e.g. per-problem
// accuracies over k samples). The statistic is T = Σ d_i; each permutation flips the sign of every
// d_i independently; p = P(|T*| ≥ |T_obs|), where "≥" allows 1e-9·max(1, Σ|d_i|) of rounding. Zero
// differences do not change T and are skipped. With at most 16 non-zero differences all 2^m sign
// patterns are enumerated (exact; for 0/1 outcomes this equals McNemarExact). Otherwise permutations
// random sign vectors are drawn (default DefaultPermutations) from PCG(seed, 0x9e3779b97f4a7c15), signs
// taken from successive bits of Uint64, and p = (1 + #{|T*| ≥ |T_obs|}) / (permutations + 1)
// (Phipson & Smyth 2010: never 0). NaN differences count as 0. No differences give p = 1.
func PairedPermutationTest(diffs []float64, permutations int, seed uint64) PairedTest {
	t := PairedTest{Method: MethodPermutationExact, PValue: 1}
	var d []float64
	scale := 0.0
	for _, x := range diffs {
		x = statsFinite(x)
		switch {
		case x > 0:
			t.CandidateOnly++
		case x < 0:
			t.BaseOnly++
		default:
			continue
		}
		d = append(d, x)
		scale += math.Abs(x)
	}
	m := len(d)
	if m == 0 {
		return t
	}
	obs := math.Abs(statsSum(d))
	tol := 1e-9 * math.Max(1, scale)
	if m <= statsExactPermutationMax {
		hits := 0
		for mask := uint32(0); mask < 1<<m; mask++ {
			s := 0.0
			for i, x := range d {
				if mask&(1<<i) != 0 {
					s -= x
				} else {
					s += x
				}
			}
			if math.Abs(s) >= obs-tol {
				hits++
			}
		}
		t.PValue = math.Min(1, float64(hits)/float64(uint64(1)<<m))
		return t
	}
	if permutations <= 0 {
		permutations = DefaultPermutations
	}
	t.Method, t.Permutations, t.Seed = MethodPermutationRandom, permutations, seed
	r := rand.New(rand.NewPCG(seed, statsPCGStream))
	hits := 0
	for p := 0; p < permutations; p++ {
		s := 0.0
		var word uint64
		for i, x := range d {
			if i%64 == 0 {
				word = r.Uint64()
			}
			if word&1 != 0 {
				s -= x
			} else {
				s += x
			}
			word >>= 1
		}
		if math.Abs(s) >= obs-tol {
			hits++
		}
	}
	t.PValue = math.Min(1, float64(1+hits)/float64(permutations+1))
	return t
}

// AccuracyChange compares candidate with baseline accuracy on the same problems. Base and Candidate
// are accuracies as fractions (avg@k: mean per-problem accuracy). DeltaPP = 100·(cand − base) in
// percentage points; RelativePct = 100·(cand − base)/base in percent, null when base is 0. DeltaCI is a
// paired bootstrap interval of DeltaPP (problems resampled jointly). Test is McNemarExact when every
// problem has exactly one sample on both sides, otherwise PairedPermutationTest on per-problem accuracy
// differences.
type AccuracyChange struct {
	Base        float64    `json:"base_accuracy"`
	Candidate   float64    `json:"candidate_accuracy"`
	DeltaPP     float64    `json:"delta_pp"`
	RelativePct *float64   `json:"relative_pct"`
	DeltaCI     Interval   `json:"delta_pp_ci"`
	Test        PairedTest `json:"test"`
}

// CompareAccuracy computes the AccuracyChange from per-problem verdicts, base[i] and cand[i] being the
// same problem (see PairByID). Problems may have any number of samples (at least one). opt seeds the
// bootstrap; the permutation test (k > 1) uses permutations (0: DefaultPermutations) and opt.Seed.
func CompareAccuracy(base, cand [][]bool, opt BootstrapOptions, permutations int) (AccuracyChange, error) {
	if len(base) != len(cand) {
		return AccuracyChange{}, fmt.Errorf("compare accuracy: %d baseline problems but %d candidate problems", len(base), len(cand))
	}
	if _, err := AvgAtK(base); err != nil {
		return AccuracyChange{}, fmt.Errorf("baseline: %w", err)
	}
	if _, err := AvgAtK(cand); err != nil {
		return AccuracyChange{}, fmt.Errorf("candidate: %w", err)
	}
	ab, ac := ProblemAccuracies(base), ProblemAccuracies(cand)
	ch := AccuracyChange{Base: Mean(ab), Candidate: Mean(ac)}
	ch.DeltaPP = 100 * (ch.Candidate - ch.Base)
	if ch.Base != 0 {
		rel := 100 * (ch.Candidate - ch.Base) / ch.Base
		ch.RelativePct = &rel
	}
	diffs := make([]float64, len(ab))
	single := true
	for i := range ab {
		diffs[i] = ac[i] - ab[i]
		if len(base[i]) != 1 || len(cand[i]) != 1 {
			single = false
		}
	}
	n := len(diffs)
	ch.DeltaCI = Bootstrap(n, func(idx []int) float64 {
		s := 0.0
		for _, i := range idx {
			s += diffs[i]
		}
		return 100 * s / float64(n)
	}, opt)
	if n > 0 {
		ch.DeltaCI.Estimate = ch.DeltaPP
	}
	if single {
		b, c := 0, 0
		for i := range base {
			switch {
			case base[i][0] && !cand[i][0]:
				b++
			case !base[i][0] && cand[i][0]:
				c++
			}
		}
		ch.Test = PairedTest{Method: MethodMcNemarExact, PValue: McNemarExact(b, c), BaseOnly: b, CandidateOnly: c}
	} else {
		ch.Test = PairedPermutationTest(diffs, permutations, opt.Seed)
	}
	return ch, nil
}

// AESParams weight the accuracy-efficiency score. Zero values mean the defaults of Luo et al. 2025:
// Alpha = 1, Beta = 3, Gamma = 5.
type AESParams struct {
	Alpha float64 `json:"alpha"`
	Beta  float64 `json:"beta"`
	Gamma float64 `json:"gamma"`
}

// DefaultAESParams are the weights used in O1-Pruner (Luo et al. 2025).
var DefaultAESParams = AESParams{Alpha: 1, Beta: 3, Gamma: 5}

// WithDefaults returns p with each zero weight replaced by its default.
func (p AESParams) WithDefaults() AESParams {
	if p.Alpha == 0 {
		p.Alpha = DefaultAESParams.Alpha
	}
	if p.Beta == 0 {
		p.Beta = DefaultAESParams.Beta
	}
	if p.Gamma == 0 {
		p.Gamma = DefaultAESParams.Gamma
	}
	return p
}

// AES is the Accuracy-Efficiency Score of Luo et al. 2025, "O1-Pruner: Length-Harmonizing Fine-Tuning
// for O1-Like Reasoning Pruning" (arXiv:2501.12570, Eq. 18), also used by later length-reduction
// papers. With ΔL = (L_base − L_cand)/L_base (relative length reduction, mean tokens) and
// ΔA = (A_cand − A_base)/A_base (relative accuracy change):
//
//	AES = α·ΔL + β·|ΔA|   if ΔA ≥ 0
//	AES = α·ΔL − γ·|ΔA|   if ΔA < 0
//
// with defaults α = 1, β = 3, γ = 5 (an accuracy loss costs more than a gain earns). Higher is better;
// 0 means "as good as the baseline". Accuracies may be fractions or percentages (only ratios enter). A
// zero or non-finite baseline length makes ΔL 0; a zero baseline accuracy makes ΔA 0 (both undefined).
// Zero parameters take the defaults.
func AES(accBase, accCand, lenBase, lenCand float64, p AESParams) float64 {
	p = p.WithDefaults()
	dl, da := 0.0, 0.0
	if lenBase != 0 {
		dl = statsFinite((lenBase - lenCand) / lenBase)
	}
	if accBase != 0 {
		da = statsFinite((accCand - accBase) / accBase)
	}
	if da >= 0 {
		return statsFinite(p.Alpha*dl + p.Beta*da)
	}
	return statsFinite(p.Alpha*dl - p.Gamma*math.Abs(da))
}

// AccuracyPer1kTokens is 1000·accuracy/meanTokens: accuracy (a fraction in [0, 1]) bought per 1,000
// completion tokens spent on a problem on average (0.4 = 80% accuracy at 2,000 tokens). 0 when
// meanTokens <= 0.
func AccuracyPer1kTokens(accuracy, meanTokens float64) float64 {
	if !(meanTokens > 0) {
		return 0
	}
	return statsFinite(1000 * accuracy / meanTokens)
}
