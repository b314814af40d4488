package runner

// CPU-side tests of the CUDA path: the self-test's comparator and its tolerances, node placement, the
// float32-GroupQueryAttention warning, intra-op settings. The tests that need a GPU are in
// cuda_gpu_test.go.

import (
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/acoer/acoer-bench/runner/onnxbuild"
)

// TestPlacementAPITableIndexes checks placement.go's OrtApi positions against onnxruntime_go's header,
// as TestOrtAPITableIndexes does for ortapi.go.
func TestPlacementAPITableIndexes(t *testing.T) { checkTableIndexes(t, "placement.go", "PL_", 8) }

func openDir(t *testing.T, dir string, opts Options) *Model {
	t.Helper()
	if opts.Provider == "" {
		opts.Provider = ProviderCPU
	}
	opts.Log = io.Discard
	m, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// The comparator the CUDA self-test uses: the same graph on the same provider agrees exactly; a float16
// KV cache against a float32 one (every cached key and value rounded to float16: a larger perturbation
// than CUDA's, whose float16 cache differs from the CPU's by single roundings) stays within
// CUDATolFloat16 and is caught by CUDATolFloat32; another seed's weights fail both.
func TestSelfTestComparatorAndTolerances(t *testing.T) {
	needORT(t)
	d32, _ := tinyDir(t, false, false, 0)
	d16, _ := tinyDir(t, false, true, 0)
	m32, m32b, m16 := openDir(t, d32, Options{}), openDir(t, d32, Options{}), openDir(t, d16, Options{})

	same := CUDAGraphCheck{Tolerance: CUDATolFloat32}
	if err := compareLogits(m32, m32b, &same); err != nil {
		t.Fatal(err)
	}
	if !same.OK || same.MaxAbsDiff != 0 || same.Steps != 9 || same.Rows != 2 || !(same.Scale >= 1) {
		t.Fatalf("same graph: %+v", same)
	}
	f16 := CUDAGraphCheck{Tolerance: CUDATolFloat16}
	if err := compareLogits(m32, m16, &f16); err != nil {
		t.Fatal(err)
	}
	t.Logf("float16 KV against float32 KV: max |Δlogit| %.3g, scale %.3g (%.2g relative; tolerance %g)", f16.MaxAbsDiff, f16.Scale, f16.MaxAbsDiff/f16.Scale, CUDATolFloat16)
	if !f16.OK || f16.MaxAbsDiff == 0 {
		t.Fatalf("float16 KV: %+v", f16)
	}
	if f16.MaxAbsDiff <= CUDATolFloat32*f16.Scale {
		t.Fatalf("the float32 tolerance would accept float16 rounding of the cache: %+v", f16)
	}

	cfg, _ := onnxbuild.Preset("tiny", len(onnxbuild.ByteTokenizerPieces()))
	other := t.TempDir()
	if err := onnxbuild.WriteSeededModelDir(other, cfg, 6, 0, onnxbuild.DirOptions{}); err != nil {
		t.Fatal(err)
	}
	bad := CUDAGraphCheck{Tolerance: CUDATolFloat16}
	if err := compareLogits(m32, openDir(t, other, Options{}), &bad); err != nil {
		t.Fatal(err)
	}
	if bad.OK || !strings.Contains(bad.Error, "differ") {
		t.Fatalf("other weights passed: %+v", bad)
	}
}

// Every session records node placement; on the CPU every node is the CPU's, and read as a GPU
// session's, the decoder's compute ops are what ComputeOnCPU names.
func TestSessionPlacement(t *testing.T) {
	needORT(t)
	for _, genai := range []bool{false, true} {
		dir, _ := tinyDir(t, genai, false, 0)
		m := openDir(t, dir, Options{})
		p, err := sessionPlacement(engineSession(m.st), cpuEP)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Nodes) == 0 || p.NodesPerEP[cpuEP] != len(p.Nodes) || len(p.NodesPerEP) != 1 || p.OnCPU != nil {
			t.Fatalf("genai %v: %+v", genai, p)
		}
		p.summarize("CUDAExecutionProvider")
		want := "MatMul"
		if genai {
			want = "GroupQueryAttention"
		}
		if !strings.Contains(strings.Join(p.ComputeOnCPU, ","), want) || p.OnCPU["Shape"] == 0 && !genai {
			t.Fatalf("genai %v: compute on CPU %v, on CPU %v", genai, p.ComputeOnCPU, p.OnCPU)
		}
		for _, op := range p.ComputeOnCPU {
			if op == "Shape" || op == "Gather" || op == "Cast" {
				t.Fatalf("shape arithmetic %s listed as a compute fallback", op)
			}
		}
		if s := p.String(); !strings.Contains(s, "CPUExecutionProvider") || !strings.Contains(s, want) {
			t.Fatalf("String() = %q", s)
		}
	}
}

// A float32 GroupQueryAttention graph gets the CUDA warning; float16 and standard graphs do not.
func TestCUDAContractWarnings(t *testing.T) {
	for _, c := range []struct {
		c    Contract
		warn bool
	}{
		{Contract{GroupQueryAttention: true, KVType: "float32"}, true},
		{Contract{GroupQueryAttention: true, KVType: "float16"}, false},
		{Contract{KVType: "float32"}, false},
	} {
		w := CUDAContractWarnings(c.c)
		if (len(w) > 0) != c.warn || c.warn && !strings.Contains(w[0], "float16/bfloat16 only") {
			t.Errorf("%+v: %v", c.c, w)
		}
	}
	needORT(t)
	dir, _ := tinyDir(t, true, false, 0)
	chk, err := Check(dir, Options{Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if len(CUDAContractWarnings(chk.Contract())) != 1 {
		t.Fatal("a build-model --genai graph (float32 GroupQueryAttention) gets no CUDA warning")
	}
}

// Intra-op threads and spinning reach the session, are recorded, and change no number: a session with
// one thread and no spinning gives the default session's logits bit for bit (which is why the config
// hash leaves them out).
func TestThreadsAndSpinning(t *testing.T) {
	needORT(t)
	dir, _ := tinyDir(t, false, false, 0)
	off := false
	a := openDir(t, dir, Options{})
	b := openDir(t, dir, Options{IntraOpThreads: 1, Spinning: &off})
	if i := b.Info(); i.IntraOpThreads != 1 || i.Spinning == nil || *i.Spinning || a.Info().Spinning != nil {
		t.Fatalf("info %+v / %+v", i, a.Info())
	}
	want, _, err := traceLogits(a, [][]int64{{1, 5, 9, 20, 3, 7, 8}, {1, 2, 3, 4, 5, 6, 7}}, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := traceLogits(b, [][]int64{{1, 5, 9, 20, 3, 7, 8}, {1, 2, 3, 4, 5, 6, 7}}, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatal("one intra-op thread without spinning changed the logits")
	}
	if _, err := Open(dir, Options{Provider: ProviderCPU, IntraOpThreads: -1, Log: io.Discard}); err == nil || !strings.Contains(err.Error(), "intra-op threads") {
		t.Fatalf("negative threads: %v", err)
	}
}

func TestShortORTError(t *testing.T) {
	long := fmt.Errorf("Error creating C session from file: /onnxruntime_src/onnxruntime/core/providers/cuda/cuda_call.cc:154 std::conditional_t<THRW, void, onnxruntime::common::Status> onnxruntime::CudaCall(ERRTYPE, const char*, const char*, SUCCTYPE, const char*, const char*, int) [with ERRTYPE = cudaError] CUDA failure 100: no CUDA-capable device is detected ; GPU=-1 ; hostname=vm ; file=/x.cc ; line=345 ; expr=cudaSetDevice(info_.device_id);")
	if got, want := ShortORTError(long), "CUDA failure 100: no CUDA-capable device is detected (in cudaSetDevice(info_.device_id))"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got := ShortORTError(fmt.Errorf("plain")); got != "plain" {
		t.Fatal(got)
	}
}
