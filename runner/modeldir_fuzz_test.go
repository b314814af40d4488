package runner

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/acoer/acoer-bench/runner/onnxbuild"
)

// fuzzBase is a real seeded model directory (354 logits, the byte tokenizer), built once.
var fuzzBase = sync.OnceValues(func() (map[string][]byte, error) {
	dir, err := os.MkdirTemp("", "acoer-fuzz-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	cfg, err := onnxbuild.Preset("tiny", len(onnxbuild.ByteTokenizerPieces()))
	if err != nil {
		return nil, err
	}
	cfg.MaxSeqLen = 64
	if err := onnxbuild.WriteSeededModelDir(filepath.Join(dir, "m"), cfg, 1, 0, onnxbuild.DirOptions{}); err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	for _, n := range []string{"model.onnx", "tokenizer.json", "tokenizer_config.json", "config.json", "generation_config.json"} {
		if files[n], err = os.ReadFile(filepath.Join(dir, "m", n)); err != nil {
			return nil, err
		}
	}
	return files, nil
})

// FuzzModelDir: any config.json, generation_config.json, genai_config.json, tokenizer_config.json and
// tokenizer.json beside a real graph give a checked model or an error, never a panic; and a model that
// is accepted has exactly the EOS ids the files state (by an independent reading of the files, in the
// documented order), the graph's vocabulary, and masks exactly the ids its tokenizer cannot decode.
// A file given as "-" is left out.
func FuzzModelDir(f *testing.F) {
	base, err := fuzzBase()
	if err != nil {
		f.Fatal(err)
	}
	hf, gen, tokc, tok := string(base["config.json"]), string(base["generation_config.json"]), string(base["tokenizer_config.json"]), string(base["tokenizer.json"])
	f.Add(hf, gen, "-", tokc, tok)
	f.Add(`{"vocab_size": "32000", "eos_token_id": null}`, `{"eos_token_id": null}`, "-", tokc, tok)
	f.Add(`{"eos_token_id": []}`, `{"eos_token_id": "2"}`, `{"model": {"eos_token_id": [3, 3], "context_length": 2048}}`, tokc, tok)
	f.Add(`{"eos_token_id": -1, "pad_token_id": 9999}`, "-", `{"model": {"decoder": {"inputs": {"past_key_names": "x%d%s"}}}}`, `{"eos_token": {"content": "</s>"}}`, tok)
	f.Add(hf, `{"eos_token_id": [2.0, 1e0]}`, "-", `{"eos_token": null}`, `{"model": {"type": "BPE", "vocab": {"a": 400}}}`)
	f.Add("-", `[]`, `{"model": null}`, "", "{")
	f.Fuzz(func(t *testing.T, hf, gen, genai, tokc, tok string) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "model.onnx"), base["model.onnx"], 0o644)
		for name, body := range map[string]string{"config.json": hf, "generation_config.json": gen, "genai_config.json": genai,
			"tokenizer_config.json": tokc, "tokenizer.json": tok} {
			if body != "-" {
				os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)
			}
		}
		watch := time.AfterFunc(20*time.Second, func() { panic("Check took more than 20s: a hang") })
		ch, err := Check(dir, Options{})
		watch.Stop()
		if err != nil {
			return
		}
		info := ch.Info()
		if info.Vocab != 354 {
			t.Fatalf("vocab %d, the graph's logits have 354", info.Vocab)
		}
		want := statedEOS(dir, ch.Tokenizer())
		if !reflect.DeepEqual(info.EOSIDs, want) {
			t.Fatalf("EOS %v (%s), the files state %v", info.EOSIDs, info.EOSFrom, want)
		}
		n, has := tokenizerIDs(ch.Tokenizer())
		if n > info.Vocab {
			t.Fatalf("accepted a tokenizer of %d ids for %d logits", n, info.Vocab)
		}
		masked := 0
		for id := range info.Vocab {
			if !has(id) && !containsInt(info.EOSIDs, id) {
				masked++
				if !ch.p.cfg.banned.has(id) {
					t.Fatalf("id %d has no token but is not masked", id)
				}
			} else if ch.p.cfg.banned.has(id) {
				t.Fatalf("id %d is masked but decodes", id)
			}
		}
		if masked != info.MaskedIDs {
			t.Fatalf("masked %d, Info says %d", masked, info.MaskedIDs)
		}
	})
}

// statedEOS reads the EOS ids the files state, independently of the loader: the first of
// generation_config.json, config.json, genai_config.json (model.eos_token_id) whose eos_token_id is a
// non-negative integer or a non-empty list of them, else tokenizer_config.json's eos_token's id.
func statedEOS(dir string, tok Tokenizer) []int {
	read := func(name string) map[string]any {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil
		}
		d := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))))
		d.UseNumber()
		var m map[string]any
		if d.Decode(&m) != nil {
			return nil
		}
		return m
	}
	num := func(v any) (int, bool) {
		n, ok := v.(json.Number)
		if !ok {
			return 0, false
		}
		f, err := n.Float64()
		if err != nil || f != float64(int(f)) {
			return 0, false
		}
		return int(f), true
	}
	ids := func(v any) []int {
		if n, ok := num(v); ok && n >= 0 {
			return []int{n}
		}
		list, ok := v.([]any)
		if !ok {
			return nil
		}
		var out []int
		for _, x := range list {
			n, _ := num(x)
			if !containsInt(out, n) {
				out = append(out, n)
			}
		}
		return out
	}
	for _, name := range []string{"generation_config.json", "config.json", "genai_config.json"} {
		m := read(name)
		if name == "genai_config.json" {
			m, _ = m["model"].(map[string]any)
		}
		if got := ids(m["eos_token_id"]); len(got) > 0 {
			return got
		}
	}
	var s string
	switch v := read("tokenizer_config.json")["eos_token"].(type) {
	case string:
		s = v
	case map[string]any:
		s, _ = v["content"].(string)
	}
	if id, ok := tok.TokenToID(s); ok && s != "" {
		return []int{id}
	}
	return nil
}
