// The CLI on real model directories built by the project (build-model) and the shared onnxruntime-genai
// fp16 export, damaged the way users' directories are: every case checks the exit code, the one-line
// message and that no results file was created or changed (issue 12, "never silently wrong").

package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/acoer/acoer-bench/bench"
	"github.com/acoer/acoer-bench/metrics"
	"github.com/acoer/acoer-bench/runner"
	"github.com/acoer/acoer-bench/runner/ort"
)

// ckModel builds a seeded tiny model with build-model (extra flags appended) into dir/name.
func ckModel(t *testing.T, dir, name string, flags ...string) string {
	t.Helper()
	out := filepath.Join(dir, name)
	args := append([]string{"build-model", "--out", out, "--seed", "3", "--preset", "tiny", "--max-seq-len", "256"}, flags...)
	if code, _, errOut := benchCLI(args...); code != 0 {
		t.Fatalf("build-model %v: exit %d: %s", flags, code, errOut)
	}
	return out
}

// ckRepoFile is a path under the repository root (.cache/tokenizers/NAME, ...), skipping when absent.
func ckRepoFile(t *testing.T, rel string) string {
	t.Helper()
	d, _ := os.Getwd()
	for ; filepath.Dir(d) != d; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			break
		}
	}
	p := filepath.Join(d, rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s not found (make testdata / ../shared): %v", p, err)
	}
	return p
}

// ckSnapshot is every file under dir with its sha256 (nil when dir does not exist).
func ckSnapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		return nil
	}
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		s := sha256.Sum256(b)
		out[p] = hex.EncodeToString(s[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

const ckProblems = `{"id": "1", "question": "What is 1+1?", "answer": "2"}
{"id": "2", "question": "What is 2+3? Think about it carefully and write the answer.", "answer": "5"}
`

// ckConfig writes a config with the given model entries (YAML flow maps) and one jsonl dataset.
func ckConfig(t *testing.T, dir, name string, models []string, datasetExtra string) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, "p.jsonl")); err != nil {
		os.WriteFile(filepath.Join(dir, "p.jsonl"), []byte(ckProblems), 0o644)
	}
	var b strings.Builder
	b.WriteString("seed: 1\nmodels:\n")
	for _, m := range models {
		b.WriteString("  - " + m + "\n")
	}
	b.WriteString("datasets:\n  - {name: g, kind: jsonl, path: p.jsonl, grader: gsm8k" + datasetExtra + "}\n")
	b.WriteString("decoding:\n  - {name: greedy, max_new_tokens: 6, batch_size: 2}\n")
	p := filepath.Join(dir, name+".yaml")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// ckRun runs `run` and checks the exit code and that each want is on its own stderr line.
func ckRun(t *testing.T, cfg, out string, wantCode int, want ...string) string {
	t.Helper()
	code, _, errOut := benchCLI("run", "--config", cfg, "--out", out, "--quiet")
	if code != wantCode {
		t.Fatalf("run: exit %d, want %d\n%s", code, wantCode, errOut)
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	for _, w := range want {
		found := false
		for _, l := range lines {
			found = found || strings.Contains(l, w)
		}
		if !found {
			t.Errorf("no stderr line contains %q:\n%s", w, errOut)
		}
	}
	return errOut
}

func editJSONFile(t *testing.T, path string, edit func(m map[string]any)) {
	t.Helper()
	m := map[string]any{}
	if b, err := os.ReadFile(path); err == nil {
		json.Unmarshal(b, &m)
	}
	edit(m)
	b, _ := json.Marshal(m)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Case 4 of the issue: an unknown template and a broken second model are found before any work, all
// at once, and nothing is written: neither into a new results directory nor into an existing one.
func TestRunRefusesBeforeAnyWork(t *testing.T) {
	dir := t.TempDir()
	ckModel(t, dir, "good")
	bad := ckModel(t, dir, "bad")
	// The second model states no EOS anywhere.
	editJSONFile(t, filepath.Join(bad, "generation_config.json"), func(m map[string]any) { m["eos_token_id"] = nil })
	editJSONFile(t, filepath.Join(bad, "config.json"), func(m map[string]any) { delete(m, "eos_token_id") })
	editJSONFile(t, filepath.Join(bad, "tokenizer_config.json"), func(m map[string]any) { delete(m, "eos_token") })

	cfg := ckConfig(t, dir, "c1", []string{"{name: a, path: good, provider: cpu}", "{name: b, path: bad, provider: cpu}"}, ", template: nope")
	out := filepath.Join(dir, "out")
	errOut := ckRun(t, cfg, out, exitUsage,
		`acoer-bench run: model "b": model directory `+bad+": no EOS token id: generation_config.json, config.json, tokenizer_config.json give none",
		`acoer-bench run: `+cfg+`:6: dataset "g": template "nope": unknown prompt template "nope" (known: `,
		"acoer-bench run: 2 problems found before any work; nothing was written to "+out)
	if n := strings.Count(strings.TrimSpace(errOut), "\n"); n != 2 {
		t.Errorf("want 3 lines, got %d:\n%s", n+1, errOut)
	}
	if s := ckSnapshot(t, out); s != nil {
		t.Fatalf("results directory created: %v", s)
	}

	// An existing, complete results directory is not touched by a run whose plan is broken.
	if _, err := ort.Discover(""); err != nil {
		t.Skipf("ONNX Runtime not found (make setup): %v", err)
	}
	ckRun(t, ckConfig(t, dir, "c2", []string{"{name: a, path: good, provider: cpu}"}, ""), out, 0)
	before := ckSnapshot(t, out)
	if len(before) < 4 {
		t.Fatalf("first run wrote %v", before)
	}
	ckRun(t, cfg, out, exitUsage, "2 problems found before any work")
	ckRun(t, ckConfig(t, dir, "c3", []string{"{name: a, path: good, provider: cpu}"}, ", template: nope"), out, exitUsage, `template "nope"`)
	if after := ckSnapshot(t, out); !reflect.DeepEqual(before, after) {
		t.Errorf("a refused run changed the results directory")
	}
	// The corrected config runs (no manifest left behind that makes it refuse).
	ckRun(t, ckConfig(t, dir, "c4", []string{"{name: a, path: good, provider: cpu}", "{name: b, path: good, provider: cpu}"}, ""), out, 0)
}

// Case 1: "eos_token_id": null is "not given here", never id 0: the next file gives the ids; no EOS
// anywhere is refused unless the model's config entry sets one, which results then record.
func TestRunEOSNull(t *testing.T) {
	if _, err := ort.Discover(""); err != nil {
		t.Skipf("ONNX Runtime not found (make setup): %v", err)
	}
	dir := t.TempDir()
	m := ckModel(t, dir, "m")
	editJSONFile(t, filepath.Join(m, "generation_config.json"), func(x map[string]any) { x["eos_token_id"] = nil })
	code, out, errOut := benchCLI("inspect", "--model", m)
	if code != 0 || !strings.Contains(out, "eos ids      [2] (config.json eos_token_id)") {
		t.Fatalf("inspect: exit %d\n%s%s", code, out, errOut)
	}
	editJSONFile(t, filepath.Join(m, "config.json"), func(x map[string]any) { x["eos_token_id"] = []any{} })
	code, out, _ = benchCLI("inspect", "--model", m)
	if code != 0 || !strings.Contains(out, `eos ids      [2] (tokenizer_config.json eos_token "</s>")`) {
		t.Fatalf("inspect: exit %d\n%s", code, out)
	}
	editJSONFile(t, filepath.Join(m, "tokenizer_config.json"), func(x map[string]any) { x["eos_token"] = nil })
	res := filepath.Join(dir, "res")
	ckRun(t, ckConfig(t, dir, "c5", []string{"{name: a, path: m, provider: cpu}"}, ""), res, exitUsage, `model "a": model directory `+m+": no EOS token id")
	if ckSnapshot(t, res) != nil {
		t.Fatal("results written")
	}
	code, _, errOut = benchCLI("generate", "--model", m, "--prompt", "Hi", "--max-new-tokens", "3")
	if code != exitUsage || !strings.Contains(errOut, "no EOS token id") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Errorf("generate: exit %d: %s", code, errOut)
	}
	if code, _, errOut := benchCLI("generate", "--model", m, "--prompt", "Hi", "--max-new-tokens", "3", "--eos-id", "2"); code != 0 {
		t.Errorf("generate --eos-id 2: exit %d: %s", code, errOut)
	}
	ckRun(t, ckConfig(t, dir, "c6", []string{"{name: a, path: m, provider: cpu, eos_token_id: 2}"}, ""), res, 0)
	r, err := bench.ReadResults(res)
	if err != nil {
		t.Fatal(err)
	}
	if p := r.Provenance.Models["a"]; !reflect.DeepEqual(p.EOSIDs, []int{2}) || p.EOSFrom != "the benchmark config's eos_token_id" {
		t.Errorf("results record EOS %v from %q", p.EOSIDs, p.EOSFrom)
	}
}

// Case 2: the tokenizer against the graph's logits.
func TestRunTokenizerAgainstGraph(t *testing.T) {
	llama2 := ckRepoFile(t, ".cache/tokenizers/llama2")
	qwen3 := ckRepoFile(t, ".cache/tokenizers/qwen3")
	dir := t.TempDir()
	small := ckModel(t, dir, "small")                    // 354 logits, byte tokenizer
	big := ckModel(t, dir, "big", "--tokenizer", llama2) // 32000 logits, Llama 2 tokenizer
	swap := func(name, model, tokDir string) string {
		d := filepath.Join(dir, name)
		os.MkdirAll(d, 0o755)
		for _, f := range []string{"model.onnx", "config.json", "generation_config.json"} {
			b, _ := os.ReadFile(filepath.Join(model, f))
			os.WriteFile(filepath.Join(d, f), b, 0o644)
		}
		for _, f := range []string{"tokenizer.json", "tokenizer_config.json"} {
			b, _ := os.ReadFile(filepath.Join(tokDir, f))
			os.WriteFile(filepath.Join(d, f), b, 0o644)
		}
		return d
	}
	res := filepath.Join(dir, "res")
	for _, c := range []struct{ name, model, tok, want string }{
		{"llama2-tok-small-graph", small, llama2, "tokenizer.json has token ids up to 31999 (32000 ids) but the graph's logits (model.onnx output \"logits\") have 354 entries: the tokenizer does not belong to this graph"},
		{"qwen3-tok-llama-graph", big, qwen3, "(151669 ids) but the graph's logits (model.onnx output \"logits\") have 32000 entries"},
	} {
		swap(c.name, c.model, c.tok)
		ckRun(t, ckConfig(t, dir, "c7", []string{"{name: a, path: " + c.name + ", provider: cpu}"}, ""), res, exitUsage, `model "a": `+filepath.Join(dir, c.name, "tokenizer.json")+" has token ids", c.want)
		if ckSnapshot(t, res) != nil {
			t.Fatal("results written")
		}
	}

	// A 354-token tokenizer beside the 32000-logit graph: allowed; the 31646 ids without a token are
	// never sampled, so every generated token is text (the bug: "text": "" with 16 counted tokens).
	if _, err := ort.Discover(""); err != nil {
		t.Skipf("ONNX Runtime not found (make setup): %v", err)
	}
	m := swap("byte-tok-llama-graph", big, small)
	code, out, errOut := benchCLI("generate", "--model", m, "--prompt", "Once upon a time", "--max-new-tokens", "16", "--eos-id", "2", "--json", "--provider", "cpu")
	if code != 0 {
		t.Fatalf("generate: exit %d: %s", code, errOut)
	}
	var g struct {
		Text string `json:"text"`
		IDs  []int  `json:"token_ids"`
	}
	if err := json.Unmarshal([]byte(out), &g); err != nil {
		t.Fatal(err)
	}
	for _, id := range g.IDs {
		if id >= 354 {
			t.Errorf("sampled id %d, which the tokenizer cannot decode", id)
		}
	}
	if len(g.IDs) == 0 || g.Text == "" {
		t.Errorf("ids %v, text %q", g.IDs, g.Text)
	}
	if !strings.Contains(errOut, "warning: tokenizer.json has tokens for only 354 of the graph's 32000 logits") {
		t.Errorf("no warning on stderr: %s", errOut)
	}
}

// Case 3 and the special-token warning, on the real onnxruntime-genai fp16 export: its graph renamed to
// decoder.onnx (genai's decoder.filename) keeps its weights in model.onnx.data, which the old
// name-based lookup missed. Changed weights are refused on the rerun, with nothing changed.
func TestRunWeightsHashedByWhatTheGraphReads(t *testing.T) {
	src := ckRepoFile(t, "../shared/models/genai-tiny-llama-fp16")
	if _, err := ort.Discover(""); err != nil {
		t.Skipf("ONNX Runtime not found (make setup): %v", err)
	}
	dir := t.TempDir()
	m := filepath.Join(dir, "fp16")
	os.MkdirAll(m, 0o755)
	ents, _ := os.ReadDir(src)
	for _, e := range ents {
		b, _ := os.ReadFile(filepath.Join(src, e.Name()))
		name := e.Name()
		if name == "model.onnx" {
			name = "decoder.onnx"
		}
		os.WriteFile(filepath.Join(m, name), b, 0o644)
	}
	editJSONFile(t, filepath.Join(m, "genai_config.json"), func(x map[string]any) {
		x["model"].(map[string]any)["decoder"].(map[string]any)["filename"] = "decoder.onnx"
	})
	res := filepath.Join(dir, "res")
	cfg := ckConfig(t, dir, "c8", []string{"{name: a, path: fp16, provider: cpu}"}, "")
	errOut := ckRun(t, cfg, res, 0)
	for _, w := range []string{
		`acoer-bench run: warning: model "a": EOS ids [1] (genai_config.json model.eos_token_id) do not include tokenizer_config.json eos_token "</s>" (id 2)`,
		`acoer-bench run: warning: model "a": genai_config.json model.bos_token_id is 0 but tokenizer_config.json bos_token "<s>" is id 1`,
	} {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr lacks %q:\n%s", w, errOut)
		}
	}
	r, err := bench.ReadResults(res)
	if err != nil {
		t.Fatal(err)
	}
	p := r.Provenance.Models["a"]
	if len(p.DataSHA256) != 64 || len(p.DataFiles["model.onnx.data"]) != 64 || len(p.Warnings) != 2 {
		t.Fatalf("provenance: data %q files %v warnings %q", p.DataSHA256, p.DataFiles, p.Warnings)
	}
	// Retrained weights behind the same graph: refused, nothing changed.
	b, _ := os.ReadFile(filepath.Join(m, "model.onnx.data"))
	b[len(b)/2] ^= 0x01
	os.WriteFile(filepath.Join(m, "model.onnx.data"), b, 0o644)
	before := ckSnapshot(t, res)
	errOut = ckRun(t, cfg, res, exitUsage, `model "a": external weights (model.onnx.data) sha256`)
	if n := strings.Count(errOut, "acoer-bench run: warning: "); n != 2 || strings.Count(strings.TrimSpace(errOut), "\n") != 2 {
		t.Errorf("want the two warnings and one error line: %s", errOut)
	}
	if after := ckSnapshot(t, res); !reflect.DeepEqual(before, after) {
		t.Error("the refused run changed the results directory")
	}
}

// A Git LFS pointer or an empty file in place of model.onnx, a config field of the wrong type, and
// text that is not UTF-8: one line naming the file, exit 2, nothing written; none needs ONNX Runtime.
func TestRunBadFilesOneLine(t *testing.T) {
	dir := t.TempDir()
	good := ckModel(t, dir, "good")
	res := filepath.Join(dir, "res")
	damage := func(name, file, body string) string {
		d := filepath.Join(dir, name)
		os.MkdirAll(d, 0o755)
		ents, _ := os.ReadDir(good)
		for _, e := range ents {
			b, _ := os.ReadFile(filepath.Join(good, e.Name()))
			os.WriteFile(filepath.Join(d, e.Name()), b, 0o644)
		}
		os.WriteFile(filepath.Join(d, file), []byte(body), 0o644)
		return d
	}
	pointer := "version https://git-lfs.github.com/spec/v1\noid sha256:3d13c04efa19b6926f7b681b2f244c2b3fa984aa0bdd1f81ee6276d7e9996e91\nsize 36352\n"
	for _, c := range []struct{ name, file, body, want string }{
		{"lfs", "model.onnx", pointer, "model.onnx is a Git LFS pointer, not an ONNX model: run git lfs pull"},
		{"empty", "model.onnx", "", "model.onnx is an empty file, not an ONNX model"},
		{"vocab-type", "config.json", `{"vocab_size": "32000", "max_position_embeddings": 256}`, `config.json: vocab_size: want a positive integer, got a string "32000"`},
	} {
		d := damage(c.name, c.file, c.body)
		want := filepath.Join(d, c.file)
		if c.file == "config.json" {
			want = filepath.Join(d, "config.json: vocab_size")
		}
		errOut := ckRun(t, ckConfig(t, dir, "c9", []string{"{name: a, path: " + c.name + "}"}, ""), res, exitUsage, want, c.want)
		if strings.Count(strings.TrimSpace(errOut), "\n") != 0 || strings.Contains(errOut, "int") && strings.Contains(errOut, "Go") {
			t.Errorf("%s: %s", c.name, errOut)
		}
		if ckSnapshot(t, res) != nil {
			t.Fatal("results written")
		}
		// inspect says the same, with the same exit code.
		code, _, ierr := benchCLI("inspect", "--model", d)
		if code != exitUsage || !strings.Contains(ierr, c.want) {
			t.Errorf("inspect %s: exit %d: %s", c.name, code, ierr)
		}
	}

	// A dataset line that is not UTF-8 (Latin-1 "café").
	os.WriteFile(filepath.Join(dir, "latin1.jsonl"), []byte("{\"id\": \"1\", \"question\": \"caf\xe9?\", \"answer\": \"2\"}\n"), 0o644)
	cfg := ckConfig(t, dir, "c10", []string{"{name: a, path: good}"}, "")
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, []byte(strings.Replace(string(b), "path: p.jsonl", "path: latin1.jsonl", 1)), 0o644)
	ckRun(t, cfg, res, exitUsage, filepath.Join(dir, "latin1.jsonl")+":1: not valid UTF-8: byte 0xe9 at byte offset 28 of the file (column 29)")
	if ckSnapshot(t, res) != nil {
		t.Fatal("results written")
	}
	// A prompt file that is not UTF-8.
	pf := filepath.Join(dir, "prompt.txt")
	os.WriteFile(pf, []byte("caf\xe9"), 0o644)
	code, _, errOut := benchCLI("generate", "--model", good, "--prompt-file", pf)
	if code != exitUsage || !strings.Contains(errOut, pf+" is not valid UTF-8: byte 0xe9 at offset 3") {
		t.Errorf("generate --prompt-file: exit %d: %s", code, errOut)
	}
}

// inspect shows a graph's contract without tokenizer.json.
func TestInspectWithoutTokenizer(t *testing.T) {
	if _, err := ort.Discover(""); err != nil {
		t.Skipf("ONNX Runtime not found (make setup): %v", err)
	}
	m := ckModel(t, t.TempDir(), "m")
	os.Remove(filepath.Join(m, "tokenizer.json"))
	code, out, errOut := benchCLI("inspect", "--model", m)
	if code != 0 || !strings.Contains(out, "tokenizer    none (no tokenizer.json: generate and run need one)") || !strings.Contains(out, "layers       2") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}

// Every grader a config accepts is a benchmark the grader knows (an unknown name would silently grade
// with the MATH rules).
func TestConfigGradersKnownToMetrics(t *testing.T) {
	for _, g := range bench.GraderNames() {
		if _, ok := metrics.CanonicalBenchmark(g); !ok {
			t.Errorf("grader %q is not a metrics benchmark", g)
		}
	}
}

// The context length is checked before the work: each dataset's first and longest prompt plus each
// decoding's max_new_tokens, against the model's context (and which file gave it).
func TestRunContextCheckedBeforeWork(t *testing.T) {
	dir := t.TempDir()
	m := filepath.Join(dir, "m")
	if code, _, errOut := benchCLI("build-model", "--out", m, "--seed", "3", "--preset", "tiny", "--max-seq-len", "100"); code != 0 {
		t.Fatal(errOut)
	}
	os.WriteFile(filepath.Join(dir, "p.jsonl"), []byte(ckProblems), 0o644)
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte(`models:
  - {name: a, path: m, provider: cpu}
datasets:
  - {name: g, kind: jsonl, path: p.jsonl, grader: gsm8k}
decoding:
  - {name: short, max_new_tokens: 4}
  - {name: long, max_new_tokens: 50}
  - {name: huge, max_new_tokens: 128}
`), 0o644)
	out := filepath.Join(dir, "out")
	errOut := ckRun(t, cfg, out, exitUsage,
		cfg+`:7: decoding "long": max_new_tokens 50 + the 61-token prompt of dataset "g" problem "2" exceed model "a"'s context length 100 (config.json max_position_embeddings)`,
		cfg+`:8: decoding "huge": max_new_tokens 128 leaves no room for a prompt in model "a"'s context length 100 (config.json max_position_embeddings)`,
		"2 problems found before any work")
	if strings.Contains(errOut, `"short"`) {
		t.Errorf("the short decoding fits: %s", errOut)
	}
	if ckSnapshot(t, out) != nil {
		t.Fatal("results written")
	}
}

// A benchmark config's variant picks the graph of a transformers.js directory; results record the
// layout, the variant, the graph and every data file's sha256; another variant of the same directory is
// other samples (refused without --force); a variant the directory lacks is one line before any work.
func TestRunVariant(t *testing.T) {
	rtNeedORT(t)
	dir := t.TempDir()
	m := ckModel(t, dir, "tjs", "--layout", "transformers.js", "--external-data", "always")
	ckModel(t, dir, "tjs", "--layout", "transformers.js", "--quant", "q4", "--add-variant")
	res := filepath.Join(dir, "res")
	cfg := ckConfig(t, dir, "v", []string{"{name: a, path: tjs, provider: cpu, variant: q4}"}, "")
	ckRun(t, cfg, res, 0)
	r, err := bench.ReadResults(res)
	if err != nil {
		t.Fatal(err)
	}
	p := r.Provenance.Models["a"]
	sum, _, _ := runner.ModelHashes(m, "q4")
	if p.Layout != "transformers.js" || p.Variant != "q4" || p.Graph != "onnx/model_q4.onnx" || p.SHA256 != sum {
		t.Errorf("provenance: layout %q variant %q graph %q sha %s (want %s)", p.Layout, p.Variant, p.Graph, p.SHA256, sum)
	}
	for _, f := range []string{"report.md", "report.html"} {
		if b, _ := os.ReadFile(filepath.Join(res, f)); !strings.Contains(strings.ReplaceAll(string(b), `\_`, "_"), "onnx/model_q4.onnx sha256") ||
			!strings.Contains(string(b), "; transformers.js layout, variant q4") {
			t.Errorf("%s does not name the graph, layout and variant", f)
		}
	}
	man, err := bench.ReadManifest(res)
	if err != nil {
		t.Fatal(err)
	}
	if mi := man.Models["a"]; mi.Variant != "q4" || mi.Graph != "onnx/model_q4.onnx" || man.Config.Models[0].Variant != "q4" {
		t.Errorf("manifest: %+v, config model %+v", mi, man.Config.Models[0])
	}
	before := ckSnapshot(t, res)
	other := ckConfig(t, dir, "v2", []string{"{name: a, path: tjs, provider: cpu}"}, "")
	ckRun(t, other, res, exitUsage, "changed: a/g/greedy")
	if after := ckSnapshot(t, res); !reflect.DeepEqual(before, after) {
		t.Error("the refused run changed the results directory")
	}
	// The default variant has external data: its file is recorded by its path in the model directory.
	res2 := filepath.Join(dir, "res2")
	ckRun(t, other, res2, 0)
	r, _ = bench.ReadResults(res2)
	if p := r.Provenance.Models["a"]; p.Variant != "" || p.Graph != "onnx/model.onnx" || len(p.DataFiles["onnx/model.onnx_data"]) != 64 {
		t.Errorf("default variant provenance: %+v", p)
	}
	missing := ckConfig(t, dir, "v3", []string{"{name: a, path: tjs, provider: cpu, variant: int8}"}, "")
	errOut := ckRun(t, missing, filepath.Join(dir, "res3"), exitUsage, `has no variant "int8": it has default (onnx/model.onnx), q4 (onnx/model_q4.onnx)`)
	if strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Errorf("want one line: %s", errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "res3")); err == nil {
		t.Error("a refused plan created the results directory")
	}
}
