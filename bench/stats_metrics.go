//go:build acoer_after_merge

// This file plugs metrics' statistics (the stats part of package metrics, merged separately) into the
// aggregation. It is behind a build tag until that merge: then delete the //go:build line and make
// defaultStats (aggregate_stats.go) return MetricsStats().

package bench

import (
	"math"

	"github.com/acoer/acoer-bench/metrics"
)

// MetricsStats returns the Statistics implemented by package metrics.
func MetricsStats() Statistics { return metricsStats{} }

type metricsStats struct{}

func (metricsStats) opts(level float64, seed uint64) metrics.BootstrapOptions {
	return metrics.BootstrapOptions{B: bootstrapIters, Level: level, Seed: seed}
}

func (metricsStats) Quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	return metrics.Quantile(xs, q)
}

func (metricsStats) PassAtK(n, c, k int) float64 {
	v, err := metrics.PassAtK(n, c, k)
	if err != nil {
		return math.NaN()
	}
	return v
}

func (metricsStats) Majority(answers []string) int {
	votes := make([]metrics.Vote, len(answers))
	for i, a := range answers {
		votes[i] = metrics.Vote{Answer: a}
	}
	win, _ := metrics.MajorityVote(votes, 0)
	if win == "" {
		return -1
	}
	for i, a := range answers {
		if a == win {
			return i
		}
	}
	return -1
}

func (s metricsStats) BootstrapMeanCI(xs []float64, level float64, seed uint64) (float64, float64) {
	if len(xs) == 0 {
		return math.NaN(), math.NaN()
	}
	iv := metrics.BootstrapMean(xs, s.opts(level, seed))
	return iv.Low, iv.High
}

func (s metricsStats) PairedReduction(base, cand []float64, level float64, seed uint64) (float64, float64, float64) {
	r, err := metrics.PairedReduction(base, cand, s.opts(level, seed))
	if err != nil || len(base) == 0 || r.BaseMean == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	return r.Reduction.Estimate, r.Reduction.Low, r.Reduction.High
}

func (s metricsStats) PairedDiff(base, cand []float64, level float64, seed uint64) (float64, float64, float64) {
	if len(base) == 0 || len(base) != len(cand) {
		return math.NaN(), math.NaN(), math.NaN()
	}
	d := make([]float64, len(base))
	for i := range d {
		d[i] = cand[i] - base[i]
	}
	iv := metrics.BootstrapMean(d, s.opts(level, seed))
	return metrics.Mean(d), iv.Low, iv.High
}

// PairedTestP: exact McNemar on discordant problems; with k > 1 samples, per-problem accuracies that
// differ are counted the same way (the exact sign test, which is McNemar's formula).
func (metricsStats) PairedTestP(base, cand []float64) float64 {
	b, c := 0, 0
	for i := range base {
		switch {
		case base[i] > cand[i]:
			b++
		case cand[i] > base[i]:
			c++
		}
	}
	return metrics.McNemarExact(b, c)
}
