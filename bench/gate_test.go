package bench

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func fptr(v float64) *float64 { return &v }

func TestGates(t *testing.T) {
	cfg := mustConfig(t, testConfig)
	out := t.TempDir()
	deps, _ := fakeDeps(0, "", nil)
	runOnce(t, cfg, RunOptions{Out: out}, deps)
	res, err := ReadResults(out)
	if err != nil {
		t.Fatal(err)
	}
	// The config's gates: the candidate is ~1/3 shorter and as accurate: holds.
	checks, err := EvaluateGates(res, res.Gates, nil)
	if err != nil {
		t.Fatal(err)
	}
	// overall (2 decodings x 2 metrics) + beta (2 decodings x 1 metric)
	if len(checks) != 6 || !GatesPass(checks) {
		t.Fatalf("config gates: %+v", checks)
	}
	var b bytes.Buffer
	WriteGates(&b, checks, res.Baseline, "text")
	if !strings.Contains(b.String(), "PASS  candidate/greedy  overall  token_increase_pct") || !strings.Contains(b.String(), "all 6 gate checks hold") {
		t.Fatalf("text:\n%s", b.String())
	}
	b.Reset()
	WriteGates(&b, checks, res.Baseline, "md")
	if !strings.Contains(b.String(), "| candidate | greedy | overall | token_increase_pct |") {
		t.Fatalf("md:\n%s", b.String())
	}

	// Demanding a 60% reduction fails.
	checks, err = EvaluateGates(res, &Gates{Overall: &GateLimits{MaxTokenIncreasePct: fptr(-60)}}, nil)
	if err != nil || GatesPass(checks) {
		t.Fatalf("strict gate: %v %+v", err, checks)
	}
	// Swapping roles: the baseline as candidate uses more tokens than the candidate: fails a 0% gate.
	d, err := OpenDir(out)
	if err != nil {
		t.Fatal(err)
	}
	swapped, err := d.Recompute("candidate")
	if err != nil {
		t.Fatal(err)
	}
	checks, err = EvaluateGates(swapped, &Gates{PerDataset: &GateLimits{MaxTokenIncreasePct: fptr(0)}}, []string{"baseline"})
	if err != nil || GatesPass(checks) || len(checks) != 4 {
		t.Fatalf("swapped: %v %+v", err, checks)
	}

	// Bad input.
	if _, err := EvaluateGates(res, nil, nil); !errors.Is(err, ErrNoGates) {
		t.Fatalf("no gates: %v", err)
	}
	var ge *GateInputError
	if _, err := EvaluateGates(res, res.Gates, []string{"nope"}); !errors.As(err, &ge) {
		t.Fatalf("unknown candidate: %v", err)
	}
	if _, err := EvaluateGates(res, res.Gates, []string{"baseline"}); !errors.As(err, &ge) {
		t.Fatalf("baseline as candidate: %v", err)
	}
	noBase := *res
	noBase.Baseline = ""
	if _, err := EvaluateGates(&noBase, res.Gates, nil); !errors.As(err, &ge) {
		t.Fatalf("no baseline: %v", err)
	}
	if _, err := d.Recompute("zzz"); err == nil {
		t.Fatal("unknown baseline accepted")
	}
}

func TestCompare(t *testing.T) {
	cfg := mustConfig(t, testConfig)
	out := t.TempDir()
	deps, _ := fakeDeps(0, "", nil)
	runOnce(t, cfg, RunOptions{Out: out}, deps)
	d, err := OpenDir(out)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := Compare(CompareSide{d, "baseline"}, CompareSide{d, "candidate"})
	if err != nil || len(rows) != 4 {
		t.Fatalf("%v %d", err, len(rows))
	}
	if rows[0].Change.Problems != 13 || !(rows[0].Change.Tokens.Reduction.Estimate > 0.2) || rows[0].Change.Latency.ChangePct.N == 0 {
		t.Fatalf("row: %+v", rows[0].Change)
	}
	// compare prints the same intervals as the report's comparison with the baseline.
	for _, r := range rows {
		for _, tr := range d.Results.Tasks {
			if tr.Model == "candidate" && tr.Dataset == r.Dataset && tr.Decoding == r.Decoding {
				if tr.VsBaseline == nil || tr.VsBaseline.Tokens != r.Change.Tokens || tr.VsBaseline.Accuracy.DeltaCI != r.Change.Accuracy.DeltaCI {
					t.Errorf("%s/%s: compare %+v, results.json %+v", r.Dataset, r.Decoding, r.Change.Tokens, tr.VsBaseline)
				}
			}
		}
	}
	for _, f := range []string{"table", "md", "json"} {
		var b bytes.Buffer
		if err := WriteCompare(&b, rows, f); err != nil || b.Len() == 0 {
			t.Fatalf("%s: %v", f, err)
		}
	}
	if _, err := d.Recompute("nope"); err == nil || !strings.Contains(err.Error(), "(models: baseline, candidate)") {
		t.Errorf("unknown baseline: %v", err)
	}
	if _, err := Compare(CompareSide{d, ""}, CompareSide{d, "candidate"}); err == nil {
		t.Fatal("ambiguous model accepted")
	}
	// Two dirs: one model each.
	a, b := t.TempDir(), t.TempDir()
	runOnce(t, cfg, RunOptions{Out: a, Models: []string{"baseline"}}, deps)
	runOnce(t, cfg, RunOptions{Out: b, Models: []string{"candidate"}}, deps)
	da, _ := OpenDir(a)
	db, _ := OpenDir(b)
	rows2, err := Compare(CompareSide{da, ""}, CompareSide{db, ""})
	if err != nil || len(rows2) != 4 || rows2[0].Change.Tokens != rows[0].Change.Tokens {
		t.Fatalf("two dirs: %v %+v", err, rows2)
	}
}

func TestHTMLEscapesModelOutput(t *testing.T) {
	cfg := mustConfig(t, testConfig)
	s := []Sample{{Model: "baseline", Dataset: "alpha", Decoding: "greedy", ProblemID: "<b>p</b>", Prompt: "<img src=x onerror=alert(1)>",
		Completion: "</pre><script>alert('x')</script>", Extracted: "<i>", Gold: "1", CompletionTokens: 5, FinishReason: "stop"}}
	man := newManifest(cfg, "r")
	res, err := aggregate(aggInput{Manifest: man, Samples: map[TaskKey][]Sample{{"baseline", "alpha", "greedy"}: s}})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteHTML(&b, res, map[TaskKey][]Sample{{"baseline", "alpha", "greedy"}: s}, "<title>"); err != nil {
		t.Fatal(err)
	}
	h := b.String()
	for _, bad := range []string{"<script>", "<img", "<b>p</b>", "</pre><script", "<i>", "<title><title>"} {
		if strings.Contains(h, bad) {
			t.Fatalf("HTML contains unescaped %q", bad)
		}
	}
	if !strings.Contains(h, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;") {
		t.Fatal("escaped completion missing")
	}
}

func TestRecomputeInterruptedDir(t *testing.T) {
	cfg := mustConfig(t, testConfig)
	out := t.TempDir()
	deps, _ := fakeDeps(0, "", nil)
	runOnce(t, cfg, RunOptions{Out: out, Models: []string{"baseline"}}, deps)
	runOnce(t, cfg, RunOptions{Out: out, Models: []string{"candidate"}, Limit: 3}, deps)
	if err := os.Remove(filepath.Join(out, ResultsFile)); err != nil {
		t.Fatal(err)
	}
	d, err := OpenDir(out)
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.Recompute("")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := res.Task("baseline", "alpha", "greedy")
	c, _ := res.Task("candidate", "alpha", "greedy")
	if !b.Complete || c.Complete || c.VsBaseline == nil || c.VsBaseline.Problems != 3 {
		t.Fatalf("baseline complete %v, candidate complete %v, %+v", b.Complete, c.Complete, c.VsBaseline)
	}
}

func TestOpenDirOtherSchemaVersion(t *testing.T) {
	cfg := mustConfig(t, testConfig)
	out := t.TempDir()
	deps, _ := fakeDeps(0, "", nil)
	runOnce(t, cfg, RunOptions{Out: out, Datasets: []string{"beta"}}, deps)
	want, _ := ReadResults(out)
	old := []byte(`{"schema_version": 1, "tasks": []}`)
	if err := os.WriteFile(filepath.Join(out, ResultsFile), old, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadResults(out); !errors.Is(err, ErrResultsVersion) {
		t.Fatalf("old schema read: %v", err)
	}
	// With samples: recomputed from them.
	d, err := OpenDir(out)
	if err != nil || d.Results != nil {
		t.Fatalf("open: %v %v", err, d)
	}
	res, err := d.Recompute("")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tasks) != len(want.Tasks) || res.Tasks[0].Accuracy != want.Tasks[0].Accuracy || res.Tasks[2].VsBaseline == nil {
		t.Fatalf("recomputed %+v\nwant %+v", res.Tasks[0].Accuracy, want.Tasks[0].Accuracy)
	}
	// Without samples: the version error.
	bare := t.TempDir()
	os.WriteFile(filepath.Join(bare, ResultsFile), old, 0o644)
	if _, err := OpenDir(bare); !errors.Is(err, ErrResultsVersion) {
		t.Fatalf("bare old results: %v", err)
	}
}

// Gate values that print as zero carry no sign, and the text columns line up across candidates and
// decodings of different name lengths.
func TestWriteGatesZeroAndColumns(t *testing.T) {
	checks := []GateCheck{
		{Candidate: "trained", Decoding: "greedy", Scope: "overall", Metric: "accuracy_drop_pp", Value: math.Copysign(0, -1), Lo: -1e-12, Hi: 0, Limit: 1, Pass: true},
		{Candidate: "trained", Decoding: "sampled", Scope: "math500", Metric: "token_increase_pct", Value: -12.5, Lo: -20, Hi: -5, Limit: 0, Pass: true},
	}
	for _, f := range []string{"text", "md"} {
		var b strings.Builder
		if err := WriteGates(&b, checks, "base", f); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(b.String(), "-0.00") {
			t.Errorf("%s: negative zero printed:\n%s", f, b.String())
		}
		if f == "text" {
			lines := strings.Split(b.String(), "\n")
			if strings.Index(lines[0], "value") != strings.Index(lines[1], "value") {
				t.Errorf("columns do not line up:\n%s", b.String())
			}
		}
	}
}

func TestReportNumbersNoNegativeZero(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{signed(math.Copysign(0, -1), 1), "+0.0"}, {signed(-1e-17, 1), "+0.0"}, {signed(-0.04, 1), "+0.0"},
		{signed(-0.06, 1), "-0.1"}, {signed(2, 1), "+2.0"},
		{pct(-1e-19), "0.0"}, {num(math.Copysign(0, -1), 2), "0.00"}, {num(-1.5, 1), "-1.5"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestOpenDirMissing(t *testing.T) {
	_, err := OpenDir(filepath.Join(t.TempDir(), "nope"))
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "results directory") || strings.Contains(err.Error(), "stat ") {
		t.Errorf("missing dir: %v", err)
	}
}

// A damaged results.json or manifest.json is named with the field, in JSON terms, not Go types.
func TestDamagedFilesNoGoTypes(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ResultsFile), []byte(`{"schema_version": 1, "tasks": 5}`), 0o644)
	_, err := ReadResults(dir)
	if err == nil || !strings.Contains(err.Error(), `"tasks": want an array, got number`) || strings.Contains(err.Error(), "Go ") {
		t.Errorf("results.json: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(`{"schema_version": 1, "config": 3}`), 0o644)
	_, err = ReadManifest(dir)
	if err == nil || !strings.Contains(err.Error(), `"config": want an object, got number`) || strings.Contains(err.Error(), "bench.") {
		t.Errorf("manifest.json: %v", err)
	}
}
