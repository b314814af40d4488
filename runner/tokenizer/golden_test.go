// Golden tests against Hugging Face's reference implementations.
//
// Regenerate the goldens (needs Node/npm, the tokenizer files and ../shared/datasets):
//
//	make testdata goldens
//
// which runs `npm install` in runner/tokenizer/testdata and then `node runner/tokenizer/testdata/goldens.js`
// (npm tokenizers@0.23.2 = Hugging Face's Rust tokenizers; @huggingface/jinja for chat templates).
// The tests read the committed goldens and the tokenizer files in .cache/tokenizers (fetched by
// `make testdata`; ACOER_TOKENIZERS=DIR points elsewhere) and skip when those are absent.
package tokenizer

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

var tokenizerNames = []string{"qwen3", "llama3", "deepseek_v3", "llama2"}

// repoRoot walks up from the package directory to the directory holding go.mod.
func repoRoot(t testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

func tokenizersDir(t testing.TB) string {
	if d := os.Getenv("ACOER_TOKENIZERS"); d != "" {
		return d
	}
	return filepath.Join(repoRoot(t), ".cache", "tokenizers")
}

var (
	loadMu sync.Mutex
	loaded = map[string]*Tokenizer{}
)

// loadNamed loads .cache/tokenizers/NAME once per test binary, skipping when it is absent.
func loadNamed(t testing.TB, name string) *Tokenizer {
	t.Helper()
	tk, err := tryLoadNamed(t, name)
	if os.IsNotExist(err) {
		t.Skipf("tokenizer files absent (%s): run `make testdata` to fetch them", filepath.Join(tokenizersDir(t), name))
	}
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return tk
}

// tryLoadNamed is loadNamed without skipping: an os.IsNotExist error when the files are absent.
func tryLoadNamed(t testing.TB, name string) (*Tokenizer, error) {
	dir := filepath.Join(tokenizersDir(t), name)
	if _, err := os.Stat(filepath.Join(dir, "tokenizer.json")); err != nil {
		return nil, err
	}
	loadMu.Lock()
	defer loadMu.Unlock()
	if tk, ok := loaded[name]; ok {
		return tk, nil
	}
	tk, err := Load(dir)
	if err != nil {
		return nil, err
	}
	loaded[name] = tk
	return tk, nil
}

func readCorpus(t testing.TB) []string {
	f, err := os.Open(filepath.Join("testdata", "corpus.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var r struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r.Text)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

type idGolden struct {
	I           *int    `json:"i"`
	IDs         []int   `json:"ids"`
	IDsSpecial  []int   `json:"ids_special"`
	Decoded     *string `json:"decoded"`
	DecodedSkip *string `json:"decoded_skip"`
	DecodeIDs   []int   `json:"decode_ids"`
}

func readIDGoldens(t testing.TB, name string) []idGolden {
	data, err := os.ReadFile(filepath.Join("testdata", "goldens", name+".jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var out []idGolden
	for _, line := range splitLines(data) {
		var g idGolden
		if err := json.Unmarshal(line, &g); err != nil {
			t.Fatal(err)
		}
		out = append(out, g)
	}
	return out
}

func splitLines(data []byte) [][]byte {
	var out [][]byte
	for len(data) > 0 {
		i := slices.Index(data, '\n')
		if i < 0 {
			out = append(out, data)
			break
		}
		if i > 0 {
			out = append(out, data[:i])
		}
		data = data[i+1:]
	}
	return out
}

// TestGoldenIDs compares ids (with and without special tokens) and decoded text with the reference for
// every corpus text and every tokenizer; the bar is zero mismatches.
func TestGoldenIDs(t *testing.T) {
	corpus := readCorpus(t)
	variants := readVariants(t)
	names := slices.Clone(tokenizerNames)
	for n := range variants {
		names = append(names, n)
	}
	slices.Sort(names[len(tokenizerNames):])
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			var tk *Tokenizer
			if v, ok := variants[name]; ok {
				tk = loadVariant(t, name, v)
			} else {
				tk = loadNamed(t, name)
			}
			mismatches := 0
			report := func(format string, a ...any) {
				mismatches++
				if mismatches <= 10 {
					t.Errorf(format, a...)
				}
			}
			for _, g := range readIDGoldens(t, name) {
				if g.DecodeIDs != nil {
					if got := tk.Decode(g.DecodeIDs, false); got != *g.Decoded {
						report("decode(%v, false) = %q, want %q", g.DecodeIDs, got, *g.Decoded)
					}
					if got := tk.Decode(g.DecodeIDs, true); got != *g.DecodedSkip {
						report("decode(%v, true) = %q, want %q", g.DecodeIDs, got, *g.DecodedSkip)
					}
					continue
				}
				text := corpus[*g.I]
				got := tk.Encode(text, false)
				if !slices.Equal(got, g.IDs) {
					report("encode(%q, false)\n got %v\nwant %v", trunc(text), got, g.IDs)
				}
				wantSp := g.IDsSpecial
				if wantSp == nil {
					wantSp = g.IDs
				}
				gotSp := tk.Encode(text, true)
				if !slices.Equal(gotSp, wantSp) {
					report("encode(%q, true)\n got %v\nwant %v", trunc(text), gotSp, wantSp)
				}
				wantDec := text
				if g.Decoded != nil {
					wantDec = *g.Decoded
				}
				if d := tk.Decode(wantSp, false); d != wantDec {
					report("decode(encode(%q), false) = %q, want %q", trunc(text), d, wantDec)
				}
				wantSkip := wantDec
				if g.DecodedSkip != nil {
					wantSkip = *g.DecodedSkip
				}
				if d := tk.Decode(wantSp, true); d != wantSkip {
					report("decode(encode(%q), true) = %q, want %q", trunc(text), d, wantSkip)
				}
			}
			if mismatches > 0 {
				t.Errorf("%s: %d mismatches with the reference", name, mismatches)
			}
		})
	}
}

func trunc(s string) string {
	if len(s) > 120 {
		return s[:120] + "..."
	}
	return s
}

// TestCountMatchesEncode checks Count against Encode.
func TestCountMatchesEncode(t *testing.T) {
	tk := loadNamed(t, "qwen3")
	for _, s := range []string{"", "hello", "<|im_start|>user\nhi<|im_end|>"} {
		if got, want := tk.Count(s, true), len(tk.Encode(s, true)); got != want {
			t.Errorf("Count(%q) = %d, want %d", s, got, want)
		}
	}
}

func ExampleTokenizer_Encode() {
	tk, err := Load(filepath.Join("..", "..", ".cache", "tokenizers", "qwen3"))
	if err != nil {
		fmt.Println("tokenizer files absent: make testdata")
		return
	}
	ids := tk.Encode("Hello world", false)
	fmt.Println(len(ids), tk.Decode(ids, false))
}

// variant is an entry of testdata/variants.json: a real tokenizer.json with top-level keys replaced and
// added tokens appended (synthetic tokenizers for components the real files do not use).
type variant struct {
	Base        string                     `json:"base"`
	Set         map[string]json.RawMessage `json:"set"`
	AppendAdded []json.RawMessage          `json:"append_added"`
}

func readVariants(t testing.TB) map[string]variant {
	data, err := os.ReadFile(filepath.Join("testdata", "variants.json"))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	out := map[string]variant{}
	for k, v := range raw {
		if strings.HasPrefix(k, "_") {
			continue
		}
		var vv variant
		if err := json.Unmarshal(v, &vv); err != nil {
			t.Fatalf("variants.json %s: %v", k, err)
		}
		out[k] = vv
	}
	return out
}

func loadVariant(t testing.TB, name string, v variant) *Tokenizer {
	t.Helper()
	file := filepath.Join(tokenizersDir(t), v.Base, "tokenizer.json")
	data, err := os.ReadFile(file)
	if os.IsNotExist(err) {
		t.Skipf("tokenizer files absent (%s): run `make testdata` to fetch them", file)
	}
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		t.Fatal(err)
	}
	for k, val := range v.Set {
		top[k] = val
	}
	if len(v.AppendAdded) > 0 {
		var added []json.RawMessage
		if err := json.Unmarshal(top["added_tokens"], &added); err != nil {
			t.Fatal(err)
		}
		added = append(added, v.AppendAdded...)
		top["added_tokens"], _ = json.Marshal(added)
	}
	out, err := json.Marshal(top)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := FromJSON(out)
	if err != nil {
		t.Fatalf("variant %s: %v", name, err)
	}
	return tk
}
