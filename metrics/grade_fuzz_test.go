package metrics

import (
	"context"
	"strings"
	"testing"
	"time"
)

// Fuzz targets: no panic, no hang beyond the time limit. Run each for a minute with
//
//	go test ./metrics -run '^$' -fuzz FuzzExtract -fuzztime 1m
//	go test ./metrics -run '^$' -fuzz FuzzEquivalent -fuzztime 1m
//	go test ./metrics -run '^$' -fuzz FuzzGrade -fuzztime 1m

var gradeFuzzSeeds = []string{
	"", "5", `\boxed{5}`, `\boxed{\frac{1}{2}}`, `\boxed{`, `\boxed 5`, `\fbox{}`, "#### 72", "The answer is 5.",
	"Answer: $x=1$", `<think>\boxed{1}</think>\boxed{2}`, `<think>`, `</think>`, `(1,2]`, `\{1,2\}`,
	`\begin{pmatrix}1&2\\3&4\end{pmatrix}`, `\begin{pmatrix}`, `x^{x^{x^{x}}}`, `9^9^9^9^9`, `100!`, `\sqrt[0]{2}`,
	`\frac{1}{0}`, `1 \pm \sqrt{19}`, `(-\infty, 0] \cup [1, \infty)`, `10,\!080`, `\$1,000.99`, `50\%`,
	`\text{(C)}`, `x = 5+5 = 10`, `-x > -1`, `|x|`, `||x|`, `\left(\frac12\right]`, `\sqrt2\sqrt\frac12`,
	`\log_{0}1`, `\binom{1000000}{500000}`, `e^{i\pi}`, "{{{{{{{{{{{{", "}}}}}}", `\\\\\\`, `$$`, `\(\)`,
	`\sin^{-1}`, `\frac`, `\sqrt`, `^`, `_`, `2^`, `a_`, `\text{`, "⦃⦄", "∅", "π√∞", "\xff\xfe",
}

func FuzzExtract(f *testing.F) {
	for _, s := range gradeFuzzSeeds {
		f.Add("math", s)
		f.Add("gsm8k", s)
	}
	f.Fuzz(func(t *testing.T, bench, response string) {
		start := time.Now()
		a, r := Extract(bench, response)
		if r == RuleNone && a != "" {
			t.Fatalf("rule none with answer %q", a)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("Extract took %v", d)
		}
	})
}

func FuzzEquivalent(f *testing.F) {
	for i, s := range gradeFuzzSeeds {
		f.Add(s, gradeFuzzSeeds[(i+1)%len(gradeFuzzSeeds)])
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, pred, gold string) {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		start := time.Now()
		EquivalentContext(ctx, pred, gold)
		if d := time.Since(start); d > 1500*time.Millisecond {
			t.Fatalf("EquivalentContext took %v (limit 500ms)", d)
		}
		// an answer equals itself unless it cannot be compared at all
		if NormalizeAnswer(gold) != "" && len(gold) <= gradeMaxAnswerLen {
			if ok, reason := EquivalentContext(context.Background(), gold, gold); !ok && reason == "" {
				t.Fatalf("%q not equivalent to itself", gold)
			}
		}
	})
}

func FuzzGrade(f *testing.F) {
	for _, s := range gradeFuzzSeeds {
		f.Add("math", `so \boxed{`+s+`}`, s)
		f.Add("aime", s, "45")
	}
	f.Fuzz(func(t *testing.T, bench, response, gold string) {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		start := time.Now()
		v := GradeContext(ctx, bench, response, gold)
		if d := time.Since(start); d > 1500*time.Millisecond {
			t.Fatalf("GradeContext took %v", d)
		}
		if v.Correct && v.Reason != "" {
			t.Fatalf("correct verdict with reason %q", v.Reason)
		}
	})
}

// TestGradeTimeoutAndCancel: a cancelled context gives an incorrect verdict with a reason, never a
// panic; pathological inputs return quickly.
func TestGradeTimeoutAndCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	v := GradeContext(ctx, "math", `\boxed{x^2+1}`, "1+x^2")
	if v.Correct || v.Reason == "" {
		t.Errorf("cancelled: %+v", v)
	}
	if ok, reason := EquivalentContext(ctx, "x^2+1", "1+x^2"); ok || reason == "" {
		t.Errorf("cancelled EquivalentContext = %v, %q", ok, reason)
	}
	big := make([]byte, 0, 1<<20)
	for len(big) < 1<<20 {
		big = append(big, `{(\frac{\sqrt[`...)
	}
	inputs := []string{string(big), "\\boxed{" + string(big), "9" + string(make([]byte, 100000))}
	for _, u := range []string{"answer ", "Answer: ", "#### ", "1,", `\boxed{1}`, `\boxed{`, "answer is x ", `\fbox{`, "<think>"} {
		inputs = append(inputs, strings.Repeat(u, (1<<20)/len(u)))
	}
	for _, s := range inputs {
		start := time.Now()
		v := Grade("math", s, "5")
		Equivalent(s, s)
		Equivalent(s[:4000], s[:4000]+"1")
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("pathological input took %v (%+v)", d, v)
		}
	}
}
