package metrics

import "testing"

// BenchmarkGradeMATHGolds grades all 5000 MATH golds (boxed in a short response) against
// themselves; one op is the whole set. Run: go test ./metrics -run ^$ -bench GradeMATHGolds -cpu 1
func BenchmarkGradeMATHGolds(b *testing.B) {
	recs := gradeReadGolds(b, gradeSharedDir(b), "math")
	resps := make([]string, len(recs))
	for i, r := range recs {
		resps[i] = "Let me think step by step. ... so the answer is \\boxed{" + r.gold + "}."
	}
	b.ResetTimer()
	for b.Loop() {
		for i, r := range recs {
			if v := Grade("math", resps[i], r.gold); !v.Correct {
				b.Fatalf("gold %q graded %+v", r.gold, v)
			}
		}
	}
	b.ReportMetric(float64(len(recs)), "golds/op")
}

// BenchmarkEquivalentNumeric measures the parse-and-evaluate path (no string shortcut).
func BenchmarkEquivalentNumeric(b *testing.B) {
	for b.Loop() {
		if !Equivalent(`\frac{\sqrt{3}}{3}`, `\dfrac{1}{\sqrt{3}}`) {
			b.Fatal("not equivalent")
		}
	}
}

// BenchmarkEquivalentSymbolic measures the random-point path.
func BenchmarkEquivalentSymbolic(b *testing.B) {
	for b.Loop() {
		if !Equivalent(`x^5 - x^4 + x^3 - x^2 + x - 1`, `(x-1)(x^4+x^2+1)`) {
			b.Fatal("not equivalent")
		}
	}
}

// BenchmarkGradeMATHSolutions grades the 5000 full MATH reference solutions against their golds.
func BenchmarkGradeMATHSolutions(b *testing.B) {
	recs := gradeReadGolds(b, gradeSharedDir(b), "math")
	b.ResetTimer()
	for b.Loop() {
		for _, r := range recs {
			if v := Grade("math", r.solution, r.gold); !v.Correct {
				b.Fatalf("gold %q graded %+v", r.gold, v)
			}
		}
	}
	b.ReportMetric(float64(len(recs)), "golds/op")
}
