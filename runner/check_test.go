package runner

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/acoer/acoer-bench/runner/onnxbuild"
)

// Tests of what Check (and Open) refuse or warn about, on model directories built by the project and
// damaged the way users' directories are.

// seededModel writes a tiny seeded model: with tok (a TokenizerFiles, nil = the built-in 354-token byte
// tokenizer) and vocab logits (0 = the tokenizer's size).
func seededDir(t testing.TB, tok *onnxbuild.TokenizerFiles, vocab int, adjust func(*onnxbuild.LlamaConfig)) string {
	t.Helper()
	n, bos, eos := len(onnxbuild.ByteTokenizerPieces()), 1, []int{2}
	opts := onnxbuild.DirOptions{}
	if tok != nil {
		n, bos, eos = tok.VocabSize, tok.BOS, tok.EOS
		opts.TokenizerJSON, opts.TokenizerConfigJSON, opts.ExtraFiles = tok.JSON, tok.ConfigJSON, tok.Extra
	}
	if vocab == 0 {
		vocab = n
	}
	if vocab != n && tok == nil {
		b, err := onnxbuild.ByteTokenizerJSON()
		if err != nil {
			t.Fatal(err)
		}
		c, err := onnxbuild.Llama2TokenizerConfigJSON(128)
		if err != nil {
			t.Fatal(err)
		}
		opts.TokenizerJSON, opts.TokenizerConfigJSON = b, c
	}
	cfg, err := onnxbuild.Preset("tiny", vocab)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxSeqLen, cfg.BOSTokenID, cfg.EOSTokenIDs = 128, bos, eos
	if adjust != nil {
		adjust(&cfg)
	}
	dir := filepath.Join(t.TempDir(), "model")
	if err := onnxbuild.WriteSeededModelDir(dir, cfg, 5, 0, opts); err != nil {
		t.Fatal(err)
	}
	return dir
}

// cachedTokenizer loads .cache/tokenizers/NAME (make testdata), skipping when it is absent.
func cachedTokenizer(t testing.TB, name string) *onnxbuild.TokenizerFiles {
	t.Helper()
	root := repoRoot()
	p := filepath.Join(root, ".cache", "tokenizers", name)
	if _, err := os.Stat(filepath.Join(p, "tokenizer.json")); err != nil {
		t.Skipf("tokenizer %s not found (make testdata): %v", name, err)
	}
	tf, err := onnxbuild.LoadTokenizerFiles(p)
	if err != nil {
		t.Fatal(err)
	}
	return tf
}

// repoRoot is the directory holding go.mod.
func repoRoot() string {
	d, _ := os.Getwd()
	for ; filepath.Dir(d) != d; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
	}
	return d
}

func writeJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func editJSON(t testing.TB, path string, edit func(m map[string]any)) {
	t.Helper()
	m := map[string]any{}
	if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
	}
	edit(m)
	writeJSON(t, path, m)
}

func oneLine(t testing.TB, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		t.Errorf("not one line: %q", msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q lacks %q", msg, w)
		}
	}
	for _, goType := range []string{"Go struct", "into int", "hfConfig", "genaiConfig", "json: cannot unmarshal"} {
		if strings.Contains(msg, goType) {
			t.Errorf("error %q speaks Go (%q)", msg, goType)
		}
	}
	if !errors.Is(err, ErrBadModelDir) {
		t.Errorf("error %q is not ErrBadModelDir", msg)
	}
}

// EOS: null, missing, an empty list or a string are "not given here": the next file in order
// (generation_config.json, config.json, genai_config.json, tokenizer_config.json's eos_token) gives the
// ids, and Info names it; none at all is an error naming the files read, unless the caller sets them.
func TestEOSPrecedence(t *testing.T) {
	base := seededDir(t, nil, 0, nil) // byte tokenizer: <s> 1, </s> 2; both configs say eos 2
	type files = map[string]any
	for _, c := range []struct {
		name     string
		gen, hf  any // eos_token_id values; "absent" drops the key, "nofile" the file
		genai    any
		tokEOS   any // tokenizer_config.json eos_token ("absent" drops it)
		opts     []int
		want     []int
		wantFrom string
		wantErr  []string
	}{
		{name: "generation_config wins", gen: []int{7, 8}, hf: 5, want: []int{7, 8}, wantFrom: "generation_config.json eos_token_id"},
		{name: "null falls back", gen: nil, hf: 5, want: []int{5}, wantFrom: "config.json eos_token_id"},
		{name: "empty list falls back", gen: []int{}, hf: 5, want: []int{5}, wantFrom: "config.json eos_token_id"},
		{name: "string falls back", gen: "2", hf: []int{6}, want: []int{6}, wantFrom: "config.json eos_token_id"},
		{name: "missing falls back", gen: "absent", hf: 9, want: []int{9}, wantFrom: "config.json eos_token_id"},
		{name: "genai after config", gen: "nofile", hf: nil, genai: []int{11, 12}, want: []int{11, 12}, wantFrom: "genai_config.json model.eos_token_id"},
		{name: "tokenizer eos_token last", gen: nil, hf: []int{}, want: []int{2}, wantFrom: `tokenizer_config.json eos_token "</s>"`},
		{name: "caller's ids win", gen: []int{7}, hf: 5, opts: []int{3, 4}, want: []int{3, 4}, wantFrom: "options"},
		{name: "none at all", gen: nil, hf: "absent", tokEOS: "absent",
			wantErr: []string{"no EOS token id", "generation_config.json, config.json, tokenizer_config.json give none", "eos_token_id in the model's entry of the benchmark config"}},
		{name: "eos_token not in the vocabulary", gen: nil, hf: "absent", tokEOS: "<|im_end|>",
			wantErr: []string{"no EOS token id", `its eos_token "<|im_end|>" is not in tokenizer.json`}},
		{name: "bad list item", gen: []any{2, "x"}, hf: 5, wantErr: []string{"generation_config.json: eos_token_id[1]: want a token id (a non-negative integer), got a string \"x\""}},
		{name: "an object", gen: map[string]any{"id": 2}, hf: 5, wantErr: []string{"generation_config.json: eos_token_id: want a token id or a list of token ids, got an object"}},
		{name: "outside the vocabulary", gen: 400, hf: 5, wantErr: []string{"generation_config.json: eos_token_id: EOS id 400 is outside the vocabulary", "have 354 entries"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "m")
			copyDir(t, base, dir)
			set := func(file string, v any, path ...string) {
				if v == "nofile" {
					os.Remove(filepath.Join(dir, file))
					return
				}
				editJSON(t, filepath.Join(dir, file), func(m map[string]any) {
					for _, p := range path {
						sub, ok := m[p].(map[string]any)
						if !ok {
							sub = map[string]any{}
							m[p] = sub
						}
						m = sub
					}
					if v == "absent" {
						delete(m, "eos_token_id")
					} else {
						m["eos_token_id"] = v
					}
				})
			}
			set("generation_config.json", c.gen)
			set("config.json", c.hf)
			if c.genai != nil {
				set("genai_config.json", c.genai, "model")
			}
			if c.tokEOS != nil {
				editJSON(t, filepath.Join(dir, "tokenizer_config.json"), func(m map[string]any) {
					if c.tokEOS == "absent" {
						delete(m, "eos_token")
					} else {
						m["eos_token"] = c.tokEOS
					}
				})
			}
			ch, err := Check(dir, Options{EOSIDs: c.opts})
			if c.wantErr != nil {
				oneLine(t, err, c.wantErr...)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			info := ch.Info()
			if !reflect.DeepEqual(info.EOSIDs, c.want) || info.EOSFrom != c.wantFrom {
				t.Errorf("EOS %v from %q, want %v from %q", info.EOSIDs, info.EOSFrom, c.want, c.wantFrom)
			}
		})
	}
}

func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// A field of the wrong type names the file, the field (in the file's terms) and what it holds.
func TestConfigFieldErrors(t *testing.T) {
	base := seededDir(t, nil, 0, nil)
	genai := seededDir(t, nil, 0, func(c *onnxbuild.LlamaConfig) { c.GenAI = true })
	for _, c := range []struct {
		dir, file, body, want string
	}{
		{base, "config.json", `{"vocab_size": "32000"}`, `config.json: vocab_size: want a positive integer, got a string "32000"`},
		{base, "config.json", `{"max_position_embeddings": 2048.5}`, "config.json: max_position_embeddings: want a positive integer, got the number 2048.5"},
		{base, "config.json", `{"num_hidden_layers": -2}`, "config.json: num_hidden_layers: want a positive integer, got the number -2"},
		{base, "config.json", `{"bos_token_id": true}`, "config.json: bos_token_id: want a token id (an integer), got true"},
		{base, "config.json", `[1, 2]`, "config.json: want a JSON object, got a list"},
		{base, "config.json", "{\n  \"vocab_size\": 354,\n  oops\n}", "config.json: not valid JSON: invalid character 'o' looking for beginning of object key string (line 3, column 3)"},
		{base, "config.json", "", "config.json: empty file (want a JSON object)"},
		{base, "generation_config.json", `{"pad_token_id": "0"}`, `generation_config.json: pad_token_id: want a token id (an integer), got a string "0"`},
		{genai, "genai_config.json", `{"model": {"decoder": {"num_hidden_layers": "2"}}}`, `genai_config.json: model.decoder.num_hidden_layers: want a positive integer, got a string "2"`},
		{genai, "genai_config.json", `{"model": {"decoder": []}}`, "genai_config.json: model.decoder: want an object, got a list"},
		{genai, "genai_config.json", `{"model": {"decoder": {"inputs": {"past_key_names": "past.key"}}}}`, `model.decoder.inputs.past_key_names: "past.key": want a name pattern with one %d`},
		{genai, "genai_config.json", `{"model": {"decoder": {"filename": "../other/model.onnx"}}}`, `model.decoder.filename "../other/model.onnx": want a file inside the model directory`},
		{genai, "genai_config.json", `{"search": {"past_present_share_buffer": "yes"}}`, `genai_config.json: search.past_present_share_buffer: want true or false, got a string "yes"`},
	} {
		dir := filepath.Join(t.TempDir(), "m")
		copyDir(t, c.dir, dir)
		os.WriteFile(filepath.Join(dir, c.file), []byte(c.body), 0o644)
		_, err := Check(dir, Options{})
		oneLine(t, err, filepath.Join(dir, c.file), c.want)
	}
}

// Which file wins for the context length: genai_config.json's and config.json's limits both hold, so
// the smaller is used, and the disagreement is a warning.
func TestContextLengthPrecedence(t *testing.T) {
	genai := seededDir(t, nil, 0, func(c *onnxbuild.LlamaConfig) { c.GenAI = true }) // context_length 128
	for _, c := range []struct {
		hf       string
		want     int
		from     string
		warnPart string
	}{
		{"", 128, "genai_config.json model.context_length", ""},
		{`{"max_position_embeddings": 16}`, 16, "config.json max_position_embeddings", "config.json max_position_embeddings is 16 but genai_config.json model.context_length is 128: the smaller, 16, is used"},
		{`{"max_position_embeddings": 4096}`, 128, "genai_config.json model.context_length", "the smaller, 128, is used"},
		{`{"n_positions": 128}`, 128, "config.json n_positions", ""},
	} {
		dir := filepath.Join(t.TempDir(), "m")
		copyDir(t, genai, dir)
		if c.hf != "" {
			os.WriteFile(filepath.Join(dir, "config.json"), []byte(c.hf), 0o644)
		}
		ch, err := Check(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		info := ch.Info()
		warned := slices.ContainsFunc(info.Warnings, func(w string) bool { return c.warnPart != "" && strings.Contains(w, c.warnPart) })
		if info.ContextLength != c.want || info.ContextFrom != c.from || warned != (c.warnPart != "") {
			t.Errorf("config.json %s: context %d from %q, warnings %q; want %d from %q, warning %q", c.hf, info.ContextLength, info.ContextFrom, info.Warnings, c.want, c.from, c.warnPart)
		}
	}
}

// A tokenizer with more ids than the graph's logits is refused with both sizes; a Qwen3 tokenizer beside
// a Llama graph likewise. A smaller one (a padded vocabulary) is accepted.
func TestTokenizerVocabAgainstLogits(t *testing.T) {
	llama2 := cachedTokenizer(t, "llama2")
	qwen3 := cachedTokenizer(t, "qwen3")
	small := seededDir(t, nil, 0, nil)  // 354 logits, 354-token tokenizer
	big := seededDir(t, llama2, 0, nil) // 32000 logits, Llama 2 tokenizer
	swap := func(model string, tok *onnxbuild.TokenizerFiles) string {
		dir := filepath.Join(t.TempDir(), "m")
		copyDir(t, model, dir)
		os.WriteFile(filepath.Join(dir, "tokenizer.json"), tok.JSON, 0o644)
		os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), tok.ConfigJSON, 0o644)
		return dir
	}
	dir := swap(small, llama2)
	_, err := Check(dir, Options{})
	oneLine(t, err, filepath.Join(dir, "tokenizer.json"), "has token ids up to 31999 (32000 ids)", "have 354 entries", "does not belong to this graph")

	dir = swap(big, qwen3)
	_, err = Check(dir, Options{})
	oneLine(t, err, "(151669 ids)", "have 32000 entries")

	// The 354-token byte tokenizer beside the 32000-logit graph: allowed, with 31646 ids masked and a
	// warning (recorded in Info).
	bytes, err := onnxbuild.ByteTokenizerJSON()
	if err != nil {
		t.Fatal(err)
	}
	bcfg, _ := onnxbuild.Llama2TokenizerConfigJSON(128)
	dir = swap(big, &onnxbuild.TokenizerFiles{JSON: bytes, ConfigJSON: bcfg})
	ch, err := Check(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	info := ch.Info()
	if info.TokenizerIDs != 354 || info.Vocab != 32000 || info.MaskedIDs != 32000-354 ||
		!slices.ContainsFunc(info.Warnings, func(w string) bool { return strings.Contains(w, "tokens for only 354 of the graph's 32000 logits") }) {
		t.Errorf("info: tokenizer ids %d, vocab %d, masked %d, warnings %q", info.TokenizerIDs, info.Vocab, info.MaskedIDs, info.Warnings)
	}
}

// Padded logits (more logits than tokens, as Qwen2.5 ships): the ids without a token are never sampled,
// greedy or seeded; without the mask this model emits them.
func TestMaskedIDsNeverSampled(t *testing.T) {
	needORT(t)
	const tokens, vocab = 354, 354 + 30 // 92% covered: no warning
	dir := seededDir(t, nil, vocab, nil)
	m, err := Open(dir, Options{Provider: ProviderCPU, Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	info := m.Info()
	if info.MaskedIDs != vocab-tokens || info.Vocab != vocab || len(info.Warnings) != 0 {
		t.Fatalf("masked %d of %d, warnings %q", info.MaskedIDs, info.Vocab, info.Warnings)
	}
	reqs := encodeAll(t, m, []string{"Once", "The cat sat", "1 2 3", "?"})
	run := func(dec Decoding) (masked int) {
		for _, bs := range []int{1, len(reqs)} {
			for lo := 0; lo < len(reqs); lo += bs {
				out, err := m.Generate(context.Background(), reqs[lo:min(lo+bs, len(reqs))], dec)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range out {
					for _, id := range c.IDs {
						if id >= tokens && !slices.Contains(info.EOSIDs, id) {
							masked++
						}
					}
				}
			}
		}
		return masked
	}
	decs := []Decoding{
		{MaxNewTokens: 40, EOSIDs: []int{-1}},
		{MaxNewTokens: 40, EOSIDs: []int{-1}, Temperature: 1.5},
		{MaxNewTokens: 40, EOSIDs: []int{-1}, Temperature: 1.5, TopK: 50},
		{MaxNewTokens: 40, EOSIDs: []int{-1}, Temperature: 1.5, TopP: 0.9},
	}
	for _, dec := range decs {
		if n := run(dec); n != 0 {
			t.Errorf("%+v: %d masked ids sampled", dec, n)
		}
	}
	// The same model without the mask does sample them: the test above can fail.
	banned := m.cfg.banned
	m.cfg.banned = nil
	defer func() { m.cfg.banned = banned }()
	if n := run(decs[1]); n == 0 {
		t.Error("without the mask no padded id was sampled: the check above proves nothing")
	}
}

// The tokenizer's special tokens against the config's ids: the shared onnxruntime-genai fp16 directory
// (a real builder export) says bos 0 / eos 1 in genai_config.json while its Llama 2 tokenizer has <s> 1
// and </s> 2. It opens, with both disagreements as warnings.
func TestSpecialTokenDisagreementWarns(t *testing.T) {
	dir := sharedGenAICopy(t)
	ch, err := Check(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	info := ch.Info()
	want := []string{
		`EOS ids [1] (genai_config.json model.eos_token_id) do not include tokenizer_config.json eos_token "</s>" (id 2)`,
		`genai_config.json model.bos_token_id is 0 but tokenizer_config.json bos_token "<s>" is id 1`,
	}
	if !reflect.DeepEqual(info.Warnings, want) || !reflect.DeepEqual(info.EOSIDs, []int{1}) || info.PadID != 2 || info.MaskedIDs != 0 {
		t.Errorf("warnings %q, eos %v, pad %d, masked %d", info.Warnings, info.EOSIDs, info.PadID, info.MaskedIDs)
	}
	// A directory whose files agree has none.
	ch, err = Check(seededDir(t, nil, 0, nil), Options{})
	if err != nil || len(ch.Info().Warnings) != 0 {
		t.Errorf("agreeing directory: %v %q", err, ch.Info().Warnings)
	}
}

// A Git LFS pointer or an empty file in place of model.onnx or tokenizer.json is named as such, before
// ONNX Runtime sees it; a missing tokenizer.json is fine for Inspect, not for Check.
func TestPlaceholderFiles(t *testing.T) {
	base := seededDir(t, nil, 0, nil)
	pointer := lfsPrefix + "v1\noid sha256:3d13c04efa19b6926f7b681b2f244c2b3fa984aa0bdd1f81ee6276d7e9996e91\nsize 36352\n"
	for _, c := range []struct {
		file, body, want string
	}{
		{"model.onnx", pointer, "model.onnx is a Git LFS pointer, not an ONNX model: run git lfs pull"},
		{"model.onnx", "", "model.onnx is an empty file, not an ONNX model"},
		{"tokenizer.json", pointer, "tokenizer.json is a Git LFS pointer, not a tokenizer: run git lfs pull"},
		{"tokenizer.json", "", "tokenizer.json is an empty file, not a tokenizer"},
		{"config.json", pointer, "config.json is a Git LFS pointer, not the file: run git lfs pull"},
	} {
		dir := filepath.Join(t.TempDir(), "m")
		copyDir(t, base, dir)
		os.WriteFile(filepath.Join(dir, c.file), []byte(c.body), 0o644)
		_, err := Check(dir, Options{})
		oneLine(t, err, filepath.Join(dir, c.file), c.want)
	}
	dir := filepath.Join(t.TempDir(), "m")
	copyDir(t, base, dir)
	os.Remove(filepath.Join(dir, "tokenizer.json"))
	_, err := Check(dir, Options{})
	oneLine(t, err, "is missing tokenizer.json")
}

// Inspect shows a graph's contract without tokenizer.json.
func TestInspectWithoutTokenizer(t *testing.T) {
	needORT(t)
	dir := seededDir(t, nil, 0, nil)
	os.Remove(filepath.Join(dir, "tokenizer.json"))
	c, info, err := Inspect(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Layers) != 2 || c.Vocab != 354 || info.TokenizerFile != "" || !reflect.DeepEqual(info.EOSIDs, []int{2}) || len(info.ModelSHA256) != 64 {
		t.Errorf("contract %+v info %+v", c, info)
	}
}
