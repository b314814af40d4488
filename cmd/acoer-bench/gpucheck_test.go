package main

// Tests of scripts/gpu-check.sh and scripts/cuda-ld-path.sh on the CPU: the script's --cpu-smoke mode
// runs every step (build, doctor, models, perf) with tiny models and writes its report; a failing step
// is reported and does not stop the others; cuda-ld-path finds pip-style library folders.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acoer/acoer-bench/runner/ort"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "scripts", "gpu-check.sh")); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	return root
}

func TestGPUCheckCPUSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds the binaries")
	}
	root := repoRoot(t)
	if _, err := ort.Discover(""); err != nil {
		t.Skipf("ONNX Runtime not found (make setup): %v", err)
	}
	out := t.TempDir()
	cmd := exec.Command("bash", filepath.Join(root, "scripts", "gpu-check.sh"), "--cpu-smoke", "--skip-tests", "--out", out, "--budget", "300", "--bin", t.TempDir())
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("gpu-check --cpu-smoke: %v\n%s", err, b)
	}
	rep, err := os.ReadFile(filepath.Join(out, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	r := string(rep)
	for _, want := range []string{"| env | ok |", "| build | ok |", "| doctor | ok |", "| tests | SKIPPED: --skip-tests |", "| models | ok |",
		"| perf-tiny | ok |", "| perf-small | ok |", "| perf-small-long-context | ok |", "| perf-small-host-kv | ok |",
		"mode: CPU smoke", "ONNX Runtime    1.29.0", "| Batch | Prompt | Generated | Decode tokens/s"} {
		if !strings.Contains(r, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(r)
	}
}

// A step that fails, one that times out and the budget running out are marked in the report; the script
// still writes it and exits 1.
func TestGPUCheckFailingStep(t *testing.T) {
	root := repoRoot(t)
	out := t.TempDir()
	// A PATH without go and no prebuilt binaries under a copy of the scripts: every step but env skips
	// or fails quickly.
	tmp := t.TempDir()
	os.MkdirAll(filepath.Join(tmp, "scripts"), 0o755)
	for _, f := range []string{"gpu-check.sh", "cuda-ld-path.sh"} {
		b, _ := os.ReadFile(filepath.Join(root, "scripts", f))
		os.WriteFile(filepath.Join(tmp, "scripts", f), b, 0o755)
	}
	os.MkdirAll(filepath.Join(tmp, "bin"), 0o755)
	os.WriteFile(filepath.Join(tmp, "bin", "acoer-bench"), []byte("#!/bin/sh\n[ \"$1\" = perf ] && sleep 60\necho broken >&2\nexit 3\n"), 0o755)
	for _, m := range []string{"tiny", "small"} {
		os.MkdirAll(filepath.Join(out, "models", m), 0o755)
		os.WriteFile(filepath.Join(out, "models", m, "model.onnx"), nil, 0o644)
	}
	cmd := exec.Command("bash", filepath.Join(tmp, "scripts", "gpu-check.sh"), "--cpu-smoke", "--out", out, "--budget", "13")
	cmd.Env = append(os.Environ(), "PATH=/usr/bin:/bin")
	b, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("want exit 1, got %v\n%s", err, b)
	}
	rep, err := os.ReadFile(filepath.Join(out, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| env | ok |", "| build | SKIPPED: no Go toolchain", "| doctor | FAILED (exit 3) |", "broken",
		"| perf-tiny | TIMED OUT after", "| perf-small | SKIPPED (budget) |"} {
		if !strings.Contains(string(rep), want) {
			t.Errorf("the report lacks %q:\n%s", want, rep)
		}
	}
}

func TestCUDALDPath(t *testing.T) {
	root := repoRoot(t)
	sp := t.TempDir()
	for _, f := range []string{"nvidia/cu13/lib/libcudart.so.13", "nvidia/cu13/lib/libcublas.so.13", "nvidia/cu13/lib/libcublasLt.so.13", "nvidia/curand/lib/libcurand.so.10"} {
		os.MkdirAll(filepath.Join(sp, filepath.Dir(f)), 0o755)
		os.WriteFile(filepath.Join(sp, f), nil, 0o644)
	}
	cmd := exec.Command("bash", filepath.Join(root, "scripts", "cuda-ld-path.sh"))
	cmd.Env = append(os.Environ(), "CUDA_LD_PATH_ROOTS="+filepath.Join(sp, "nvidia"), "LD_LIBRARY_PATH=/already")
	b, err := cmd.Output()
	want := filepath.Join(sp, "nvidia/cu13/lib") + ":" + filepath.Join(sp, "nvidia/curand/lib") + ":/already"
	if err != nil || strings.TrimSpace(string(b)) != want {
		t.Fatalf("got %q (%v), want %q", b, err, want)
	}
	os.Remove(filepath.Join(sp, "nvidia/curand/lib/libcurand.so.10"))
	cmd = exec.Command("bash", filepath.Join(root, "scripts", "cuda-ld-path.sh"))
	cmd.Env = append(os.Environ(), "CUDA_LD_PATH_ROOTS="+filepath.Join(sp, "nvidia"), "LD_LIBRARY_PATH=")
	b, err = cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(b), "not found: libcurand.so.10") {
		t.Fatalf("missing libcurand: %v\n%s", err, b)
	}
}
