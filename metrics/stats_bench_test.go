package metrics

import (
	"math/rand/v2"
	"testing"
)

func statsBenchSamples(problems, k int) [][]bool {
	r := rand.New(rand.NewPCG(1, 2))
	s := make([][]bool, problems)
	for i := range s {
		s[i] = make([]bool, k)
		for j := range s[i] {
			s[i][j] = r.Float64() < 0.6
		}
	}
	return s
}

// BenchmarkBootstrapAccuracy5000 is the bootstrap of accuracy over 5000 problems, B = 2000.
func BenchmarkBootstrapAccuracy5000(b *testing.B) {
	s := statsBenchSamples(5000, 1)
	correct := make([]bool, len(s))
	for i := range s {
		correct[i] = s[i][0]
	}
	for b.Loop() {
		BootstrapAccuracy(correct, BootstrapOptions{B: 2000, Seed: 1})
	}
}

// BenchmarkBootstrapPassAtK5000x16 is pass@8 over 5000 problems with 16 samples each, B = 2000.
func BenchmarkBootstrapPassAtK5000x16(b *testing.B) {
	s := statsBenchSamples(5000, 16)
	for b.Loop() {
		if _, err := BootstrapPassAtK(s, 8, BootstrapOptions{B: 2000, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPairedReduction5000 is the paired bootstrap of the token reduction over 5000 problems, B = 2000.
func BenchmarkPairedReduction5000(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	base, cand := make([]float64, 5000), make([]float64, 5000)
	for i := range base {
		base[i] = 500 + 3000*r.Float64()
		cand[i] = base[i] * (0.4 + 0.4*r.Float64())
	}
	for b.Loop() {
		if _, err := PairedReduction(base, cand, BootstrapOptions{B: 2000, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPermutation5000x4 is the Monte Carlo paired permutation test on 5000 problems (k = 4),
// 10000 sign flips.
func BenchmarkPermutation5000x4(b *testing.B) {
	ab, ac := ProblemAccuracies(statsBenchSamples(5000, 4)), ProblemAccuracies(statsBenchSamples(5000, 4)[1:])
	d := make([]float64, len(ac))
	for i := range d {
		d[i] = ac[i] - ab[i]
	}
	for b.Loop() {
		PairedPermutationTest(d, DefaultPermutations, 1)
	}
}

// BenchmarkAggregate5000x4 is Aggregate on 5000 problems × 4 samples with the default K (pass@1,
// pass@4, maj@1, maj@4, accuracy: five bootstraps of B = 2000).
func BenchmarkAggregate5000x4(b *testing.B) {
	recs := statsTestRecords(5000, 4, 1, 0.6, 400)
	for b.Loop() {
		if _, err := Aggregate(recs, AggregateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
