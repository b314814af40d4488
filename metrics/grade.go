package metrics

import (
	"context"
	"math"
	"strings"
)

// Benchmark families the grader knows; aliases map onto them (see CanonicalBenchmark).
const (
	BenchGSM8K = "gsm8k"
	BenchMATH  = "math"
	BenchAIME  = "aime"
	BenchAMC   = "amc"
)

var gradeBenchNameReplacer = strings.NewReplacer("-", "", "_", "", " ", "")

// CanonicalBenchmark maps a benchmark or dataset name to its grading family: gsm8k; math (math,
// math500, minerva_math, ...); aime (aime, aime24, aime25, aime2024, ...); amc (amc, amc23, ...).
// Unknown names grade with the math rules (the most general) and report ok=false.
func CanonicalBenchmark(name string) (family string, ok bool) {
	n := strings.ToLower(strings.TrimSpace(name))
	n = gradeBenchNameReplacer.Replace(n)
	switch {
	case strings.HasPrefix(n, "gsm"):
		return BenchGSM8K, true
	case strings.HasPrefix(n, "aime"):
		return BenchAIME, true
	case strings.HasPrefix(n, "amc"):
		return BenchAMC, true
	case strings.HasPrefix(n, "math"), strings.HasPrefix(n, "minervamath"), n == "hendrycksmath":
		return BenchMATH, true
	}
	return BenchMATH, false
}

func gradeCanonicalBenchmark(name string) string {
	f, _ := CanonicalBenchmark(name)
	return f
}

// Grade grades response against gold for benchmark (gsm8k|math|math500|aime|aime24|aime25|amc|amc23)
// under DefaultGradeTimeout. It never panics: a parse failure or a timeout is an incorrect verdict
// with Reason set.
func Grade(benchmark, response, gold string) Verdict {
	ctx, cancel := context.WithTimeout(context.Background(), DefaultGradeTimeout)
	defer cancel()
	return GradeContext(ctx, benchmark, response, gold)
}

// GradeContext is Grade under ctx (its deadline or cancellation ends the comparison; a ctx without
// a deadline gets DefaultGradeTimeout).
func GradeContext(ctx context.Context, benchmark, response, gold string) (v Verdict) {
	if _, has := ctx.Deadline(); !has {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultGradeTimeout)
		defer cancel()
	}
	bench := gradeCanonicalBenchmark(benchmark)
	text, opened, closed := gradeStripThink(response)
	v.ThinkOpened, v.ThinkClosed = opened, closed
	b := newGradeBudget(ctx)
	defer func() {
		if r := recover(); r != nil {
			v.Correct = false
			if ob, ok := r.(gradeOutOfBudget); ok {
				v.Reason = ob.reason
			} else {
				v.Reason = "internal error in grader"
			}
		}
	}()
	gold = gradeGold(bench, gold)
	if gold == "" {
		v.Reason = "empty gold answer"
		return v
	}
	ans, rule := gradeExtract(bench, text)
	v.Extracted, v.Rule = strings.TrimSpace(ans), rule
	if rule == RuleNone || v.Extracted == "" {
		v.Rule = RuleNone
		v.Reason = "no answer found"
		return v
	}
	b.check()
	ok, reason := gradeCompare(bench, v.Extracted, gold, b)
	if !ok && rule == RuleBoxed {
		// several boxes were joined into a list: the last box alone may be the answer
		if _, last, has := gradeBoxedAnswerBoth(text); has && last != v.Extracted {
			if ok2, _ := gradeCompare(bench, last, gold, b); ok2 {
				ok, reason = true, ""
				v.Extracted = last
			}
		}
	}
	v.Correct, v.Reason = ok, reason
	return v
}

// gradeGold reads the gold answer: the text after "####" for GSM8K reference solutions, the last
// box of a full solution, else the string itself.
func gradeGold(bench, gold string) string {
	gold = strings.TrimSpace(gold)
	if bench == BenchGSM8K {
		if i := strings.LastIndex(gold, "####"); i >= 0 {
			gold = strings.TrimSpace(gold[i+4:])
		}
		gold = strings.ReplaceAll(gold, ",", "")
	}
	if strings.Contains(gold, `\boxed`) || strings.Contains(gold, `\fbox`) {
		if joined, ok := gradeBoxedAnswer(gold); ok {
			gold = joined
		}
	}
	return gold
}

func gradeCompare(bench, pred, gold string, b *gradeBudget) (bool, string) {
	if bench == BenchAIME {
		if g, ok := gradeInteger(gold, b); ok {
			p, ok := gradeInteger(pred, b)
			if !ok {
				return false, ""
			}
			return p == g, ""
		}
	}
	return gradeEquivalent(pred, gold, b)
}

// gradeInteger evaluates s to an integer (AIME: "045" = 45, "45.0" = 45, "\frac{90}{2}" = 45).
func gradeInteger(s string, b *gradeBudget) (int64, bool) {
	n, _ := gradeNormalize(s)
	if n == "" || len(n) > gradeMaxAnswerLen {
		return 0, false
	}
	if gradeThousands.MatchString(n) {
		n = strings.ReplaceAll(n, ",", "")
	}
	if parts, ops := gradeSplitRel(n); len(ops) > 0 && gradeAllEq(ops) {
		n = parts[len(parts)-1]
	}
	node, err := gradeParseExpr(n, b)
	if err != nil {
		return 0, false
	}
	vars := map[string]struct{}{}
	gradeCollectVars(node, vars)
	if len(vars) > 0 {
		return 0, false
	}
	v := gradeEval(node, nil, b)
	r := real(v)
	if imag(v) != 0 || math.IsNaN(r) || math.IsInf(r, 0) || math.Abs(r) > 1e15 {
		return 0, false
	}
	if math.Abs(r-math.Round(r)) > 1e-9 {
		return 0, false
	}
	return int64(math.Round(r)), true
}
