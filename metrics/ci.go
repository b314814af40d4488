package metrics

import (
	"math"
	"math/rand/v2"
)

// Defaults of BootstrapOptions.
const (
	DefaultBootstrapB        = 2000
	DefaultLevel             = 0.95
	statsPCGStream    uint64 = 0x9e3779b97f4a7c15 // second PCG seed word; fixed so a seed means one stream
)

// Interval methods.
const (
	MethodBootstrapPercentile = "bootstrap_percentile"
	MethodWilson              = "wilson"
)

// Interval is a point estimate with a two-sided confidence interval.
type Interval struct {
	Estimate float64 `json:"estimate"`
	Low      float64 `json:"low"`
	High     float64 `json:"high"`
	// Level is the confidence level, e.g. 0.95.
	Level float64 `json:"level"`
	// Method is MethodBootstrapPercentile or MethodWilson.
	Method string `json:"method"`
	// B is the number of bootstrap resamples (0 for Wilson) and Seed the seed that drew them.
	B    int    `json:"b"`
	Seed uint64 `json:"seed"`
	// N is the number of resampled units (problems, or samples for a plain accuracy).
	N int `json:"n"`
	// Dropped counts resamples whose statistic was NaN or infinite (e.g. a ratio whose denominator was
	// 0 in that resample); they are left out of the percentiles.
	Dropped int `json:"dropped,omitempty"`
}

// BootstrapOptions configure Bootstrap. Zero values mean the defaults: B = DefaultBootstrapB (2000),
// Level = DefaultLevel (0.95). Seed 0 is a valid seed (it is not replaced), so results are
// reproducible from the reported seed; a Level outside (0, 1) falls back to 0.95.
type BootstrapOptions struct {
	B     int     `json:"b"`
	Level float64 `json:"level"`
	Seed  uint64  `json:"seed"`
}

func (o BootstrapOptions) statsNormalized() BootstrapOptions {
	if o.B <= 0 {
		o.B = DefaultBootstrapB
	}
	if !(o.Level > 0 && o.Level < 1) {
		o.Level = DefaultLevel
	}
	return o
}

// Bootstrap computes a percentile bootstrap confidence interval (Efron & Tibshirani 1993, ch. 13;
// scipy.stats.bootstrap with method="percentile") for a statistic of n independent units.
//
// stat receives the indices of one sample of units (each in [0, n), length n) and returns the
// statistic on them; it must not keep the slice. The estimate is stat on the original data (indices
// 0..n-1). Each of the B resamples draws n indices uniformly with replacement from a PCG generator of
// math/rand/v2 seeded rand.NewPCG(Seed, 0x9e3779b97f4a7c15), index by index with IntN(n), so the same
// seed, n and B always give the same interval. Low and High are the (1-Level)/2 and (1+Level)/2
// quantiles of the B replicate values with numpy's default linear interpolation (see Percentile).
// Replicates that are NaN or ±Inf are dropped and counted in Dropped. For paired data (two systems on
// the same problems) let stat read both systems at the same indices: problems are then resampled jointly.
//
// n <= 0 or a nil stat give a zero Interval (N = 0) carrying the options.
func Bootstrap(n int, stat func(idx []int) float64, opt BootstrapOptions) Interval {
	o := opt.statsNormalized()
	iv := Interval{Level: o.Level, Method: MethodBootstrapPercentile, B: o.B, Seed: o.Seed}
	if n <= 0 || stat == nil {
		return iv
	}
	iv.N = n
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	iv.Estimate = statsFinite(stat(idx))
	r := rand.New(rand.NewPCG(o.Seed, statsPCGStream))
	reps := make([]float64, 0, o.B)
	for b := 0; b < o.B; b++ {
		for i := range idx {
			idx[i] = r.IntN(n)
		}
		v := stat(idx)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			iv.Dropped++
			continue
		}
		reps = append(reps, v)
	}
	s := statsSortedClean(reps)
	iv.Low = statsPercentileSorted(s, 100*(1-o.Level)/2)
	iv.High = statsPercentileSorted(s, 100*(1+o.Level)/2)
	return iv
}

// BootstrapMean is the percentile bootstrap interval of the mean of xs (see Bootstrap). Use it on
// per-problem values: per-problem accuracy (avg@k), per-problem pass@k, per-problem maj@k, 0/1
// correctness (accuracy). Non-finite entries are left out (as in Mean).
func BootstrapMean(xs []float64, opt BootstrapOptions) Interval {
	vals := statsFiniteOnly(xs)
	n := len(vals)
	iv := Bootstrap(n, func(idx []int) float64 {
		s := 0.0
		for _, i := range idx {
			s += vals[i]
		}
		return s / float64(n)
	}, opt)
	if n > 0 {
		iv.Estimate = Mean(vals) // compensated sum, the same number Mean reports
	}
	return iv
}

// BootstrapAccuracy is the percentile bootstrap interval of Accuracy(correct), resampling responses.
func BootstrapAccuracy(correct []bool, opt BootstrapOptions) Interval {
	xs := make([]float64, len(correct))
	for i, ok := range correct {
		if ok {
			xs[i] = 1
		}
	}
	return BootstrapMean(xs, opt)
}

// BootstrapAvgAtK is the percentile bootstrap interval of AvgAtK(samples), resampling problems (each
// problem keeps all its samples).
func BootstrapAvgAtK(samples [][]bool, opt BootstrapOptions) (Interval, error) {
	if _, err := AvgAtK(samples); err != nil {
		return Interval{}, err
	}
	return BootstrapMean(ProblemAccuracies(samples), opt), nil
}

// BootstrapPassAtK is the percentile bootstrap interval of MeanPassAtK(samples, k), resampling problems.
func BootstrapPassAtK(samples [][]bool, k int, opt BootstrapOptions) (Interval, error) {
	v, err := ProblemPassAtK(samples, k)
	if err != nil {
		return Interval{}, err
	}
	return BootstrapMean(v, opt), nil
}

// BootstrapMajAtK is the percentile bootstrap interval of MajAtK(votes, k), resampling problems.
func BootstrapMajAtK(votes [][]Vote, k int, opt BootstrapOptions) (Interval, error) {
	v, err := ProblemMajAtK(votes, k)
	if err != nil {
		return Interval{}, err
	}
	return BootstrapMean(v, opt), nil
}

// NormalQuantile is the standard normal quantile function Φ⁻¹(p) = √2·erfinv(2p−1) (scipy.stats.norm.ppf);
// ±Inf at 0 and 1, NaN outside [0, 1].
func NormalQuantile(p float64) float64 {
	return math.Sqrt2 * math.Erfinv(2*p-1)
}

// WilsonInterval is the Wilson score interval (Wilson 1927; statsmodels proportion_confint
// method="wilson") for successes out of n trials at the given level: with p = successes/n and
// z = Φ⁻¹((1+level)/2),
//
//	center = (p + z²/(2n)) / (1 + z²/n)
//	half   = z/(1 + z²/n) · sqrt(p(1−p)/n + z²/(4n²))
//
// and [center − half, center + half]. Estimate is p. A level outside (0, 1) means 0.95; n <= 0 or
// successes outside [0, n] give a zero Interval with N = 0.
func WilsonInterval(successes, n int, level float64) Interval {
	if !(level > 0 && level < 1) {
		level = DefaultLevel
	}
	iv := Interval{Level: level, Method: MethodWilson}
	if n <= 0 || successes < 0 || successes > n {
		return iv
	}
	iv.N = n
	nf := float64(n)
	p := float64(successes) / nf
	z := NormalQuantile((1 + level) / 2)
	z2 := z * z
	denom := 1 + z2/nf
	center := (p + z2/(2*nf)) / denom
	half := z / denom * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	iv.Estimate = p
	iv.Low = math.Max(0, center-half)
	iv.High = math.Min(1, center+half)
	// At p = 0 (p = 1) the bound is exactly 0 (1); center-half leaves rounding noise such as 2.8e-17.
	if successes == 0 {
		iv.Low = 0
	}
	if successes == n {
		iv.High = 1
	}
	return iv
}

// AccuracyWilson is WilsonInterval over the verdicts in correct.
func AccuracyWilson(correct []bool, level float64) Interval {
	c := 0
	for _, ok := range correct {
		if ok {
			c++
		}
	}
	return WilsonInterval(c, len(correct), level)
}
