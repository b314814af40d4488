package metrics

import (
	"math"
	"testing"
)

// TestStatsFormerBenchLocal keeps the assertions of bench's former TestLocalStats (bench carried its own
// statistics until it moved onto this package): the same facts, checked on the one implementation.
func TestStatsFormerBenchLocal(t *testing.T) {
	pass := func(n, c, k int) float64 {
		t.Helper()
		v, err := PassAtK(n, c, k)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := pass(10, 3, 1); math.Abs(v-0.3) > 1e-12 {
		t.Fatalf("pass@1 = %v", v)
	}
	// pass@2 with n=4, c=1: 1 - C(3,2)/C(4,2) = 1 - 3/6
	if v := pass(4, 1, 2); math.Abs(v-0.5) > 1e-12 {
		t.Fatalf("pass@2 = %v", v)
	}
	if v := pass(4, 3, 2); v != 1 {
		t.Fatalf("pass@2 = %v", v)
	}
	votes := func(answers ...string) []Vote {
		out := make([]Vote, len(answers))
		for i, a := range answers {
			out[i] = Vote{Answer: a}
		}
		return out
	}
	// A tie between "3" and "4" goes to the one seen first; empty answers do not vote.
	if w, _ := MajorityVote(votes("", "3", "4", "4", "3"), 0); w != "3" {
		t.Fatalf("majority tie = %q", w)
	}
	if w, _ := MajorityVote(votes("", ""), 0); w != "" {
		t.Fatalf("majority none = %q", w)
	}
	// Exact binomial: 0 of 5 discordant -> 2 * 0.5^5.
	if p := McNemarExact(0, 5); math.Abs(p-0.0625) > 1e-12 {
		t.Fatalf("binom = %v", p)
	}
	if p := McNemarExact(3, 3); p != 1 {
		t.Fatalf("binom = %v", p)
	}
	if q := Quantile([]float64{4, 1, 3, 2}, 0.5); q != 2.5 {
		t.Fatalf("median = %v", q)
	}
	iv := BootstrapMean([]float64{1, 0, 1, 1, 0, 1, 1, 1}, BootstrapOptions{B: 1000, Level: 0.95, Seed: 1})
	if !(iv.Low < 0.75 && 0.75 < iv.High) {
		t.Fatalf("ci [%v, %v]", iv.Low, iv.High)
	}
	r, err := PairedReduction([]float64{100, 200, 300}, []float64{50, 100, 150}, BootstrapOptions{B: 1000, Level: 0.95, Seed: 1})
	if err != nil || math.Abs(r.Reduction.Estimate-0.5) > 1e-12 || math.Abs(r.Reduction.Low-0.5) > 1e-12 || math.Abs(r.Reduction.High-0.5) > 1e-12 {
		t.Fatalf("reduction %+v %v", r.Reduction, err)
	}
}
