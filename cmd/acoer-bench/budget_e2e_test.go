package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/acoer/acoer-bench/bench"
	"github.com/acoer/acoer-bench/metrics"
	"github.com/acoer/acoer-bench/runner/ort"
)

// TestBudgetCurveEqualsShorterRun is the budget curve's proof on real seeded models: a run at
// max_new_tokens M gives, at budget B, exactly what a second run at max_new_tokens B with the same seeds
// gets (accuracy with its interval, mean tokens, truncation), for a byte-level tokenizer (its random
// output splits characters across tokens) and, when `make testdata` fetched it, Llama 2's SentencePiece
// tokenizer (its decoder drops the space before a completion decoded alone), with sampling and with a
// stop string.
func TestBudgetCurveEqualsShorterRun(t *testing.T) {
	if _, err := ort.Discover(""); err != nil {
		t.Skipf("ONNX Runtime not found (make setup): %v", err)
	}
	const M, B = 64, 20
	dir := t.TempDir()
	models := []string{"bytes"}
	build := [][]string{{"--out", filepath.Join(dir, "bytes"), "--seed", "7", "--preset", "tiny"}}
	if _, err := os.Stat("../../.cache/tokenizers/llama2/tokenizer.json"); err == nil {
		models = append(models, "llama2")
		build = append(build, []string{"--out", filepath.Join(dir, "llama2"), "--seed", "3", "--preset", "tiny", "--tokenizer", "../../.cache/tokenizers/llama2"})
	} else {
		t.Log("no Llama 2 tokenizer (make testdata): only the byte-level model")
	}
	for _, a := range build {
		if code, _, errOut := benchCLI(append([]string{"build-model"}, a...)...); code != 0 {
			t.Fatalf("build-model %v: %s", a, errOut)
		}
	}
	writeData := func(golds map[string]string) {
		var b strings.Builder
		for i := 0; i < 30; i++ {
			id := fmt.Sprintf("q%02d", i)
			g := golds[id]
			if g == "" {
				g = "0"
			}
			fmt.Fprintf(&b, `{"id":%q,"question":"What is %d plus %d?","answer":%q}`+"\n", id, i, 2*i+1, g)
		}
		if err := os.WriteFile(filepath.Join(dir, "p.jsonl"), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeConfig := func(max int) string {
		var b strings.Builder
		b.WriteString("seed: 11\nmodels:\n")
		for _, m := range models {
			fmt.Fprintf(&b, "  - {name: %s, path: %s, provider: cpu}\n", m, m)
		}
		fmt.Fprintf(&b, "datasets:\n  - {name: arith, kind: jsonl, path: p.jsonl, grader: gsm8k, template: raw}\n"+
			"decoding:\n  - {name: sampled, temperature: 1.0, samples: 2, max_new_tokens: %d, batch_size: 5}\n"+
			"  - {name: stopped, temperature: 0.9, max_new_tokens: %d, batch_size: 3, stop: [\"e\"]}\n"+
			"budgets: [%d]\n", max, max, B)
		p := filepath.Join(dir, fmt.Sprintf("c%d.yaml", max))
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	run := func(max int, out string) *bench.Results {
		t.Helper()
		if code, _, errOut := benchCLI("run", "--config", writeConfig(max), "--out", filepath.Join(dir, out), "--quiet"); code != 0 {
			t.Fatalf("run at %d: exit %d\n%s", max, code, errOut)
		}
		r, err := bench.ReadResults(filepath.Join(dir, out))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	// A pilot run at B picks golds its first sample gets right, so the curve does not sit at 0: some
	// answers are right at B tokens and lost (or kept) by M.
	writeData(nil)
	run(B, "pilot")
	golds := map[string]string{}
	for _, m := range models {
		s, err := bench.ReadSamplesFile(bench.SamplesPath(filepath.Join(dir, "pilot"), bench.TaskKey{Model: m, Dataset: "arith", Decoding: "sampled"}))
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range s {
			if a, _ := metrics.Extract("gsm8k", x.Completion); a != "" && x.Sample == 0 && golds[x.ProblemID] == "" {
				golds[x.ProblemID] = a
			}
		}
	}
	writeData(golds)
	short, long := run(B, "short"), run(M, "long")

	nontrivial := false
	for _, m := range models {
		for _, decName := range []string{"sampled", "stopped"} {
			k := bench.TaskKey{Model: m, Dataset: "arith", Decoding: decName}
			ts, _ := short.Task(m, "arith", decName)
			tl, _ := long.Task(m, "arith", decName)
			if tl.Analysis == nil || len(tl.Analysis.Notes) > 0 || len(tl.BudgetCurve) == 0 {
				t.Fatalf("%s: no budget curve: %+v", k, tl.Analysis)
			}
			i := slices.IndexFunc(tl.BudgetCurve, func(p metrics.BudgetPoint) bool { return p.Budget == B })
			if i < 0 {
				t.Fatalf("%s: no point at %d: %+v", k, B, tl.BudgetCurve)
			}
			at := tl.BudgetCurve[i]
			if !reflect.DeepEqual(at.Accuracy, ts.Accuracy) || at.MeanTokens != ts.Length.All.Mean || at.Truncation != ts.Truncation {
				t.Errorf("%s: curve at %d: accuracy %+v, mean %v, truncation %+v\nrun at %d: accuracy %+v, mean %v, truncation %+v",
					k, B, at.Accuracy, at.MeanTokens, at.Truncation, B, ts.Accuracy, ts.Length.All.Mean, ts.Truncation)
			}
			last := tl.BudgetCurve[len(tl.BudgetCurve)-1]
			if last.Budget != M || !reflect.DeepEqual(last.Accuracy, tl.Accuracy) || last.MeanTokens != tl.Length.All.Mean {
				t.Errorf("%s: curve at %d %+v, run %+v", k, M, last, tl.Accuracy)
			}
			t.Logf("%s: accuracy at %d %.3f (changed %d), at %d %.3f", k, B, at.Accuracy.Estimate, at.Changed, M, tl.Accuracy.Estimate)
			if at.Changed > 0 { // copying the full-length verdicts would give another value
				nontrivial = true
			}
			// The premise, checked on the samples: the first B ids of the long run are the short run's ids.
			ls, _ := bench.ReadSamplesFile(bench.SamplesPath(filepath.Join(dir, "long"), k))
			ss, _ := bench.ReadSamplesFile(bench.SamplesPath(filepath.Join(dir, "short"), k))
			if len(ls) != len(ss) || len(ls) == 0 {
				t.Fatalf("%s: %d and %d samples", k, len(ls), len(ss))
			}
			for j := range ss {
				l := ls[j].CompletionIDs
				if len(l) > B {
					l = l[:B]
				}
				if !slices.Equal(l, ss[j].CompletionIDs) {
					t.Fatalf("%s sample %d: ids of the long run %v do not start with the short run's %v", k, j, ls[j].CompletionIDs, ss[j].CompletionIDs)
				}
			}
		}
	}
	if !nontrivial {
		b, _ := json.MarshalIndent(long.Tasks[0].BudgetCurve, "", " ")
		t.Errorf("no task has a verdict that the cut to %d tokens changes: the test proves nothing\n%s", B, b)
	}
}
