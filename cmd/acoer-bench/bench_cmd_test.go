package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acoer/acoer-bench/bench"
	"github.com/acoer/acoer-bench/datasets"
	"github.com/acoer/acoer-bench/metrics"
	"github.com/acoer/acoer-bench/runner"
)

// benchFakeGen answers every problem correctly ("= gold"), the candidate in fewer tokens.
type benchFakeGen struct{ name string }

func (g benchFakeGen) EncodePrompt(text string, c bench.ChatOptions) ([]int, error) {
	ids := make([]int, len(text))
	for i := range text {
		ids[i] = int(text[i])
	}
	return ids, nil
}

func (g benchFakeGen) Stream(ctx context.Context, reqs []runner.Request, dec runner.Decoding, slots int, emit func(int, runner.Completion) error) (runner.Stats, error) {
	for i, r := range reqs {
		b := make([]byte, len(r.PromptIDs))
		for j, id := range r.PromptIDs {
			b[j] = byte(id)
		}
		gold := string(b[strings.LastIndex(string(b), "=")+1:])
		n := 30 + len(b)%7
		if g.name == "candidate" {
			n = 20 + len(b)%5
		}
		c := runner.Completion{PromptIDs: r.PromptIDs, IDs: make([]int, n), Text: "so = " + gold, FinishReason: runner.FinishStop,
			TTFT: 3 * time.Millisecond, Total: time.Duration(3+n) * time.Millisecond,
			Share: runner.Share{Wall: time.Duration(n) * time.Millisecond / 2, DecodeSteps: float64(n-1) / 2, PrefillTokens: float64(len(r.PromptIDs))}}
		if err := emit(i, c); err != nil {
			return runner.Stats{}, err
		}
	}
	return runner.Stats{}, nil
}

func (g benchFakeGen) Info() bench.ModelInfo {
	return bench.ModelInfo{Path: "/m/" + g.name, SHA256: strings.Repeat("ab", 32), Provider: "cpu"}
}
func (g benchFakeGen) Close() error { return nil }

func benchTestDeps() bench.Deps {
	return bench.Deps{
		Open: func(ctx context.Context, m bench.ModelSpec) (bench.Generator, error) {
			return benchFakeGen{m.Name}, nil
		},
		Problems: func(d bench.DatasetSpec) ([]datasets.Problem, bench.DatasetInfo, error) {
			var ps []datasets.Problem
			for i := 0; i < 9; i++ {
				ps = append(ps, datasets.Problem{ID: fmt.Sprint(i), Question: fmt.Sprintf("%d+%d", i, i), Gold: fmt.Sprint(2 * i)})
			}
			return ps, bench.DatasetInfo{SHA256: "d", Count: 9}, nil
		},
		Render: func(t string, p datasets.Problem) (string, error) { return p.Question + "=" + p.Gold, nil },
		Grade: func(b, resp, gold string) metrics.Verdict {
			ex := strings.TrimSpace(resp[strings.LastIndex(resp, "=")+1:])
			return metrics.Verdict{Correct: ex == gold, Extracted: ex, Rule: "fake"}
		},
		Revision: "r", Host: "h",
	}
}

const benchCmdConfig = `models:
  - {name: baseline, path: m/b}
  - {name: candidate, path: m/c}
datasets:
  - {name: d1, kind: jsonl, path: d1.jsonl, grader: gsm8k}
decoding:
  - {max_new_tokens: 64}
baseline: baseline
gates:
  overall: {max_token_increase_pct: 0, max_accuracy_drop_pp: 1}
`

func benchResultsDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "b.yaml")
	os.WriteFile(cfgPath, []byte(benchCmdConfig), 0o644)
	cfg, err := bench.LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "results")
	if _, err := bench.Run(context.Background(), cfg, bench.RunOptions{Out: out}, benchTestDeps()); err != nil {
		t.Fatal(err)
	}
	return out
}

func benchCLI(args ...string) (int, string, string) {
	var o, e bytes.Buffer
	code := runMain(context.Background(), args, strings.NewReader(""), &o, &e)
	return code, o.String(), e.String()
}

func TestGateCommandExitCodes(t *testing.T) {
	dir := benchResultsDir(t)
	cases := []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"gate", "--results", dir}, 0, "all 2 gate checks hold"},
		{[]string{"gate", "--results", dir, "--format", "md"}, 0, "| candidate | greedy | overall | token_increase_pct |"},
		{[]string{"gate", "--results", dir, "--max-token-increase", "-50"}, 1, "FAIL  candidate/greedy overall  token_increase_pct"},
		{[]string{"gate", "--results", dir, "--baseline", "candidate", "--candidate", "baseline", "--max-token-increase", "0", "--per-dataset"}, 1, "FAIL"},
		{[]string{"gate", "--results", dir, "--candidate", "nope"}, 2, ""},
		{[]string{"gate", "--results", dir, "--baseline", "nope"}, 2, ""},
		{[]string{"gate", "--results", filepath.Join(dir, "missing")}, 2, ""},
		{[]string{"gate", "--results", dir, "--max-accuracy-drop", "x"}, 2, ""},
		{[]string{"gate", "--results", dir, "--format", "xml"}, 2, ""},
	}
	for _, c := range cases {
		code, out, errOut := benchCLI(c.args...)
		if code != c.code || !strings.Contains(out, c.out) {
			t.Errorf("%v: exit %d (want %d)\nstdout:\n%s\nstderr:\n%s", c.args, code, c.code, out, errOut)
		}
	}
}

func TestReportCompareMergeCommands(t *testing.T) {
	dir := benchResultsDir(t)
	for _, f := range []string{"table", "md", "csv", "json", "latex", "html"} {
		code, out, errOut := benchCLI("report", "--results", dir, "--format", f)
		if code != 0 || out == "" {
			t.Fatalf("report %s: %d %s", f, code, errOut)
		}
	}
	if code, out, _ := benchCLI("report", "--results", dir, "--format", "csv"); code != 0 || !strings.HasPrefix(out, strings.Join(bench.CSVHeader, ",")+"\n") {
		t.Fatalf("csv header:\n%s", out)
	}
	if code, _, _ := benchCLI("report", "--results", dir, "--format", "pdf"); code != 2 {
		t.Fatal("bad format accepted")
	}
	if code, out, errOut := benchCLI("report", "--results", dir, "--baseline", "candidate"); code != 0 || !strings.Contains(out, "baseline") {
		t.Fatalf("report --baseline: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := benchCLI("compare", "--results", dir, "baseline", "candidate"); code != 0 || !strings.Contains(out, "d1") {
		t.Fatalf("compare: %d\n%s\n%s", code, out, errOut)
	}
	if code, _, _ := benchCLI("compare", "--results", dir, "baseline"); code != 2 {
		t.Fatal("compare with one argument accepted")
	}
	if code, _, errOut := benchCLI("merge", "--out", filepath.Join(t.TempDir(), "m"), dir); code != 0 {
		t.Fatalf("merge: %s", errOut)
	}
	if code, _, _ := benchCLI("merge", dir); code != 2 {
		t.Fatal("merge without --out accepted")
	}
	if code, out, _ := benchCLI("run", "--print-default-config"); code != 0 || !strings.Contains(out, "name: candidate") {
		t.Fatal("print-default-config")
	}
	if code, _, _ := benchCLI("run", "--shard", "5/2"); code != 2 {
		t.Fatal("bad shard accepted")
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("models:\n  - name: a\n    colour: red\n"), 0o644)
	if code, _, errOut := benchCLI("run", "--config", bad); code != 2 || !strings.Contains(errOut, "bad.yaml:3:") {
		t.Fatalf("bad config: %d %s", code, errOut)
	}
}
