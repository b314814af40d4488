package runner

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/acoer/acoer-bench/runner/onnxbuild"
	"github.com/acoer/acoer-bench/runner/ort"
)

// SelfTest opens a TinyDecoder model (written to a temporary directory) on opts.Provider and checks a
// small batched greedy generation against the decoder's Go reference: an end-to-end check of ONNX
// Runtime, the provider, the session plumbing and the generation loop, without any model files. It
// returns the provider actually used.
func SelfTest(ctx context.Context, opts Options) (string, error) {
	dir, err := os.MkdirTemp("", "acoer-selftest-*")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	const eos = 3
	td := TinyDecoder{Vocab: 64, Layers: 2}
	if err := td.WriteDir(dir, 512, eos); err != nil {
		return "", err
	}
	opts.Tokenizer = func(string) (Tokenizer, error) { return idTokenizer{td.Vocab}, nil }
	m, err := Open(dir, opts)
	if err != nil {
		return "", err
	}
	defer m.Close()
	prompts := [][]int{{1, 5, 9}, {1}, {1, 12, 3, 30, 7, 20, 4}}
	reqs := make([]Request, len(prompts))
	for i, p := range prompts {
		reqs[i] = Request{PromptIDs: p}
	}
	out, err := m.Generate(ctx, reqs, Decoding{MaxNewTokens: 16})
	if err != nil {
		return m.Provider(), err
	}
	for i, p := range prompts {
		if want := td.Greedy(p, 16, eos); !reflect.DeepEqual(out[i].IDs, want) {
			return m.Provider(), fmt.Errorf("self-test on %s: prompt %v generated %v, want %v", m.Provider(), p, out[i].IDs, want)
		}
	}
	return m.Provider(), nil
}

// WriteDir writes a model directory around the graph: model.onnx, config.json and generation_config.json.
// It has no tokenizer files (the graph has no real vocabulary): pass Options.Tokenizer to Open.
func (s TinyDecoder) WriteDir(dir string, contextLength, eos int) error {
	files := map[string][]byte{
		"model.onnx":             s.ONNX(),
		"config.json":            []byte(fmt.Sprintf(`{"vocab_size": %d, "max_position_embeddings": %d, "num_hidden_layers": %d, "num_key_value_heads": 1, "head_dim": 1}`, s.Vocab, contextLength, s.Layers)),
		"generation_config.json": []byte(fmt.Sprintf(`{"eos_token_id": [%d], "pad_token_id": 0}`, eos)),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// idTokenizer decodes ids as "<id>" (for graphs without a vocabulary).
type idTokenizer struct{ vocab int }

func (t idTokenizer) Encode(text string, addSpecial bool) []int {
	var ids []int
	for _, f := range strings.Fields(text) {
		if id, err := strconv.Atoi(strings.Trim(f, "<>")); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}
func (t idTokenizer) Decode(ids []int, skip bool) string {
	var b strings.Builder
	for _, id := range ids {
		fmt.Fprintf(&b, "<%d>", id)
	}
	return b.String()
}
func (t idTokenizer) TokenToID(s string) (int, bool) {
	id, err := strconv.Atoi(strings.Trim(s, "<>"))
	return id, err == nil
}
func (t idTokenizer) VocabSize() int              { return t.vocab }
func (t idTokenizer) Settings() TokenizerSettings { return TokenizerSettings{} }
func (t idTokenizer) ApplyChat([]ChatMessage, bool) (string, error) {
	return "", fmt.Errorf("no chat template")
}

// Tolerances of the CUDA self-test: the largest logit difference between CUDA and the CPU, relative to
// max(1, the largest |logit| of the CPU's). float32 graphs run in full float32 on CUDA (use_tf32 off),
// so they differ only by the order of float32 sums: 1e-4 (float32's unit roundoff is 6e-8). A float16
// KV cache rounds every cached key and value to float16 (unit roundoff 2^-11 ≈ 4.9e-4); CUDA's and the
// CPU's float32 keys differ in their last bits, so some of them round to neighbouring float16 values.
// Rounding the whole cache to float16 moves the self-test graph's logits by 2.2e-4 of their scale
// (measured on the CPU against the float32 cache: TestSelfTestComparatorAndTolerances), so 1e-3 bounds
// CUDA's single roundings with a margin of four.
const (
	CUDATolFloat32 = 1e-4
	CUDATolFloat16 = 1e-3
)

// CUDAGraphCheck is the CUDA self-test on one seeded graph: prefill and decode steps on CUDA and on the
// CPU, fed the same tokens, with every step's logits compared.
type CUDAGraphCheck struct {
	Graph string `json:"graph"`
	// Started: the CUDA session was created.
	Started bool `json:"started"`
	// Steps is the number of steps compared (one prefill, then decode steps) over Rows rows.
	Steps int `json:"steps"`
	Rows  int `json:"rows"`
	// MaxAbsDiff is the largest |logit(CUDA) - logit(CPU)|; Scale max(1, max |logit(CPU)|); Tolerance the
	// relative bound (CUDATolFloat32 / CUDATolFloat16): OK when MaxAbsDiff <= Tolerance × Scale.
	MaxAbsDiff float64 `json:"max_abs_diff"`
	Scale      float64 `json:"scale"`
	Tolerance  float64 `json:"tolerance"`
	// ArgmaxAgree: CUDA's greedy token equals the CPU's at every step and row whose top two CPU logits
	// are further apart than the tolerance (a near tie may go either way).
	ArgmaxAgree bool `json:"argmax_agree"`
	OK          bool `json:"ok"`
	// Placement is where the CUDA session's nodes ran; ComputeOnCPU the decoder ops left on the CPU.
	Placement    string   `json:"placement,omitempty"`
	ComputeOnCPU []string `json:"compute_on_cpu,omitempty"`
	// KVCache is where the CUDA session's cache lived (Info.KVCache).
	KVCache string `json:"kv_cache,omitempty"`
	Error   string `json:"error,omitempty"`
	// Note explains an expected difference (a float32 GroupQueryAttention graph's attention on the CPU).
	Note string `json:"note,omitempty"`
}

// CUDACheck is the CUDA self-test's result. OK only when every graph ran on CUDA and agreed with the
// CPU within its tolerance.
type CUDACheck struct {
	OK bool `json:"ok"`
	// Started: a CUDA session was created for every graph (false: the provider appends but cannot run,
	// e.g. no GPU; Error says why).
	Started bool             `json:"started"`
	How     string           `json:"how,omitempty"`
	Error   string           `json:"error,omitempty"`
	Graphs  []CUDAGraphCheck `json:"graphs,omitempty"`
	// SignalHandlersRestored is ort.Restored() after the test.
	SignalHandlersRestored []string `json:"signal_handlers_restored,omitempty"`
}

var cudaSelfTest struct {
	once sync.Once
	res  CUDACheck
}

// CUDASelfTestOnce is CUDASelfTest, run once per process (the result is kept): what provider auto
// consults before it picks CUDA.
func CUDASelfTestOnce(opts Options) CUDACheck {
	cudaSelfTest.once.Do(func() { cudaSelfTest.res = CUDASelfTest(context.Background(), opts) })
	return cudaSelfTest.res
}

// selfTestGraphs are the seeded graphs the CUDA self-test compares: the Llama-family decoder with a
// float32 and a float16 KV cache, and the genai layout (GroupQueryAttention, float32: its attention is
// expected on the CPU, which the check reports and does not fail on).
var selfTestGraphs = []struct {
	name        string
	kv16, genai bool
	tol         float64
}{
	{"llama tiny, float32 KV", false, false, CUDATolFloat32},
	{"llama tiny, float16 KV", true, false, CUDATolFloat16},
	{"genai tiny (GroupQueryAttention), float32", false, true, CUDATolFloat32},
}

// CUDASelfTest runs each selfTestGraphs graph on CUDA and on the CPU: a prefill of two 7-token rows and
// 8 decode steps, every step fed the CPU's greedy tokens on both, and compares every step's logits
// (CUDAGraphCheck). It needs a CUDA device; without one, OK is false and Error says why.
func CUDASelfTest(ctx context.Context, opts Options) CUDACheck {
	var r CUDACheck
	defer func() { r.SignalHandlersRestored = ort.Restored() }()
	how, err := CheckCUDA(opts)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.How, r.OK, r.Started = how, true, true
	for _, g := range selfTestGraphs {
		c := cudaCheckGraph(ctx, opts, g.name, g.kv16, g.genai, g.tol)
		r.Started = r.Started && c.Started
		if !c.Started {
			r.OK, r.Error, r.Graphs = false, c.Error, append(r.Graphs, c)
			return r // the next graphs would fail the same way
		}
		if !c.OK {
			r.OK = false
			if r.Error == "" {
				r.Error = c.Graph + ": " + c.Error
			}
		}
		r.Graphs = append(r.Graphs, c)
	}
	return r
}

func cudaCheckGraph(ctx context.Context, opts Options, name string, kv16, genai bool, tol float64) (c CUDAGraphCheck) {
	c = CUDAGraphCheck{Graph: name, Tolerance: tol, Rows: 2}
	fail := func(err error) CUDAGraphCheck {
		c.OK, c.Error = false, err.Error()
		return c
	}
	dir, err := os.MkdirTemp("", "acoer-cudatest-*")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(dir)
	cfg, err := onnxbuild.Preset("tiny", len(onnxbuild.ByteTokenizerPieces()))
	if err != nil {
		return fail(err)
	}
	cfg.KVFloat16, cfg.GenAI = kv16, genai
	if err := onnxbuild.WriteSeededModelDir(dir, cfg, 11, 0, onnxbuild.DirOptions{}); err != nil {
		return fail(err)
	}
	open := func(provider string) (*Model, error) {
		o := opts
		o.Provider, o.Log = provider, io.Discard
		return Open(dir, o)
	}
	cpu, err := open(ProviderCPU)
	if err != nil {
		return fail(fmt.Errorf("on the CPU: %w", err))
	}
	defer cpu.Close()
	gpu, err := open(ProviderCUDA)
	if err != nil {
		return fail(err)
	}
	defer gpu.Close()
	c.Started = true
	if ci := gpu.Info().CUDA; ci != nil {
		c.Placement, c.ComputeOnCPU = ci.Placement, ci.ComputeOnCPU
	}
	c.KVCache = gpu.Info().KVCache
	if err := compareLogits(cpu, gpu, &c); err != nil {
		return fail(err)
	}
	if genai && len(c.ComputeOnCPU) > 0 {
		c.Note = "expected: ONNX Runtime's CUDA GroupQueryAttention is float16/bfloat16 only, so this float32 graph's attention ran on the CPU (placement above)"
	}
	return c
}

// compareLogits runs the self-test's prompts through ref and other (teacher-forced with ref's greedy
// tokens) and fills c's Steps, Scale, MaxAbsDiff, ArgmaxAgree and OK against c.Tolerance.
func compareLogits(ref, other *Model, c *CUDAGraphCheck) error {
	prompts := [][]int64{{1, 72, 101, 108, 108, 111, 33}, {1, 50, 43, 50, 61, 32, 63}}
	c.Rows = len(prompts)
	want, tokens, err := traceLogits(ref, prompts, 8, nil)
	if err != nil {
		return fmt.Errorf("on %s: %w", ref.Provider(), err)
	}
	got, _, err := traceLogits(other, prompts, 8, tokens)
	if err != nil {
		return fmt.Errorf("on %s: %w", other.Provider(), err)
	}
	tol := c.Tolerance
	c.Steps, c.Scale, c.MaxAbsDiff, c.ArgmaxAgree = len(want), 1, 0, true
	for _, step := range want {
		for _, v := range step {
			c.Scale = math.Max(c.Scale, math.Abs(float64(v)))
		}
	}
	vocab := ref.contract.Vocab
	for s := range want {
		for i := range want[s] {
			c.MaxAbsDiff = math.Max(c.MaxAbsDiff, math.Abs(float64(got[s][i]-want[s][i])))
		}
		for r := range c.Rows {
			w, g := want[s][r*vocab:(r+1)*vocab], got[s][r*vocab:(r+1)*vocab]
			if a, b := argmax(w), argmax(g); a != b && float64(w[a]-w[b]) > tol*c.Scale {
				c.ArgmaxAgree = false
			}
		}
	}
	c.OK = c.MaxAbsDiff <= tol*c.Scale && c.ArgmaxAgree
	if !c.OK {
		c.Error = fmt.Sprintf("%s's logits differ from %s's by up to %.3g (tolerance %.3g = %g × %.3g); greedy tokens agree: %v",
			other.Provider(), ref.Provider(), c.MaxAbsDiff, tol*c.Scale, tol, c.Scale, c.ArgmaxAgree)
	}
	return nil
}

// traceLogits runs prompts (equal lengths) through m's stepper: one prefill step, then steps decode
// steps, and returns a copy of every step's logits [rows × vocab] and the tokens fed after each step
// (forced[s] when given, else each row's greedy token).
func traceLogits(m *Model, prompts [][]int64, steps int, forced [][]int64) ([][]float32, [][]int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.st == nil {
		return nil, nil, fmt.Errorf("model is closed")
	}
	rows, seq := len(prompts), len(prompts[0])
	vocab := m.contract.Vocab
	m.st.begin(rows, seq+steps+1)
	past := m.st.alloc(rows, 0)
	var ids []int64
	for _, p := range prompts {
		if len(p) != seq {
			return nil, nil, fmt.Errorf("traceLogits: prompts of different lengths")
		}
		ids = append(ids, p...)
	}
	width := 0
	var all [][]float32
	var fed [][]int64
	for s := 0; s <= steps; s++ {
		mask := make([]int64, rows*(width+seq))
		for i := range mask {
			mask[i] = 1
		}
		pos := make([]int64, rows*seq)
		for r := range rows {
			for j := range seq {
				pos[r*seq+j] = int64(width + j)
			}
		}
		logits, present, err := m.st.step(past, ids, mask, pos, seq, nil)
		if err != nil {
			return nil, nil, err
		}
		all = append(all, append([]float32(nil), logits[:rows*vocab]...))
		past, width = present, width+seq
		next := make([]int64, rows)
		for r := range rows {
			if forced != nil {
				next[r] = forced[s][r]
			} else {
				next[r] = int64(argmax(logits[r*vocab : (r+1)*vocab]))
			}
		}
		fed = append(fed, next)
		ids, seq = next, 1
	}
	m.st.release(past)
	return all, fed, nil
}
