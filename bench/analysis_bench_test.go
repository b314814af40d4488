package bench

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acoer/acoer-bench/metrics"
	"github.com/acoer/acoer-bench/runner/tokenizer"
)

// mathSamples builds 5,000 R1-style MATH samples from the real test set (../shared/datasets/math): each
// completion thinks over the reference solution 1 to 24 times with "Wait, let me double check" between
// rounds (about 2,600 tokens on average, up to about 9,000), closes </think> and restates the solution;
// a third of them end with a wrong box. Ids are the Qwen3 tokenizer's (make testdata).
func mathSamples(b *testing.B) ([]Sample, TextDecoder) {
	b.Helper()
	f, err := os.Open(filepath.Join("..", "..", "shared", "datasets", "math", "test.jsonl"))
	if err != nil {
		b.Skipf("MATH test set not found (needs ../shared): %v", err)
	}
	defer f.Close()
	tok, err := tokenizer.Load(filepath.Join("..", ".cache", "tokenizers", "qwen3"))
	if err != nil {
		b.Skipf("Qwen3 tokenizer not found (make testdata): %v", err)
	}
	var out []Sample
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for i := 0; sc.Scan(); i++ {
		var p struct{ Problem, Level, Solution string }
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			b.Fatal(err)
		}
		gold, _ := metrics.LastBoxed(p.Solution)
		plain := strings.ReplaceAll(p.Solution, `\boxed`, "")
		var c strings.Builder
		c.WriteString("<think>\n")
		for r := 0; r <= i%24; r++ {
			if r > 0 {
				c.WriteString("\n\nWait, let me double check.\n\n")
			}
			c.WriteString(plain)
		}
		c.WriteString("\n</think>\n\n")
		final := p.Solution
		if i%3 == 0 {
			final += ` So the answer is \boxed{17}.`
		}
		c.WriteString(final)
		text := c.String()
		v := metrics.Grade("math", text, gold)
		ids := tok.Encode(text, false)
		out = append(out, Sample{Model: "m", Dataset: "math", Decoding: "r1", ProblemID: strings.Repeat("0", 4-len(itoa(i))) + itoa(i), Index: i,
			Level: p.Level, Prompt: p.Problem, Completion: text, PromptIDs: tok.Encode(p.Problem, false), CompletionIDs: ids,
			CompletionTokens: len(ids), FinishReason: "stop", Gold: gold, Extracted: v.Extracted, Correct: v.Correct, Rule: v.Rule,
			ThinkOpened: v.ThinkOpened, ThinkClosed: v.ThinkClosed})
	}
	if len(out) != 5000 {
		b.Fatalf("%d MATH problems, want 5000", len(out))
	}
	return out, tok
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

// BenchmarkBudgetCurveMATH5000x12 regrades 5,000 MATH samples of a 32,768-token run at its 12 budgets
// (16 ... 16384 and 32768): every completion longer than a budget is decoded up to it and graded again,
// then the curve, its intervals and the budgets that reach 90% and 95% of the final accuracy.
// "all_analyses" is the whole task result: statistics, budget curve, overthinking, trajectories, think
// split. Run: go test ./bench -run '^$' -bench BudgetCurveMATH -benchtime 3x
func BenchmarkBudgetCurveMATH5000x12(b *testing.B) {
	s, tok := mathSamples(b)
	cfg := mustConfig(b, "models: [{name: m, path: /m}]\ndatasets: [{name: math, kind: math}]\n"+
		"decoding: [{name: r1, temperature: 0.6, top_p: 0.95, max_new_tokens: 32768}]\n")
	load := func(ModelSpec) (TextDecoder, error) { return tok, nil }
	var total int64
	for _, x := range s {
		total += int64(x.CompletionTokens)
	}
	b.Logf("5000 samples, %.0f tokens on average", float64(total)/5000)
	d, dec := cfg.Datasets[0], cfg.Decoding[0]
	k := TaskKey{"m", "math", "r1"}
	b.Run("budget_curve", func(b *testing.B) {
		an := newAnalyzer(cfg, nil, load)
		info := &AnalysisInfo{}
		texts, ok := an.tokenTexts(k, d, dec, s, info)
		if !ok {
			b.Fatalf("token texts: %+v", info)
		}
		recs := records(s, false)
		boot := bootOptions(cfg.Seed, "task/"+k.String())
		b.ResetTimer()
		for range b.N {
			t := &TaskResult{Analysis: &AnalysisInfo{}}
			if err := an.budgetCurve(t, k, d, dec, s, recs, texts, boot); err != nil {
				b.Fatal(err)
			}
			if len(t.BudgetCurve) != 12 {
				b.Fatalf("%d budgets", len(t.BudgetCurve))
			}
			b.ReportMetric(float64(t.Analysis.Regraded), "regraded")
		}
	})
	b.Run("all_analyses", func(b *testing.B) {
		for range b.N {
			if _, err := taskResult(k, d, dec, s, cfg, newAnalyzer(cfg, nil, load)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
