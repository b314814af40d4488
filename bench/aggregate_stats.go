package bench

import (
	"math"
	"math/rand/v2"
	"sort"
)

// Statistics is every statistic the aggregation uses, isolated so that metrics' implementations can be
// swapped in (see localStats for the fallbacks this package carries until then).
type Statistics interface {
	// Quantile is the q-quantile (0..1) of xs with linear interpolation (NaN for no data).
	Quantile(xs []float64, q float64) float64
	// PassAtK is the unbiased estimator 1 - C(n-c,k)/C(n,k) for one problem with n samples, c correct.
	PassAtK(n, c, k int) float64
	// Majority returns the index of the majority answer among non-empty answers (ties: the answer seen
	// first) or -1 when all are empty.
	Majority(answers []string) int
	// BootstrapMeanCI is a seeded percentile bootstrap interval of the mean of xs.
	BootstrapMeanCI(xs []float64, level float64, seed uint64) (lo, hi float64)
	// PairedReduction is 1 - sum(cand)/sum(base) over paired items with a paired bootstrap interval.
	PairedReduction(base, cand []float64, level float64, seed uint64) (point, lo, hi float64)
	// PairedDiff is mean(cand - base) with a paired bootstrap interval.
	PairedDiff(base, cand []float64, level float64, seed uint64) (point, lo, hi float64)
	// PairedTestP is the two-sided p-value of the paired test on per-problem accuracies (exact McNemar
	// for 0/1 outcomes; the exact sign test on the per-problem differences otherwise).
	PairedTestP(base, cand []float64) float64
}

// defaultStats is the Statistics used when Deps.Stats (or an argument) is nil. After the metrics merge,
// return MetricsStats() here (bench/stats_metrics.go, drop its build tag): the one line to change.
func defaultStats() Statistics { return localStats{} }

// localStats are this package's own implementations.
type localStats struct{}

const bootstrapIters = 1000

func (localStats) Quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	pos := q * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	return s[lo] + (s[hi]-s[lo])*(pos-float64(lo))
}

func (localStats) PassAtK(n, c, k int) float64 {
	if k <= 0 || n <= 0 || k > n {
		return math.NaN()
	}
	if n-c < k {
		return 1
	}
	// 1 - prod_{i=n-c+1}^{n} (1 - k/i)
	p := 1.0
	for i := n - c + 1; i <= n; i++ {
		p *= 1 - float64(k)/float64(i)
	}
	return 1 - p
}

func (localStats) Majority(answers []string) int {
	count := map[string]int{}
	first := map[string]int{}
	best, bestN := -1, 0
	for i, a := range answers {
		if a == "" {
			continue
		}
		if _, ok := first[a]; !ok {
			first[a] = i
		}
		count[a]++
	}
	for i, a := range answers {
		if a == "" || first[a] != i {
			continue
		}
		if count[a] > bestN {
			best, bestN = i, count[a]
		}
	}
	return best
}

func newBootRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x626f6f74)) }

func percentileCI(stats []float64, level float64) (float64, float64) {
	sort.Float64s(stats)
	a := (1 - level) / 2
	q := localStats{}
	return q.Quantile(stats, a), q.Quantile(stats, 1-a)
}

func (localStats) BootstrapMeanCI(xs []float64, level float64, seed uint64) (float64, float64) {
	n := len(xs)
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	r := newBootRand(seed)
	stats := make([]float64, bootstrapIters)
	for b := range stats {
		s := 0.0
		for i := 0; i < n; i++ {
			s += xs[r.IntN(n)]
		}
		stats[b] = s / float64(n)
	}
	return percentileCI(stats, level)
}

func (localStats) PairedReduction(base, cand []float64, level float64, seed uint64) (float64, float64, float64) {
	n := len(base)
	if n == 0 || len(cand) != n {
		return math.NaN(), math.NaN(), math.NaN()
	}
	red := func(sb, sc float64) float64 {
		if sb == 0 {
			return math.NaN()
		}
		return 1 - sc/sb
	}
	var sb, sc float64
	for i := range base {
		sb += base[i]
		sc += cand[i]
	}
	point := red(sb, sc)
	r := newBootRand(seed)
	stats := make([]float64, 0, bootstrapIters)
	for b := 0; b < bootstrapIters; b++ {
		var xb, xc float64
		for i := 0; i < n; i++ {
			j := r.IntN(n)
			xb += base[j]
			xc += cand[j]
		}
		if v := red(xb, xc); !math.IsNaN(v) {
			stats = append(stats, v)
		}
	}
	if len(stats) == 0 {
		return point, math.NaN(), math.NaN()
	}
	lo, hi := percentileCI(stats, level)
	return point, lo, hi
}

func (localStats) PairedDiff(base, cand []float64, level float64, seed uint64) (float64, float64, float64) {
	n := len(base)
	if n == 0 || len(cand) != n {
		return math.NaN(), math.NaN(), math.NaN()
	}
	d := make([]float64, n)
	s := 0.0
	for i := range d {
		d[i] = cand[i] - base[i]
		s += d[i]
	}
	lo, hi := localStats{}.BootstrapMeanCI(d, level, seed)
	return s / float64(n), lo, hi
}

func (localStats) PairedTestP(base, cand []float64) float64 {
	up, down := 0, 0
	for i := range base {
		switch {
		case cand[i] > base[i]:
			up++
		case cand[i] < base[i]:
			down++
		}
	}
	return binomTwoSided(up, up+down)
}

// binomTwoSided is the exact two-sided binomial test of k successes in n trials at p = 1/2.
func binomTwoSided(k, n int) float64 {
	if n == 0 {
		return 1
	}
	if k > n-k {
		k = n - k
	}
	// P(X <= k) with X ~ Bin(n, 1/2), in log space.
	lp := func(i int) float64 {
		a, _ := math.Lgamma(float64(n + 1))
		b, _ := math.Lgamma(float64(i + 1))
		c, _ := math.Lgamma(float64(n - i + 1))
		return a - b - c - float64(n)*math.Ln2
	}
	s := 0.0
	for i := 0; i <= k; i++ {
		s += math.Exp(lp(i))
	}
	p := 2 * s
	if p > 1 {
		p = 1
	}
	return p
}
