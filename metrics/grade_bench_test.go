package metrics

import (
	"context"
	"math"
	"strconv"
	"strings"
	"testing"
)

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

// BenchmarkGradeMATHGoldsDecimal grades the numeric MATH golds against their decimal value (10
// significant digits), which goes through normalisation, parsing and evaluation on both sides.
func BenchmarkGradeMATHGoldsDecimal(b *testing.B) {
	recs := gradeReadGolds(b, gradeSharedDir(b), "math")
	bud := newGradeBudget(context.Background())
	var golds, resps []string
	for _, r := range recs {
		norm, _ := gradeNormalize(r.gold)
		v := gradeParseVal(norm, bud, 0)
		if v.kind != gvScalar {
			continue
		}
		n, err := gradeParseExpr(v.text, bud)
		if err != nil {
			continue
		}
		vars := map[string]struct{}{}
		gradeCollectVars(n, vars)
		x := gradeEval(n, nil, bud)
		if len(vars) > 0 || imag(x) != 0 || math.IsNaN(real(x)) || math.IsInf(real(x), 0) || strings.Contains(norm, "_") {
			continue
		}
		golds = append(golds, r.gold)
		resps = append(resps, "so the answer is \\boxed{"+strconv.FormatFloat(real(x), 'g', 10, 64)+"}.")
	}
	b.ResetTimer()
	for b.Loop() {
		for i, g := range golds {
			if v := Grade("math", resps[i], g); !v.Correct {
				b.Fatalf("gold %q graded %+v", g, v)
			}
		}
	}
	b.ReportMetric(float64(len(golds)), "golds/op")
}
