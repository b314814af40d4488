// End-to-end tests of `run` on real ONNX models built by the project: they need runner, datasets and
// metrics merged (drop the build tag then) and ONNX Runtime installed (make setup); without the library
// they skip.

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/acoer/acoer-bench/bench"
	"github.com/acoer/acoer-bench/runner/ort"
)

// benchE2EWorkdir lays out the embedded default in a temp dir (benchmarks.yaml, its problems, its two
// models built with build-model) and returns the dir.
func benchE2EWorkdir(t *testing.T) string {
	t.Helper()
	if _, err := ort.Discover(""); err != nil {
		t.Skipf("ONNX Runtime not found (make setup): %v", err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "benchmarks.yaml"), bench.DefaultConfigYAML(), 0o644)
	p := filepath.Join(dir, bench.DefaultProblemsPath)
	os.MkdirAll(filepath.Dir(p), 0o755)
	os.WriteFile(p, bench.DefaultProblemsJSONL(), 0o644)
	for _, m := range [][]string{
		{"--out", filepath.Join(dir, ".cache/models/baseline"), "--seed", "7", "--preset", "tiny"},
		{"--out", filepath.Join(dir, ".cache/models/candidate"), "--seed", "7", "--preset", "tiny", "--eos-bias", "3"},
	} {
		if code, _, errOut := benchCLI(append([]string{"build-model"}, m...)...); code != 0 {
			t.Fatalf("build-model %v: %s", m, errOut)
		}
	}
	return dir
}

// TestRunEmbeddedDefault runs the embedded default end to end and checks results.json and the reports.
func TestRunEmbeddedDefault(t *testing.T) {
	dir := benchE2EWorkdir(t)
	out := filepath.Join(dir, "results")
	code, stdout, errOut := benchCLI("run", "--config", filepath.Join(dir, "benchmarks.yaml"), "--out", out)
	if code != 0 {
		t.Fatalf("run: exit %d\n%s", code, errOut)
	}
	if !strings.Contains(stdout, "report:  "+filepath.Join(out, "report.html")) {
		t.Fatalf("run does not say where the report is:\n%s", stdout)
	}
	res, err := bench.ReadResults(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tasks) != 2 {
		t.Fatalf("%d tasks", len(res.Tasks))
	}
	for _, tr := range res.Tasks {
		if tr.Problems != 20 || !tr.Complete || tr.Length.All.N == 0 || !(tr.Throughput.PerSequenceMean > 0) {
			t.Fatalf("task %+v", tr)
		}
		// Whole-run tokens/s: all generated tokens over the summed batch wall times.
		if th := tr.Throughput; !(th.WallSeconds > 0) || th.Tokens != tr.Length.All.Total || !(th.TokensPerSecond > 0) {
			t.Fatalf("throughput %+v (length %+v)", th, tr.Length.All)
		}
	}
	p := res.Provenance
	for _, m := range []string{"baseline", "candidate"} {
		if len(p.Models[m].SHA256) != 64 || p.Models[m].ORTVersion == "" || p.Models[m].Provider == "" ||
			p.Models[m].Tokenizer == "" || p.Models[m].BOSRule == "" {
			t.Fatalf("model provenance %+v", p.Models[m])
		}
	}
	if p.Revision == "" || p.Seed == 0 || len(p.Decoding) == 0 {
		t.Fatalf("provenance %+v", p)
	}
	if len(p.Datasets["arith20"].SHA256) != 64 || p.Datasets["arith20"].Template == "" {
		t.Fatalf("dataset provenance %+v", p.Datasets)
	}
	if c, _ := res.Task("candidate", "arith20", "greedy"); c.VsBaseline == nil || !(c.VsBaseline.Tokens.Reduction.Estimate > 0) {
		t.Fatalf("the eos-biased candidate is not shorter: %+v", c.VsBaseline)
	}
	for _, f := range []string{"report.md", "report.html"} {
		if b, err := os.ReadFile(filepath.Join(out, f)); err != nil || !bytes.Contains(b, []byte("candidate")) {
			t.Fatalf("%s: %v", f, err)
		}
	}
	if code, out, errOut := benchCLI("gate", "--results", out); code != 0 {
		t.Fatalf("gate: exit %d\n%s%s", code, out, errOut)
	}
}

// TestRunKillNine kills real `run` processes (this test binary re-executed as the CLI) with SIGKILL at
// random moments, restarts them, and checks the samples equal an uninterrupted run's (timings aside).
func TestRunKillNine(t *testing.T) {
	if os.Getenv("ACOER_BENCH_CLI_ARGS") != "" {
		t.Skip("child")
	}
	dir := benchE2EWorkdir(t)
	cfg := filepath.Join(dir, "benchmarks.yaml")
	ref := filepath.Join(dir, "ref")
	if code, _, errOut := benchCLI("run", "--config", cfg, "--out", ref, "--quiet"); code != 0 {
		t.Fatal(errOut)
	}
	for seed := uint64(1); seed <= 2; seed++ {
		r := rand.New(rand.NewPCG(seed, 3))
		out := filepath.Join(dir, "killed", string(rune('a'+seed)))
		killUntilDone(t, cfg, out, r, 100, 400, 100)
		for _, m := range []string{"baseline", "candidate"} {
			k := bench.TaskKey{Model: m, Dataset: "arith20", Decoding: "greedy"}
			if a, b := benchSansTimings(t, bench.SamplesPath(ref, k)), benchSansTimings(t, bench.SamplesPath(out, k)); !reflect.DeepEqual(a, b) {
				t.Fatalf("seed %d: %s differs from an uninterrupted run", seed, k)
			}
		}
	}
}

// killUntilDone runs `run --config cfg --out out` as a child process (this test binary as the CLI),
// kills it with SIGKILL after base+rand(spread)+attempt*step ms until a run completes, and returns the
// number of kills.
func killUntilDone(t *testing.T, cfg, out string, r *rand.Rand, base, spread, step int) int {
	t.Helper()
	kills := 0
	for attempt := 0; ; attempt++ {
		if attempt > 60 {
			t.Fatal("never completed")
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestRunKillNineChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "ACOER_BENCH_CLI_ARGS="+strings.Join([]string{"run", "--config", cfg, "--out", out, "--quiet"}, "\x1f"))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("child: %v", err)
			}
			return kills
		case <-time.After(time.Duration(base+r.IntN(spread)+step*attempt) * time.Millisecond):
			cmd.Process.Signal(syscall.SIGKILL)
			<-done
			kills++
		}
	}
}

// TestRunKillNineChild is TestRunKillNine's child: the CLI with the args it is given.
func TestRunKillNineChild(t *testing.T) {
	args := os.Getenv("ACOER_BENCH_CLI_ARGS")
	if args == "" {
		t.Skip("only run as TestRunKillNine's child")
	}
	if code := runMain(context.Background(), strings.Split(args, "\x1f"), os.Stdin, os.Stdout, os.Stderr); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

func benchSansTimings(t *testing.T, path string) []string {
	t.Helper()
	s, err := bench.ReadSamplesFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, x := range s {
		x.TTFTMs, x.TotalMs, x.PerTokenMs = 0, 0, 0
		// Work shares depend on what ran beside the sample (a resumed run schedules differently).
		x.ShareWallMs, x.ShareDecodeSteps, x.SharePrefillTokens = 0, 0, 0
		b, _ := json.Marshal(x)
		out = append(out, string(b))
	}
	return out
}

// A model directory or dataset file that is not there is bad input (exit 2), said once in one line;
// both missing are both said, one line each, with a summary line, and nothing is written.
func TestRunMissingInputsExit2(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "p.jsonl"), []byte(`{"id":"1","question":"1+1?","answer":"2"}`+"\n"), 0o644)
	for _, c := range []struct {
		model, data string
		want        []string
	}{
		{"nope-model", "p.jsonl", []string{`model "a": model directory ` + filepath.Join(dir, "nope-model") + ": file does not exist"}},
		{"nope-model", "nope.jsonl", []string{`model "a": model directory`, `dataset "g": open ` + filepath.Join(dir, "nope.jsonl"), "2 problems found before any work; nothing was written to"}},
	} {
		cfg := "models:\n  - {name: a, path: " + c.model + "}\ndatasets:\n  - {name: g, kind: jsonl, path: " + c.data +
			", grader: gsm8k}\ndecoding:\n  - {name: d, max_new_tokens: 4}\n"
		os.WriteFile(filepath.Join(dir, "c.yaml"), []byte(cfg), 0o644)
		out := filepath.Join(dir, "out")
		code, _, errOut := benchCLI("run", "--config", filepath.Join(dir, "c.yaml"), "--out", out, "--quiet")
		lines := strings.Split(strings.TrimSpace(errOut), "\n")
		if code != exitUsage || len(lines) != len(c.want) || strings.Contains(errOut, `dataset "g": dataset "g"`) {
			t.Errorf("%s, %s: exit %d, stderr %q", c.model, c.data, code, errOut)
			continue
		}
		for i, w := range c.want {
			if !strings.HasPrefix(lines[i], "acoer-bench run: ") || !strings.Contains(lines[i], w) {
				t.Errorf("line %d %q lacks %q", i, lines[i], w)
			}
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s was created (%v)", out, err)
		}
	}
}

// The embedded default runs from the binary alone, as a new user runs it: in an empty directory
// (no benchmarks.yaml, no models), `run --out r` builds its two seeded models into the user cache on
// first use, says so on stderr, and runs; the next run builds nothing and generates nothing. The models
// equal what build-model writes (make run-default's). A model directory missing from a user's own config
// stays an error naming the model and the path.
func TestRunDefaultFromTheBinaryAlone(t *testing.T) {
	lib, err := ort.Discover("")
	if err != nil {
		t.Skipf("ONNX Runtime not found (make setup): %v", err)
	}
	t.Setenv(ort.EnvVar, lib) // an installed binary is pointed at the library this way
	cache := filepath.Join(t.TempDir(), "cache")
	t.Setenv("XDG_CACHE_HOME", cache)
	empty := t.TempDir()
	t.Chdir(empty)
	code, stdout, errOut := benchCLI("run", "--out", "r", "--quiet")
	if code != 0 {
		t.Fatalf("run: exit %d\n%s", code, errOut)
	}
	models := filepath.Join(cache, "acoer-bench", "models")
	for _, w := range []string{
		"acoer-bench run: no benchmarks.yaml here: using the embedded default",
		`acoer-bench run: model "baseline": building its seeded test model (preset tiny, seed 7: random weights, it shows the harness working and does not reason) into ` + filepath.Join(models, "baseline") + " (first use)",
		`acoer-bench run: model "candidate": building its seeded test model (preset tiny, seed 7, EOS bias 3: random weights`,
	} {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr lacks %q:\n%s", w, errOut)
		}
	}
	if !strings.Contains(stdout, "40 samples generated, 0 already there") {
		t.Errorf("stdout:\n%s", stdout)
	}
	res, err := bench.ReadResults(filepath.Join(empty, "r"))
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := res.Task("candidate", "arith20", "greedy"); c.VsBaseline == nil || !(c.VsBaseline.Tokens.Reduction.Estimate > 0) {
		t.Errorf("the eos-biased candidate is not shorter: %+v", c.VsBaseline)
	}
	// The same models as build-model's.
	ref := filepath.Join(t.TempDir(), "ref")
	if code, _, e := benchCLI("build-model", "--out", ref, "--seed", "7", "--preset", "tiny", "--eos-bias", "3"); code != 0 {
		t.Fatal(e)
	}
	for _, f := range []string{"model.onnx", "tokenizer.json", "config.json"} {
		a, _ := os.ReadFile(filepath.Join(ref, f))
		b, _ := os.ReadFile(filepath.Join(models, "candidate", f))
		if !bytes.Equal(a, b) || len(a) == 0 {
			t.Errorf("%s differs from build-model's", f)
		}
	}
	code, stdout, errOut = benchCLI("run", "--out", "r", "--quiet")
	if code != 0 || strings.Contains(errOut, "building") || !strings.Contains(stdout, "0 samples generated, 40 already there") {
		t.Errorf("second run: exit %d\n%s\n%s", code, errOut, stdout)
	}

	// A user's own config: no seeded key, no building.
	os.WriteFile("mine.yaml", []byte("models:\n  - {name: mine, path: models/mine}\ndatasets:\n  - {name: g, kind: jsonl, path: "+
		filepath.Join(empty, "r", "defaults", "problems.jsonl")+", grader: gsm8k}\n"), 0o644)
	code, _, errOut = benchCLI("run", "--config", "mine.yaml", "--out", "r2", "--quiet")
	if code != exitUsage || !strings.Contains(errOut, `model "mine": model directory `+filepath.Join(empty, "models", "mine")+": file does not exist") || strings.Contains(errOut, "building") {
		t.Errorf("missing model in a user's config: exit %d\n%s", code, errOut)
	}
}
