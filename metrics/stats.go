package metrics

import (
	"math"
	"slices"
)

// This file holds the descriptive-statistics primitives the rest of the statistics half builds on.
// Every function follows numpy's definition of the same name unless its doc comment says otherwise.
// Every function accepts empty input and ignores non-finite values (NaN, ±Inf), like numpy's nan*
// variants; with nothing left it returns 0, never NaN, so results always marshal to JSON.

// statsSum adds xs with Neumaier's compensated summation (at least as accurate as numpy's pairwise sum).
func statsSum(xs []float64) float64 {
	var s, comp float64
	for _, x := range xs {
		t := s + x
		if math.Abs(s) >= math.Abs(x) {
			comp += (s - t) + x
		} else {
			comp += (x - t) + s
		}
		s = t
	}
	return s + comp
}

// Mean is the arithmetic mean of xs (numpy.mean), ignoring non-finite values; 0 for empty input.
func Mean(xs []float64) float64 {
	xs = statsFiniteOnly(xs)
	if len(xs) == 0 {
		return 0
	}
	return statsSum(xs) / float64(len(xs))
}

// statsFiniteOnly returns xs itself when every value is finite, else a copy without the others.
func statsFiniteOnly(xs []float64) []float64 {
	for i, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			out := append([]float64(nil), xs[:i]...)
			for _, y := range xs[i+1:] {
				if !math.IsNaN(y) && !math.IsInf(y, 0) {
					out = append(out, y)
				}
			}
			return out
		}
	}
	return xs
}

// Std is the population standard deviation of xs, sqrt(mean((x - mean(x))^2)) (numpy.std with its
// default ddof=0), ignoring non-finite values; 0 for empty input.
func Std(xs []float64) float64 {
	xs = statsFiniteOnly(xs)
	if len(xs) == 0 {
		return 0
	}
	m := Mean(xs)
	d := make([]float64, len(xs))
	for i, x := range xs {
		d[i] = (x - m) * (x - m)
	}
	return math.Sqrt(statsSum(d) / float64(len(xs)))
}

// Percentile is numpy.percentile(xs, p) with numpy's default "linear" method (Hyndman & Fan type 7):
// with the values sorted ascending as x[0..n-1], the virtual index is h = (n-1)*p/100 and the result is
// x[floor(h)] + (h-floor(h))*(x[floor(h)+1]-x[floor(h)]) (computed with numpy's symmetric lerp). p is
// clamped to [0, 100] (NaN means 50); non-finite values in xs are ignored (like numpy.nanpercentile);
// 0 for empty input.
// xs is not modified.
func Percentile(xs []float64, p float64) float64 {
	s := statsSortedClean(xs)
	return statsPercentileSorted(s, p)
}

// Quantile is numpy.quantile(xs, q) (default linear method): Percentile(xs, 100*q) for q in [0, 1].
// q is used as given (not via 100*q/100), exactly like numpy. q is clamped to [0, 1] (NaN means 0.5).
func Quantile(xs []float64, q float64) float64 {
	return statsQuantileSorted(statsSortedClean(xs), q)
}

// Median is numpy.median: the middle value, or the mean of the two middle values for an even count;
// 0 for empty input. Non-finite values are ignored.
func Median(xs []float64) float64 {
	s := statsSortedClean(xs)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// statsSortedClean returns a sorted copy of xs without non-finite values.
func statsSortedClean(xs []float64) []float64 {
	s := make([]float64, 0, len(xs))
	for _, x := range xs {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			s = append(s, x)
		}
	}
	slices.Sort(s)
	return s
}

// statsPercentileSorted is Percentile on already sorted, finite values (numpy divides p by 100 first).
func statsPercentileSorted(s []float64, p float64) float64 {
	return statsQuantileSorted(s, p/100)
}

// statsQuantileSorted is Quantile on already sorted, finite values.
func statsQuantileSorted(s []float64, q float64) float64 {
	n := len(s)
	if n == 0 {
		return 0
	}
	if math.IsNaN(q) {
		q = 0.5
	}
	q = math.Min(math.Max(q, 0), 1)
	h := float64(n-1) * q
	lo := math.Floor(h)
	i := int(lo)
	if i >= n-1 {
		return s[n-1]
	}
	return statsLerp(s[i], s[i+1], h-lo)
}

// statsLerp is numpy's _lerp: a + (b-a)*t, computed from the nearer end point for t >= 0.5.
func statsLerp(a, b, t float64) float64 {
	d := b - a
	if t >= 0.5 {
		return b - d*(1-t)
	}
	return a + d*t
}

// statsInts converts ints to float64.
func statsInts(xs []int) []float64 {
	f := make([]float64, len(xs))
	for i, x := range xs {
		f[i] = float64(x)
	}
	return f
}

// statsFinite returns x, or 0 when x is NaN or infinite (JSON cannot carry those).
func statsFinite(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}
