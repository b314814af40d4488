package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/acoer/acoer-bench/datasets"
)

func runOnce(t testing.TB, cfg *Config, opt RunOptions, deps Deps) *RunSummary {
	t.Helper()
	sum, err := Run(context.Background(), cfg, opt, deps)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func TestRunEndToEnd(t *testing.T) {
	cfg := mustConfig(t, testConfig)
	out := t.TempDir()
	deps, _ := fakeDeps(0, "", nil)
	var progress bytes.Buffer
	sum := runOnce(t, cfg, RunOptions{Out: out, Progress: &progress}, deps)
	// 2 models x (13+7 problems) x (1 + 3 samples)
	if want := 2 * 20 * 4; sum.Generated != want {
		t.Fatalf("generated %d, want %d", sum.Generated, want)
	}
	res, err := ReadResults(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tasks) != 8 || len(res.Overall) != 4 {
		t.Fatalf("tasks %d overall %d", len(res.Tasks), len(res.Overall))
	}
	tr, ok := res.Task("candidate", "alpha", "sampled")
	if !ok || tr.Problems != 13 || tr.Samples != 39 || tr.K != 3 || !tr.Complete {
		t.Fatalf("candidate/alpha/sampled: %+v", tr)
	}
	if len(tr.PassAtK) != 3 || tr.PassAtK[2].K != 3 || len(tr.MajAtK) == 0 || tr.AvgAtK == nil || *tr.AvgAtK != tr.Accuracy.Estimate ||
		!(tr.PassAtK[0].Value.Estimate <= tr.PassAtK[1].Value.Estimate && tr.PassAtK[1].Value.Estimate <= tr.PassAtK[2].Value.Estimate) {
		t.Fatalf("pass@k %+v maj %v", tr.PassAtK, tr.MajAtK)
	}
	if tr.VsBaseline == nil || tr.VsBaseline.Problems != 13 || !(tr.VsBaseline.Tokens.Reduction.Estimate > 0.2) {
		t.Fatalf("vs baseline: %+v", tr.VsBaseline)
	}
	if len(tr.ByGroup["level"]) != 3 || tr.ByGroup["level"][0].Key != "Level 1" {
		t.Fatalf("by level: %+v", tr.ByGroup)
	}
	if !(tr.Accuracy.Low <= tr.Accuracy.Estimate && tr.Accuracy.Estimate <= tr.Accuracy.High) {
		t.Fatalf("accuracy CI: %+v", tr.Accuracy)
	}
	if tr.Truncation.N == 0 || !(tr.Throughput.PerSequenceMean > 0) || tr.TTFT.N == 0 {
		t.Fatalf("rates: %+v", tr)
	}
	// The engine figures are the sums of the samples' shares (the fake gives each sample a quarter of
	// its tokens as decode steps and its prompt as prefill tokens), with 5 slots (batch_size).
	samples, _ := ReadSamplesFile(SamplesPath(out, TaskKey{"candidate", "alpha", "sampled"}))
	var steps, prefill, wall float64
	for _, x := range samples {
		steps += x.ShareDecodeSteps
		prefill += x.SharePrefillTokens
		wall += x.ShareWallMs
	}
	th := tr.Throughput
	if th.DecodeSteps != int64(math.Round(steps)) || th.PrefillTokens != int64(math.Round(prefill)) || th.Slots != 5 ||
		math.Abs(th.WallSeconds-wall/1000) > 1e-9 || math.Abs(th.SlotUtilization-float64(th.Tokens-int64(th.Sequences))/(steps*5)) > 1e-9 ||
		math.Abs(th.TokensPerSecond-float64(th.Tokens)/(wall/1000)) > 1e-6 {
		t.Fatalf("throughput %+v from shares: steps %g prefill %g wall %g ms", th, steps, prefill, wall)
	}
	// Samples finish out of order (the fake finishes short ones first); a finished task's file is in plan
	// order.
	for _, k := range []TaskKey{{"candidate", "alpha", "sampled"}, {"baseline", "beta", "greedy"}} {
		s, _ := ReadSamplesFile(SamplesPath(out, k))
		if !slices.IsSortedFunc(s, planOrder) || len(s) == 0 {
			t.Fatalf("%s: file not in plan order", k)
		}
	}
	if b, _ := res.Task("baseline", "alpha", "greedy"); b.VsBaseline != nil {
		t.Fatal("baseline compared with itself")
	}
	p := res.Provenance
	if p.Revision != "test-rev" || p.Models["baseline"].SHA256 == "" || p.Datasets["beta"].SHA256 == "" || p.ConfigHash != cfg.Hash() ||
		p.Models["candidate"].System != "Be brief." || len(p.Decoding) != 2 {
		t.Fatalf("provenance: %+v", p)
	}
	for _, f := range []string{"report.md", "report.html", "manifest.json", "samples/candidate/beta/sampled.jsonl"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Fatal(err)
		}
	}
	html, _ := os.ReadFile(filepath.Join(out, "report.html"))
	if bytes.Contains(html, []byte("<script>")) || !bytes.Contains(html, []byte("&lt;script&gt;alert(1)&lt;/script&gt;")) {
		t.Fatal("report.html does not escape a completion containing <script>")
	}
	if !bytes.Contains(html, []byte("<svg")) || bytes.Contains(html, []byte("http://")) && bytes.Contains(html, []byte("<script src")) {
		t.Fatal("report.html has no inline SVG")
	}
	md, _ := os.ReadFile(filepath.Join(out, "report.md"))
	if !bytes.Contains(md, []byte("| candidate | alpha |")) {
		t.Fatalf("report.md:\n%s", md)
	}
	if !strings.Contains(progress.String(), "baseline/alpha/greedy: done 13/13") {
		t.Fatalf("progress:\n%s", progress.String())
	}
	// A second run generates nothing and writes the same results.
	sum2 := runOnce(t, cfg, RunOptions{Out: out}, deps)
	if sum2.Generated != 0 || sum2.Skipped != 160 {
		t.Fatalf("rerun generated %d skipped %d", sum2.Generated, sum2.Skipped)
	}
	res2, _ := ReadResults(out)
	if !reflect.DeepEqual(stripVolatile(res), stripVolatile(res2)) {
		t.Fatal("rerun changed results")
	}
	// Every report format renders.
	for _, f := range ReportFormats {
		var b bytes.Buffer
		if err := WriteReport(&b, res, f, ""); err != nil || b.Len() == 0 {
			t.Fatalf("format %s: %v", f, err)
		}
	}
}

// stripVolatile zeroes what differs between equivalent runs (host, time, shard labels) and the NaNs that
// DeepEqual would never match, via a JSON round trip.
func stripVolatile(r *Results) string {
	c := *r
	c.Provenance.Host, c.Provenance.CreatedAt, c.Provenance.Shards = "", "", nil
	b, _ := json.Marshal(c)
	return string(b)
}

func TestRunLimitModelsDatasets(t *testing.T) {
	cfg := mustConfig(t, testConfig)
	out := t.TempDir()
	deps, _ := fakeDeps(0, "", nil)
	sum := runOnce(t, cfg, RunOptions{Out: out, Limit: 2, Models: []string{"candidate"}, Datasets: []string{"beta"}}, deps)
	if sum.Generated != 2*4 {
		t.Fatalf("generated %d", sum.Generated)
	}
	if _, err := Run(context.Background(), cfg, RunOptions{Out: out, Models: []string{"nope"}}, deps); err == nil {
		t.Fatal("unknown model accepted")
	}
	// The full run reuses the 8 samples.
	sum = runOnce(t, cfg, RunOptions{Out: out}, deps)
	if sum.Generated != 160-8 {
		t.Fatalf("generated %d", sum.Generated)
	}
}

// TestResumeAfterCrash stops runs at random Generate calls (a panic, as a crash would, or a context
// cancel, as Ctrl-C would), sometimes leaves a torn line, then resumes; the samples must equal an
// uninterrupted run's: none lost, none duplicated.
func TestResumeAfterCrash(t *testing.T) {
	cfg := mustConfig(t, testConfig)
	ref := t.TempDir()
	deps, calls := fakeDeps(0, "", nil)
	runOnce(t, cfg, RunOptions{Out: ref}, deps)
	totalCalls := *calls
	want := canonical(t, ref)
	refRes, _ := ReadResults(ref)

	partial := 0
	for seed := uint64(1); seed <= 6; seed++ {
		r := rand.New(rand.NewPCG(seed, 99))
		out := t.TempDir()
		for attempt := 0; attempt < 3; attempt++ {
			ctx, cancel := context.WithCancel(context.Background())
			mode := []string{"panic", "cancel"}[r.IntN(2)]
			d, _ := fakeDeps(1+r.IntN(totalCalls), mode, cancel)
			func() {
				defer func() { recover() }()
				_, err := Run(ctx, cfg, RunOptions{Out: out}, d)
				if err != nil && !errors.Is(err, ErrInterrupted) {
					t.Errorf("seed %d: %v", seed, err)
				}
				if err != nil && strings.Contains(err.Error(), "context canceled") {
					t.Errorf("seed %d: the message says %q", seed, err)
				}
			}()
			cancel()
			if n := countSamples(t, out); n > 0 && n < 160 {
				partial++
			}
			if r.IntN(2) == 0 {
				tearRandomFile(t, out, r)
			}
		}
		d, _ := fakeDeps(0, "", nil)
		runOnce(t, cfg, RunOptions{Out: out}, d)
		got := canonical(t, out)
		if !reflect.DeepEqual(got, want) {
			for k := range want {
				if got[k] != want[k] {
					t.Fatalf("seed %d: %s differs from an uninterrupted run", seed, k)
				}
			}
			t.Fatalf("seed %d: files differ: %d vs %d", seed, len(got), len(want))
		}
		res, _ := ReadResults(out)
		if stripVolatile(res) != stripVolatile(refRes) {
			t.Fatalf("seed %d: results differ from an uninterrupted run", seed)
		}
		// No duplicate lines on disk.
		filepath.Walk(filepath.Join(out, "samples"), func(p string, info os.FileInfo, err error) error {
			if info != nil && !info.IsDir() {
				b, _ := os.ReadFile(p)
				s, _ := ReadSamplesFile(p)
				if n := bytes.Count(b, []byte("\n")); n != len(s) {
					t.Fatalf("seed %d: %s has %d lines for %d samples", seed, p, n, len(s))
				}
				if !slices.IsSortedFunc(s, planOrder) {
					t.Fatalf("seed %d: %s is not in plan order after the resumed run", seed, p)
				}
			}
			return nil
		})
	}
	if partial < 6 {
		t.Fatalf("only %d interrupted attempts left a partial run: the test does not exercise resume", partial)
	}
}

func countSamples(t *testing.T, dir string) int {
	n := 0
	for _, s := range canonical(t, dir) {
		n += strings.Count(s, "\n")
	}
	return n
}

// tearRandomFile appends half a record to one samples file, as a write cut by kill -9 would leave.
func tearRandomFile(t *testing.T, dir string, r *rand.Rand) {
	var files []string
	filepath.Walk(filepath.Join(dir, "samples"), func(p string, info os.FileInfo, err error) error {
		if info != nil && !info.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if len(files) == 0 {
		return
	}
	f, err := os.OpenFile(files[r.IntN(len(files))], os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteString(`{"model":"baseline","dataset":"alpha","decoding":"greedy","problem_id":"p0`)
}

func TestShardMergeEqualsOneRun(t *testing.T) {
	cfg := mustConfig(t, testConfig)
	deps, _ := fakeDeps(0, "", nil)
	one := t.TempDir()
	runOnce(t, cfg, RunOptions{Out: one}, deps)
	sharded := t.TempDir()
	for i := 0; i < 3; i++ {
		sum := runOnce(t, cfg, RunOptions{Out: sharded, Shard: Shard{i, 3}}, deps)
		if sum.Dir != filepath.Join(sharded, fmt.Sprintf("shard-%d-of-3", i)) {
			t.Fatalf("shard dir %s", sum.Dir)
		}
	}
	// Missing shard is refused.
	if _, err := Merge(filepath.Join(t.TempDir(), "m"), []string{filepath.Join(sharded, "shard-0-of-3")}, MergeOptions{Revision: "test-rev"}); err == nil || !strings.Contains(err.Error(), "missing shard") {
		t.Fatalf("partial merge: %v", err)
	}
	merged := filepath.Join(t.TempDir(), "merged")
	if _, err := Merge(merged, []string{sharded}, MergeOptions{Revision: "test-rev", Host: "test-host"}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(canonical(t, merged), canonical(t, one)) {
		t.Fatal("merged samples differ from one run")
	}
	// Byte-equal files (an unsharded run writes in plan order).
	for _, k := range allTasks(cfg) {
		a, _ := os.ReadFile(SamplesPath(one, k))
		b, _ := os.ReadFile(SamplesPath(merged, k))
		if !bytes.Equal(a, b) {
			t.Fatalf("%s: merged file differs from one run's", k)
		}
	}
	r1, _ := ReadResults(one)
	r2, _ := ReadResults(merged)
	if stripVolatile(r1) != stripVolatile(r2) {
		t.Fatalf("merged results differ from one run:\n%s\n%s", stripVolatile(r1), stripVolatile(r2))
	}
	if len(r2.Provenance.Shards) != 3 {
		t.Fatalf("merged provenance shards %v", r2.Provenance.Shards)
	}
	// Merging into an existing results dir is refused.
	if _, err := Merge(merged, []string{sharded}, MergeOptions{}); err == nil {
		t.Fatal("merge over existing results accepted")
	}
}

func TestChangedConfigRefused(t *testing.T) {
	cfg := mustConfig(t, testConfig)
	out := t.TempDir()
	deps, _ := fakeDeps(0, "", nil)
	runOnce(t, cfg, RunOptions{Out: out, Datasets: []string{"beta"}}, deps)

	// Gates and batch size do not change samples: accepted.
	same := mustConfig(t, strings.Replace(strings.Replace(testConfig, "max_accuracy_drop_pp: 50", "max_accuracy_drop_pp: 5", 1), "batch_size: 4", "batch_size: 2", 1))
	runOnce(t, same, RunOptions{Out: out, Datasets: []string{"beta"}}, deps)

	changed := mustConfig(t, strings.Replace(testConfig, "max_new_tokens: 70\n    batch_size: 4", "max_new_tokens: 60\n    batch_size: 4", 1))
	_, err := Run(context.Background(), changed, RunOptions{Out: out, Datasets: []string{"beta"}}, deps)
	if !errors.Is(err, ErrConfigChanged) || !strings.Contains(err.Error(), "baseline/beta/greedy") {
		t.Fatalf("changed config: %v", err)
	}
	sum := runOnce(t, changed, RunOptions{Out: out, Datasets: []string{"beta"}, Force: true}, deps)
	// Only the greedy tasks were regenerated: 2 models x 7 problems.
	if sum.Generated != 14 {
		t.Fatalf("--force regenerated %d", sum.Generated)
	}
	// Adding a model needs no --force and regenerates nothing else.
	more := mustConfig(t, strings.Replace(strings.Replace(testConfig, "max_new_tokens: 70\n    batch_size: 4", "max_new_tokens: 60\n    batch_size: 4", 1),
		"datasets:\n", "  - name: third\n    path: models/third\ndatasets:\n", 1))
	sum = runOnce(t, more, RunOptions{Out: out, Datasets: []string{"beta"}}, deps)
	if sum.Generated != 7*4 {
		t.Fatalf("adding a model generated %d", sum.Generated)
	}
	// Removing it and re-adding it with other settings is still caught.
	runOnce(t, changed, RunOptions{Out: out, Datasets: []string{"beta"}}, deps)
	moreChat := mustConfig(t, strings.Replace(testConfig, "datasets:\n", "  - name: third\n    path: models/third\n    chat: true\ndatasets:\n", 1))
	if _, err := Run(context.Background(), moreChat, RunOptions{Out: out, Datasets: []string{"beta"}, Force: false}, deps); !errors.Is(err, ErrConfigChanged) || !strings.Contains(err.Error(), "third/beta") {
		t.Fatalf("re-added model with other settings: %v", err)
	}
	// A changed model file is refused.
	other := deps
	other.Open = func(ctx context.Context, m ModelSpec) (Generator, error) {
		calls := 0
		return &shaGen{fakeGen{name: m.Name, calls: &calls}}, nil
	}
	_, err = Run(context.Background(), changed, RunOptions{Out: out, Limit: 100}, other)
	if !errors.Is(err, ErrConfigChanged) || !strings.Contains(err.Error(), "model.onnx sha256") {
		t.Fatalf("changed model: %v", err)
	}
	// A changed dataset file is refused.
	d2 := deps
	d2.Problems = func(d DatasetSpec) ([]datasets.Problem, DatasetInfo, error) {
		ps, info, err := deps.Problems(d)
		info.SHA256 = "different"
		return ps, info, err
	}
	if _, err := Run(context.Background(), changed, RunOptions{Out: out}, d2); !errors.Is(err, ErrConfigChanged) {
		t.Fatalf("changed dataset: %v", err)
	}
}

// A changed model file is caught even when the model has nothing left to run (and so is not loaded).
func TestChangedModelRefusedWhenComplete(t *testing.T) {
	cfg := mustConfig(t, testConfig)
	out := t.TempDir()
	deps, _ := fakeDeps(0, "", nil)
	deps.ModelHashes = func(m ModelSpec) (string, string, error) {
		return fmt.Sprintf("%064x", fhash("model", m.Name)), "", nil
	}
	first := runOnce(t, cfg, RunOptions{Out: out}, deps)
	if sum := runOnce(t, cfg, RunOptions{Out: out}, deps); sum.Generated != 0 {
		t.Fatalf("an unchanged complete run generated %d", sum.Generated)
	}
	other := deps
	other.ModelHashes = func(m ModelSpec) (string, string, error) { return strings.Repeat("0", 64), "", nil }
	other.Open = func(ctx context.Context, m ModelSpec) (Generator, error) {
		calls := 0
		return &shaGen{fakeGen{name: m.Name, calls: &calls}}, nil
	}
	_, err := Run(context.Background(), cfg, RunOptions{Out: out}, other)
	if !errors.Is(err, ErrConfigChanged) || !strings.Contains(err.Error(), "model.onnx sha256") {
		t.Fatalf("changed model of a complete run: %v", err)
	}
	sum := runOnce(t, cfg, RunOptions{Out: out, Force: true}, other)
	if sum.Generated != first.Generated {
		t.Fatalf("--force after a changed model regenerated %d, want %d", sum.Generated, first.Generated)
	}
}

type shaGen struct{ fakeGen }

func (g *shaGen) Info() ModelInfo {
	i := g.fakeGen.Info()
	i.SHA256 = strings.Repeat("0", 64)
	return i
}

// Changed external weights (model.onnx.data) are refused like a changed model.onnx; a manifest written
// before data_sha256 was recorded is not refused for lacking it.
func TestCheckModelExternalData(t *testing.T) {
	dir := t.TempDir()
	m := &Manifest{Models: map[string]ModelInfo{
		"a":   {SHA256: "g1", DataSHA256: "d1"},
		"old": {SHA256: "g1"},
	}}
	if _, err := m.checkModel(dir, "a", ModelInfo{SHA256: "g1", DataSHA256: "d2"}, false); !errors.Is(err, ErrConfigChanged) || !strings.Contains(err.Error(), "external weights") {
		t.Errorf("changed weights: %v", err)
	}
	if _, err := m.checkModel(dir, "a", ModelInfo{SHA256: "g1", DataSHA256: "d1"}, false); err != nil {
		t.Errorf("same weights: %v", err)
	}
	if _, err := m.checkModel(dir, "old", ModelInfo{SHA256: "g1", DataSHA256: "d9"}, false); err != nil || m.Models["old"].DataSHA256 != "d9" {
		t.Errorf("old manifest: %v %+v", err, m.Models["old"])
	}
	if changed, err := m.checkModel(dir, "a", ModelInfo{SHA256: "g1", DataSHA256: "d3"}, true); err != nil || !changed {
		t.Errorf("--force: %v %v", changed, err)
	}
}

// fakeChecked is a CheckedModel: the fake generator's encoding, a context length and warnings.
type fakeChecked struct {
	ctx      int
	warnings []string
}

func (c fakeChecked) EncodePrompt(text string, chat ChatOptions) ([]int, error) {
	return (&fakeGen{}).EncodePrompt(text, chat)
}
func (c fakeChecked) Context() (int, string) { return c.ctx, "config.json max_position_embeddings" }
func (c fakeChecked) Warnings() []string     { return c.warnings }

// The plan is validated before anything is written: every model's check, every dataset's template,
// each context; all problems come back at once as a PlanError (one line each), no model is opened and
// the results directory is not created.
func TestRunValidatesPlanFirst(t *testing.T) {
	cfg := mustConfig(t, testConfig)
	deps, calls := fakeDeps(0, "", nil)
	opened := 0
	open := deps.Open
	deps.Open = func(ctx context.Context, m ModelSpec) (Generator, error) { opened++; return open(ctx, m) }
	deps.Check = func(m ModelSpec) (CheckedModel, error) {
		if m.Name == "candidate" {
			return nil, errors.New("/m/model.onnx does not fit the decoder contract: no input \"input_ids\"\n  found inputs:\n    ids int64[?,?]")
		}
		return fakeChecked{ctx: 90, warnings: []string{"bos disagrees"}}, nil
	}
	render := deps.Render
	deps.Render = func(tpl string, p datasets.Problem) (string, error) {
		if p.ID == "p010" { // alpha has 13 problems, beta 7
			return "", errors.New("no {question}")
		}
		return render(tpl, p)
	}
	out := filepath.Join(t.TempDir(), "out")
	var warn strings.Builder
	_, err := Run(context.Background(), cfg, RunOptions{Out: out, Warn: &warn}, deps)
	var pe *PlanError
	if !errors.As(err, &pe) || !errors.Is(err, ErrBadPlan) {
		t.Fatalf("want a PlanError, got %v", err)
	}
	want := []string{
		`model "candidate": /m/model.onnx does not fit the decoder contract: no input "input_ids" (acoer-bench inspect --model /cfgdir/models/candidate shows the rest)`,
		`test.yaml:10: dataset "alpha": template "raw": problem "p010": no {question}`,
		// beta's longest prompt, "Question: What is 5+6? gold=11" (30 fake ids), + 70 new tokens > 90
		`test.yaml:20: decoding "greedy": max_new_tokens 70 + the 30-token prompt of dataset "beta" problem "p005" exceed model "baseline"'s context length 90 (config.json max_position_embeddings)`,
		`test.yaml:26: decoding "sampled": max_new_tokens 70 + the 30-token prompt of dataset "beta" problem "p005" exceed model "baseline"'s context length 90 (config.json max_position_embeddings)`,
	}
	if !reflect.DeepEqual(pe.Problems, want) {
		t.Fatalf("problems:\n%s", strings.Join(pe.Problems, "\n"))
	}
	if warn.String() != "warning: model \"baseline\": bos disagrees\n" {
		t.Errorf("warnings %q", warn.String())
	}
	if opened != 0 || *calls != 0 {
		t.Errorf("opened %d models, %d generate calls", opened, *calls)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("results directory created: %v", err)
	}
}
