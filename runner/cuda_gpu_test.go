package runner

// Tests that need a CUDA device: they skip with the reason when none is there (no plugin, no CUDA
// libraries, no GPU) and fail on any wrong result when one is. scripts/gpu-check.sh runs them
// (`go test ./runner -run CUDA`).

import (
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/acoer/acoer-bench/runner/onnxbuild"
	"github.com/acoer/acoer-bench/runner/ort"
)

// needCUDA skips unless a CUDA session can be appended on a device.
func needCUDA(t testing.TB) {
	t.Helper()
	needORT(t)
	if _, err := CheckCUDA(Options{}); err != nil {
		if errors.Is(err, ErrNoCUDADevice) || errors.Is(err, ort.ErrCUDAMissing) || errors.Is(err, ort.ErrCUDALibsMissing) {
			t.Skipf("no CUDA device: %s", strings.SplitN(ShortORTError(err), "; run `make", 2)[0])
		}
		t.Fatalf("the CUDA provider fails to start: %v", err)
	}
}

func cudaSeededDir(t testing.TB, preset string, kv16, genai bool, seed int64) string {
	t.Helper()
	cfg, err := onnxbuild.Preset(preset, len(onnxbuild.ByteTokenizerPieces()))
	if err != nil {
		t.Fatal(err)
	}
	cfg.KVFloat16, cfg.GenAI = kv16, genai
	dir := t.TempDir()
	if err := onnxbuild.WriteSeededModelDir(dir, cfg, seed, 0, onnxbuild.DirOptions{}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// The self-test doctor runs: every graph within its tolerance, nodes where expected.
func TestCUDASelfTestGPU(t *testing.T) {
	needCUDA(t)
	r := CUDASelfTest(context.Background(), Options{})
	for _, g := range r.Graphs {
		t.Logf("%s: max |Δlogit| %.3g (tolerance %g × %.3g), placement %s", g.Graph, g.MaxAbsDiff, g.Tolerance, g.Scale, g.Placement)
	}
	if !r.OK || !r.Started {
		t.Fatalf("CUDA self-test: %+v", r)
	}
	if len(r.SignalHandlersRestored) > 0 {
		t.Logf("signal handlers the CUDA libraries replaced (restored): %v", r.SignalHandlersRestored)
	}
}

// The KV cache bound on the device (the default) gives the CPU's logits within the stated tolerance,
// for float32 and float16 caches, on the small preset (4 layers, 256 wide); the Go-buffer cache on
// CUDA agrees with the device-bound one to float32 rounding.
func TestCUDABoundKVEqualsCPU(t *testing.T) {
	needCUDA(t)
	for _, kv16 := range []bool{false, true} {
		dir := cudaSeededDir(t, "small", kv16, false, 21)
		tol := CUDATolFloat32
		if kv16 {
			tol = CUDATolFloat16
		}
		cpu := openDir(t, dir, Options{})
		dev := openDir(t, dir, Options{Provider: ProviderCUDA})
		host := openDir(t, dir, Options{Provider: ProviderCUDA, HostKV: true})
		if kc := dev.Info().KVCache; !strings.HasPrefix(kc, "device (") || strings.HasPrefix(kc, "device (Cpu") {
			t.Fatalf("kv16 %v: the cache lived in %q", kv16, kc)
		}
		c := CUDAGraphCheck{Tolerance: tol}
		if err := compareLogits(cpu, dev, &c); err != nil {
			t.Fatal(err)
		}
		t.Logf("kv16 %v: device-bound cache on CUDA vs CPU: max |Δlogit| %.3g (tolerance %g × %.3g)", kv16, c.MaxAbsDiff, tol, c.Scale)
		if !c.OK {
			t.Fatalf("kv16 %v: %s", kv16, c.Error)
		}
		h := CUDAGraphCheck{Tolerance: CUDATolFloat32}
		if err := compareLogits(dev, host, &h); err != nil {
			t.Fatal(err)
		}
		t.Logf("kv16 %v: Go-buffer cache vs device-bound cache on CUDA: max |Δlogit| %.3g", kv16, h.MaxAbsDiff)
		if !h.OK {
			t.Fatalf("kv16 %v: %s", kv16, h.Error)
		}
	}
}

// Greedy generation of a float32 model on CUDA (use_tf32 off) gives the CPU's tokens, through the
// scheduler (in-flight batching: 6 requests, 3 slots, refills and compaction on the device).
func TestCUDAGreedyEqualsCPUFloat32(t *testing.T) {
	needCUDA(t)
	dir := cudaSeededDir(t, "small", false, false, 22)
	var reqs []Request
	for i, p := range []string{"Once", "The answer is", "12*13=", "a", "Question: what is 2+2?", "zzz"} {
		ids := []int{1}
		for _, b := range []byte(p) {
			ids = append(ids, int(b)+3)
		}
		reqs = append(reqs, Request{PromptIDs: ids, Seed: uint64(i)})
	}
	run := func(m *Model) [][]int {
		var out [][]int
		res := make([]Completion, len(reqs))
		if _, err := m.Stream(context.Background(), reqs, Decoding{MaxNewTokens: 48}, 3, func(i int, c Completion) error {
			res[i] = c
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for _, c := range res {
			out = append(out, c.IDs)
		}
		return out
	}
	want, got := run(openDir(t, dir, Options{})), run(openDir(t, dir, Options{Provider: ProviderCUDA}))
	if !reflect.DeepEqual(got, want) {
		for i := range want {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Errorf("request %d: CUDA %v\nCPU %v", i, got[i], want[i])
			}
		}
	}
}

// A float32 genai graph on CUDA: opened with the warning, GroupQueryAttention placed on the CPU (and
// said so in Info), and its logits still the CPU's.
func TestCUDAGenAIFloat32Warns(t *testing.T) {
	needCUDA(t)
	dir := cudaSeededDir(t, "tiny", false, true, 23)
	m := openDir(t, dir, Options{Provider: ProviderCUDA})
	info := m.Info()
	if info.CUDA == nil || !strings.Contains(strings.Join(info.CUDA.ComputeOnCPU, ","), "GroupQueryAttention") {
		t.Fatalf("placement: %+v", info.CUDA)
	}
	if w := strings.Join(info.Warnings, "\n"); !strings.Contains(w, "float16/bfloat16 only") || !strings.Contains(w, "placed these decoder ops on the CPU") {
		t.Fatalf("warnings: %s", w)
	}
	t.Logf("placement: %s", info.CUDA.Placement)
	c := CUDAGraphCheck{Tolerance: CUDATolFloat32}
	if err := compareLogits(openDir(t, dir, Options{}), m, &c); err != nil || !c.OK {
		t.Fatalf("%v %+v", err, c)
	}
}

// Provenance of a CUDA session: GPU, driver, use_tf32 and placement.
func TestCUDAInfo(t *testing.T) {
	needCUDA(t)
	m := openDir(t, cudaSeededDir(t, "tiny", false, false, 24), Options{Provider: ProviderCUDA})
	ci := m.Info().CUDA
	if ci == nil || ci.GPU == "" || ci.ComputeCapability == "" || ci.DriverCUDA == "" || ci.UseTF32 != CUDAUseTF32 || ci.Placement == "" {
		t.Fatalf("CUDA info %+v", ci)
	}
	t.Logf("%+v", *ci)
}

// Decode speed on CUDA, device-bound cache against the Go-buffer one (figures in the log; the gpu-check
// report has the full perf tables).
func TestCUDAPerf(t *testing.T) {
	needCUDA(t)
	dir := cudaSeededDir(t, "medium", true, false, 25)
	for _, host := range []bool{false, true} {
		m, err := Open(dir, Options{Provider: ProviderCUDA, HostKV: host, Log: io.Discard})
		if err != nil {
			t.Fatal(err)
		}
		r, err := m.Perf(context.Background(), PerfOptions{PromptTokens: []int{128}, GenTokens: []int{64}, Batches: []int{1, 8}, Repeat: 2, Warmup: 1, Seed: 1, SkipBandwidth: true})
		m.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range r.Decode {
			t.Logf("host KV %v, batch %d: %.0f decode tokens/s, %.2f ms/step p50", host, d.Batch, d.TokensPerSecond, d.StepP50)
			if !(d.TokensPerSecond > 0) {
				t.Fatalf("%+v", d)
			}
		}
	}
}
