package bench

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/acoer/acoer-bench/metrics"
)

// reportFixture is a realistic two-model MATH-like run for the HTML report: 60 problems of levels 1-5,
// 4 samples each at max_new_tokens 2048, R1-style completions (think, reflect, close, answer) with
// byte-level ids; the candidate thinks about half as long and loses a little accuracy on hard problems.
// A level label with markup checks that data is escaped.
func reportFixture(t testing.TB) (*Results, map[TaskKey][]Sample) {
	t.Helper()
	const maxNew, problems, k = 2048, 60, 4
	cfg := mustConfig(t, fmt.Sprintf("seed: 5\nmodels: [{name: base, path: /m/base}, {name: trained, path: /m/trained}]\n"+
		"datasets: [{name: math500, kind: jsonl, path: m.jsonl, grader: math}]\n"+
		"decoding: [{name: sampled, temperature: 0.6, top_p: 0.95, samples: %d, max_new_tokens: %d}]\nbaseline: base\nbudgets: [1500]\n", k, maxNew))
	r := rand.New(rand.NewPCG(11, 12))
	samples := map[TaskKey][]Sample{}
	for _, model := range []string{"base", "trained"} {
		key := TaskKey{model, "math500", "sampled"}
		for i := 0; i < problems; i++ {
			level := 1 + i%5
			gold := fmt.Sprint(3 + i%17)
			for j := 0; j < k; j++ {
				pCorrect := 0.95 - 0.13*float64(level)
				scale := 1.0
				if model == "trained" {
					pCorrect -= 0.02 * float64(level-1)
					scale = 0.5
				}
				length := int(scale * 260 * float64(level) * math.Exp(0.45*r.NormFloat64()))
				right := r.Float64() < pCorrect
				first := gold
				if !right || r.Float64() < 0.25 {
					first = fmt.Sprint(20 + r.IntN(50))
				}
				final := gold
				if !right {
					final = first
				}
				var c strings.Builder
				c.WriteString("<think>\nLet me set up the problem and compute the value step by step.\n\nSo the value = " + first + ".")
				for c.Len() < length {
					if r.Float64() < 0.5 {
						c.WriteString("\n\nWait, let me double check this carefully. Recomputing gives = " + final + ".")
					} else {
						c.WriteString("\n\nHmm, another way to see it is to expand both sides and simplify the expression again.")
					}
				}
				c.WriteString("\n</think>\n\nThe answer is $\\boxed{" + final + "}$.")
				text := c.String()
				ids := append(byteIDs(text), byteEOS)
				fin := "stop"
				if len(ids) > maxNew {
					ids, fin = ids[:maxNew], "length"
					text = byteTok{}.Decode(ids, true)
				}
				v := metrics.Grade("math", text, gold)
				lv := fmt.Sprintf("Level %d", level)
				if i == 7 {
					lv = "Level 3<b>"
				}
				samples[key] = append(samples[key], Sample{Model: model, Dataset: "math500", Decoding: "sampled", ProblemID: fmt.Sprintf("p%03d", i),
					Index: i, Sample: j, Level: lv, Prompt: "Problem " + gold, Completion: text, PromptIDs: byteIDs("Problem " + gold),
					CompletionIDs: ids, CompletionTokens: len(ids), FinishReason: fin, Gold: gold, Extracted: v.Extracted, Correct: v.Correct,
					Rule: v.Rule, ThinkOpened: v.ThinkOpened, ThinkClosed: v.ThinkClosed, TTFTMs: 20, TotalMs: float64(len(ids))})
			}
		}
	}
	res, err := aggregate(aggInput{Manifest: newManifest(cfg, "fixture"), Samples: samples, Revision: "fixture",
		Tokenizer: func(ModelSpec) (TextDecoder, error) { return byteTok{}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	return res, samples
}

// TestHTMLReportFixture renders the fixture's report and checks it is self-contained, escaped and has
// every figure. With ACOER_HTML_OUT set it also writes the report there (make report-screenshot).
func TestHTMLReportFixture(t *testing.T) {
	res, samples := reportFixture(t)
	var b bytes.Buffer
	if err := WriteHTML(&b, res, samples, "fixture <report>"); err != nil {
		t.Fatal(err)
	}
	h := b.String()
	if p := os.Getenv("ACOER_HTML_OUT"); p != "" {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{"Accuracy at every token budget", "Accuracy against tokens", "Length distributions", "Token reduction by difficulty",
		"Accuracy at equal token spend", "Answer trajectories", "Pareto front", "max_new_tokens 2,048", "Accuracy at token budgets (sampled)",
		"Fair length comparisons against base", "fixture &lt;report&gt;", "Level 3&lt;b&gt;"} {
		if !strings.Contains(h, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "<b>", "NaN", "Inf", "src=", "href=", "@import", "url(http"} {
		if strings.Contains(h, bad) {
			t.Errorf("report contains %q", bad)
		}
	}
	if n := strings.Count(h, "<svg"); n != 6 {
		t.Errorf("%d figures, want 6 (budget, Pareto, ECDF, level, equal spend, trajectories)", n)
	}
	// Links only to the SVG namespace.
	if m := regexp.MustCompile(`https?://[^"' ]+`).FindAllString(h, -1); len(m) != strings.Count(h, `xmlns="http://www.w3.org/2000/svg"`) {
		t.Errorf("external references: %v", m)
	}
	ids := regexp.MustCompile(`clipPath id="([^"]+)"`).FindAllStringSubmatch(h, -1)
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id[1]] {
			t.Errorf("clip path id %s repeats", id[1])
		}
		seen[id[1]] = true
	}
}

func TestNiceTicks(t *testing.T) {
	cases := []struct {
		lo, hi  float64
		integer bool
		ticks   []float64
	}{
		// All completions 48 tokens: a range around 48 with whole ticks, never 48.1 / 48.5 / 48.9.
		{48, 48, true, []float64{42, 44, 46, 48, 50, 52, 54}},
		{0, 100, false, []float64{0, 20, 40, 60, 80, 100}},
		{12.3, 87.1, false, []float64{0, 20, 40, 60, 80, 100}},
		{0.5, 0.5, false, []float64{-0.5, 0, 0.5, 1, 1.5}},
		{0, 2048, true, []float64{0, 500, 1000, 1500, 2000, 2500}},
		// Integer data never gets a 2.5 step (32.5 is no token count).
		{33.4, 48, true, []float64{30, 35, 40, 45, 50}},
	}
	for _, c := range cases {
		_, _, ticks := niceRange(c.lo, c.hi, 5, c.integer)
		if fmt.Sprint(ticks) != fmt.Sprint(c.ticks) {
			t.Errorf("niceRange(%v, %v) ticks %v, want %v", c.lo, c.hi, ticks, c.ticks)
		}
	}
	for _, c := range []struct {
		v, step float64
		want    string
	}{{48, 2, "48"}, {0.25, 0.25, "0.25"}, {1.5, 0.5, "1.5"}, {32.5, 2.5, "32.5"}, {20000, 5000, "20,000"}, {-0.0, 1, "0"}} {
		if got := tickLabel(c.v, c.step, false); got != c.want {
			t.Errorf("tickLabel(%v, %v) = %q, want %q", c.v, c.step, got, c.want)
		}
	}
	if got := tokensTick(32768); got != "32k" {
		t.Errorf("tokensTick(32768) = %q", got)
	}
}
