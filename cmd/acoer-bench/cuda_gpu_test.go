package main

// CLI tests that need a CUDA device (they skip without one): a run on CUDA killed with SIGKILL at
// random moments and resumed gives the samples of an uninterrupted CUDA run, and records the GPU.

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/acoer/acoer-bench/bench"
	"github.com/acoer/acoer-bench/runner"
	"github.com/acoer/acoer-bench/runner/ort"
)

func needCUDADevice(t *testing.T) {
	t.Helper()
	if _, err := ort.Discover(""); err != nil {
		t.Skipf("ONNX Runtime not found (make setup): %v", err)
	}
	if _, err := runner.CheckCUDA(runner.Options{}); err != nil {
		t.Skipf("no CUDA device: %s", strings.SplitN(runner.ShortORTError(err), "; run `make", 2)[0])
	}
}

func TestCUDARunKillNineResume(t *testing.T) {
	if os.Getenv("ACOER_BENCH_CLI_ARGS") != "" {
		t.Skip("child")
	}
	needCUDADevice(t)
	dir := benchE2EWorkdir(t)
	cfg := filepath.Join(dir, "benchmarks.yaml")
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	y := strings.ReplaceAll(string(b), "provider: auto", "provider: cuda")
	if y == string(b) {
		t.Fatal("the default config names no provider: auto to replace")
	}
	os.WriteFile(cfg, []byte(y), 0o644)
	ref := filepath.Join(dir, "ref")
	if code, _, errOut := benchCLI("run", "--config", cfg, "--out", ref, "--quiet"); code != 0 {
		t.Fatal(errOut)
	}
	res, err := bench.ReadResults(ref)
	if err != nil {
		t.Fatal(err)
	}
	for name, m := range res.Provenance.Models {
		if m.Provider != "cuda" || m.CUDA == nil || m.CUDA.GPU == "" || m.CUDA.DriverCUDA == "" {
			t.Fatalf("model %s provenance: provider %q, cuda %+v", name, m.Provider, m.CUDA)
		}
		t.Logf("%s: %+v", name, *m.CUDA)
	}
	r := rand.New(rand.NewPCG(5, 3))
	out := filepath.Join(dir, "killed")
	kills := killUntilDone(t, cfg, out, r, 300, 1500, 200)
	t.Logf("%d kills before the run completed", kills)
	for _, m := range []string{"baseline", "candidate"} {
		k := bench.TaskKey{Model: m, Dataset: "arith20", Decoding: "greedy"}
		if a, b := benchSansTimings(t, bench.SamplesPath(ref, k)), benchSansTimings(t, bench.SamplesPath(out, k)); !reflect.DeepEqual(a, b) {
			t.Fatalf("%s on CUDA differs from an uninterrupted CUDA run", k)
		}
	}
}
