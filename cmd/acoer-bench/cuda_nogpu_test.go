package main

// The "CUDA libraries installed, no GPU" path, end to end through the CLI: the CUDA plugin loads and
// registers, sees no device, doctor reports every library found and no device, --provider cuda fails
// with a clear one-line message (exit 3) and auto picks the CPU and says why. It runs against stand-ins
// for the CUDA 13 libraries (internal/cudastub: what the real ones do without a GPU) put first on
// LD_LIBRARY_PATH, so it runs wherever `make setup-cuda` has installed the plugin, GPU or not; and,
// where the real CUDA libraries are installed and no GPU is present, against them too.

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acoer/acoer-bench/internal/cudastub"
	"github.com/acoer/acoer-bench/runner/ort"
)

func TestCUDALibrariesNoGPU(t *testing.T) {
	if os.Getenv("ACOER_CUDA_CHILD_ARGS") != "" {
		t.Skip("child")
	}
	lib, err := ort.Discover("")
	if err != nil {
		t.Skipf("ONNX Runtime not found (make setup): %v", err)
	}
	plugin := filepath.Join(filepath.Dir(lib), ort.CUDAProviderLib)
	if _, err := os.Stat(plugin); err != nil {
		t.Skipf("the CUDA plugin is not installed (make setup-cuda): %v", err)
	}
	model := filepath.Join(t.TempDir(), "m")
	if code, _, errOut := benchCLI("build-model", "--out", model, "--seed", "3", "--preset", "tiny"); code != 0 {
		t.Fatal(errOut)
	}
	stubs := filepath.Join(t.TempDir(), "stubs")
	if err := cudastub.Write(stubs, plugin, ""); err != nil {
		t.Fatal(err)
	}
	t.Run("stubs", func(t *testing.T) {
		checkNoGPU(t, "LD_LIBRARY_PATH="+stubs+":"+os.Getenv("LD_LIBRARY_PATH"), stubs, model)
	})
	t.Run("installed", func(t *testing.T) {
		if len(ort.MissingCUDALibs()) > 0 {
			t.Skipf("the CUDA 13 libraries are not installed here (%v): the stubs subtest covers the path", ort.MissingCUDALibs())
		}
		if d := ort.DriverInfo(); len(d.GPUs) > 0 {
			t.Skipf("a GPU is present (%s): the CUDA tests cover it", d.Summary())
		}
		checkNoGPU(t, "", "", model)
	})
}

// checkNoGPU runs the CLI with env added: doctor, generate --provider cuda, generate (auto).
func checkNoGPU(t *testing.T, env, libDir, model string) {
	code, out, errOut := cudaChild(t, env, "doctor", "--json")
	if code != 0 {
		t.Fatalf("doctor: exit %d\n%s", code, errOut)
	}
	var r doctorReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("doctor --json: %v\n%s", err, out)
	}
	for _, l := range r.CUDALibs {
		if l.Optional {
			continue
		}
		if !l.Found || libDir != "" && filepath.Dir(l.Path) != libDir {
			t.Errorf("library %+v, want found in %s", l, libDir)
		}
	}
	if r.Driver == nil || !r.Driver.Loaded || len(r.Driver.GPUs) != 0 || r.Driver.Error == "" {
		t.Errorf("driver %+v", r.Driver)
	}
	if r.CUDAOK || r.CUDAProvider != "" || r.AutoPicks != "cpu" || !strings.Contains(r.CUDAProviderError, "no CUDA device") ||
		len(r.Providers) != 1 || len(r.SelfTests) != 1 || !r.SelfTests[0].OK {
		t.Errorf("doctor: cuda ok %v, provider %q, error %q, auto %q, providers %v, self-tests %+v",
			r.CUDAOK, r.CUDAProvider, r.CUDAProviderError, r.AutoPicks, r.Providers, r.SelfTests)
	}
	code, _, errOut = cudaChild(t, env, "generate", "--model", model, "--prompt", "hi", "--max-new-tokens", "3", "--provider", "cuda")
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	last := lines[len(lines)-1]
	if code != exitRuntime || !strings.HasPrefix(last, "acoer-bench generate: provider cuda: no CUDA device: ") || len(last) > 400 {
		t.Errorf("--provider cuda: exit %d, stderr:\n%s", code, errOut)
	}
	code, _, errOut = cudaChild(t, env, "generate", "--model", model, "--prompt", "hi", "--max-new-tokens", "3")
	if code != 0 || !strings.Contains(errOut, "acoer-bench: provider auto: using cpu (cuda unavailable: no CUDA device: NVIDIA driver") ||
		!strings.Contains(errOut, "provider cpu]") {
		t.Errorf("auto: exit %d, stderr:\n%s", code, errOut)
	}
}

// cudaChild runs this test binary as the CLI with args, env added to its environment.
func cudaChild(t *testing.T, env string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCUDAChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "ACOER_CUDA_CHILD_ARGS="+strings.Join(args, "\x1f"))
	if env != "" {
		cmd.Env = append(cmd.Env, env)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	// The child's test framework prints its own lines after the CLI's output.
	o := out.String()
	if i := strings.LastIndex(o, "\n--- "); i >= 0 {
		o = o[:i+1]
	}
	for _, tail := range []string{"PASS\n", "FAIL\n"} {
		o = strings.TrimSuffix(o, tail)
	}
	return code, o, errb.String()
}

// TestCUDAChild is cudaChild's child: the CLI with the args it is given, exiting with its code.
func TestCUDAChild(t *testing.T) {
	args := os.Getenv("ACOER_CUDA_CHILD_ARGS")
	if args == "" {
		t.Skip("only run as a child of the CUDA CLI tests")
	}
	os.Exit(runMain(context.Background(), strings.Split(args, "\x1f"), os.Stdin, os.Stdout, os.Stderr))
}

// doctor --model warns about a float32 GroupQueryAttention graph on CUDA, and says nothing for a
// standard graph.
func TestDoctorModelCUDAWarning(t *testing.T) {
	if _, err := ort.Discover(""); err != nil {
		t.Skipf("ONNX Runtime not found (make setup): %v", err)
	}
	dir := t.TempDir()
	for _, m := range [][]string{{"--out", filepath.Join(dir, "genai"), "--genai"}, {"--out", filepath.Join(dir, "std")}} {
		if code, _, errOut := benchCLI(append([]string{"build-model", "--seed", "3", "--preset", "tiny"}, m...)...); code != 0 {
			t.Fatal(errOut)
		}
	}
	code, out, errOut := benchCLI("doctor", "--model", filepath.Join(dir, "genai"))
	if code != 0 || !strings.Contains(out, "genai: this graph's GroupQueryAttention works in float32") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = benchCLI("doctor", "--model", filepath.Join(dir, "std"))
	if code != 0 || strings.Contains(out, "GroupQueryAttention works in float32") {
		t.Fatalf("std: exit %d\n%s", code, out)
	}
	if code, _, _ := benchCLI("doctor", "--model", filepath.Join(dir, "nope")); code != exitUsage {
		t.Fatalf("a missing model directory: exit %d", code)
	}
}
