package bench

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// A model entry's eos_token_id takes an id or a list; unset it leaves the config hash as it was (old
// results directories stay valid), set it changes the model's samples' identity.
func TestConfigEOSTokenID(t *testing.T) {
	const tail = "datasets: [{name: g, kind: gsm8k}]\n"
	plain := mustConfig(t, "models: [{name: m, path: x}]\n"+tail)
	one := mustConfig(t, "models: [{name: m, path: x, eos_token_id: 2}]\n"+tail)
	list := mustConfig(t, "models: [{name: m, path: x, eos_token_id: [2, 32000]}]\n"+tail)
	if plain.Models[0].EOSTokenID != nil || !reflect.DeepEqual(one.Models[0].EOSTokenID, TokenIDs{2}) || !reflect.DeepEqual(list.Models[0].EOSTokenID, TokenIDs{2, 32000}) {
		t.Fatalf("%v %v %v", plain.Models[0].EOSTokenID, one.Models[0].EOSTokenID, list.Models[0].EOSTokenID)
	}
	if plain.Hash() == one.Hash() || one.Hash() == list.Hash() {
		t.Error("eos_token_id does not change the config hash")
	}
	// The hash without eos_token_id is what main computed before the key existed (pinned).
	if h := plain.Hash(); h != "ebe91da8ab5e017b903fc682c8aa14f7ca46284460d6761e33fe2d3e2bd2594e" {
		t.Errorf("hash of a config without eos_token_id changed: %s", h)
	}
}

// A model entry's variant is part of its samples' identity; its seeded key (how a missing directory is
// built) is not, like its path; a seeded key without a preset is an error with its line.
func TestConfigVariantAndSeeded(t *testing.T) {
	const tail = "datasets: [{name: g, kind: gsm8k}]\n"
	plain := mustConfig(t, "models: [{name: m, path: x}]\n"+tail)
	q4 := mustConfig(t, "models: [{name: m, path: x, variant: q4}]\n"+tail)
	seeded := mustConfig(t, "models: [{name: m, path: y, seeded: {preset: tiny, seed: 7, eos_bias: 3}}]\n"+tail)
	if q4.Models[0].Variant != "q4" || !reflect.DeepEqual(seeded.Models[0].Seeded, &SeededModel{Preset: "tiny", Seed: 7, EOSBias: 3}) {
		t.Fatalf("%+v %+v", q4.Models[0], seeded.Models[0])
	}
	if plain.Hash() == q4.Hash() || plain.TaskHash("m", "g", "greedy") == q4.TaskHash("m", "g", "greedy") {
		t.Error("variant does not change the sample identity")
	}
	if plain.Hash() != seeded.Hash() || plain.TaskHash("m", "g", "greedy") != seeded.TaskHash("m", "g", "greedy") {
		t.Error("seeded (how a missing directory is built) changes the sample identity")
	}
	_, err := ParseConfig([]byte("models:\n  - name: m\n    path: x\n    seeded: {seed: 7}\n"+tail), "c.yaml", "/d")
	if err == nil || !strings.Contains(err.Error(), "c.yaml:4: model \"m\": seeded needs a preset") {
		t.Errorf("seeded without preset: %v", err)
	}
}

func TestConfigDefaultsAndPaths(t *testing.T) {
	cfg := mustConfig(t, testConfig)
	if cfg.Models[0].Path != "/cfgdir/models/baseline" || cfg.Datasets[1].Path != "/cfgdir/data/beta.jsonl" {
		t.Fatalf("paths not resolved against the config dir: %+v", cfg.Models[0])
	}
	if cfg.Models[0].Provider != "auto" || cfg.Datasets[0].Template != "raw" || cfg.Decoding[1].BatchSize != 5 || cfg.Decoding[0].TopP != 1 {
		t.Fatalf("defaults: %+v %+v", cfg.Models[0], cfg.Decoding)
	}
	min := mustConfig(t, "models: [{name: m, path: /abs/m}]\ndatasets: [{name: g, kind: gsm8k}]\n")
	if len(min.Decoding) != 1 || min.Decoding[0].Name != "greedy" || min.Decoding[0].Samples != 1 || min.Datasets[0].Grader != "gsm8k" || min.Models[0].Path != "/abs/m" {
		t.Fatalf("minimal config: %+v", min)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "b.yaml"), []byte("models: [{name: m, path: x}]\ndatasets: [{name: g, kind: gsm8k}]\n"), 0o644)
	c, err := LoadConfig(filepath.Join(dir, "b.yaml"))
	if err != nil || c.Models[0].Path != filepath.Join(dir, "x") {
		t.Fatalf("LoadConfig: %v %+v", err, c)
	}
}

func TestConfigErrorsHaveLines(t *testing.T) {
	base := "models:\n  - name: a\n    path: m/a\n  - name: b\n    path: m/b\ndatasets:\n  - name: g\n    kind: gsm8k\n"
	cases := []struct {
		name, yaml string
		line       int
		msg        string
	}{
		{"unknown top key", base + "colour: red\n", 9, `unknown key "colour"`},
		{"unknown model key", "models:\n  - name: a\n    path: m\n    pth: x\ndatasets:\n  - name: g\n    kind: gsm8k\n", 4, "pth"},
		{"bad type", base + "decoding:\n  - temperature: hot\n", 10, `want a number, got text "hot"`},
		{"bad seed", "seed: x\n" + base, 1, `want a non-negative integer, got text "x"`},
		{"list for a name", "models:\n  - name: [a]\n", 2, "want a string, got a list"},
		{"duplicate model", "models:\n  - name: a\n    path: m\n  - name: a\n    path: n\ndatasets:\n  - name: g\n    kind: gsm8k\n", 4, "duplicate model name"},
		{"baseline missing", base + "baseline: c\n", 9, `baseline "c" is not among the models`},
		{"bad kind", "models:\n  - name: a\n    path: m\ndatasets:\n  - name: g\n    kind: gsm9k\n", 6, "kind"},
		{"bad provider", "models:\n  - name: a\n    path: m\n    provider: tpu\ndatasets:\n  - name: g\n    kind: gsm8k\n", 4, "provider"},
		{"bad top_p", base + "decoding:\n  - temperature: 0.5\n    top_p: 1.5\n", 11, "top_p"},
		{"greedy samples", base + "decoding:\n  - samples: 4\n", 10, "samples > 1"},
		{"negative limit", "models:\n  - name: a\n    path: m\ndatasets:\n  - name: g\n    kind: gsm8k\n    limit: -1\n", 7, "limit"},
		{"jsonl without path", "models:\n  - name: a\n    path: m\ndatasets:\n  - name: g\n    kind: jsonl\n", 5, "needs a path"},
		{"gate without baseline", base + "gates:\n  overall:\n    max_accuracy_drop_pp: 1\n", 10, "baseline"},
		{"gate unknown dataset", base + "baseline: a\ngates:\n  datasets:\n    zzz:\n      max_accuracy_drop_pp: 1\n", 13, "zzz"},
		{"gate empty limits", base + "baseline: a\ngates:\n  overall: {}\n", 11, "set max_token_increase_pct"},
		{"gate unknown limit key", base + "baseline: a\ngates:\n  overall:\n    max_tokens: 3\n", 12, "max_tokens"},
		{"bad name", "models:\n  - name: a/b\n    path: m\ndatasets:\n  - name: g\n    kind: gsm8k\n", 2, "model name"},
		{"no models", "datasets:\n  - name: g\n    kind: gsm8k\n", 1, "no models"},
		{"syntax", "models: [\n", 1, "did not find"},
		{"empty", "", 0, "empty config"},
		{"eos text", "models:\n  - name: a\n    path: m\n    eos_token_id: \"2\"\ndatasets:\n  - name: g\n    kind: gsm8k\n", 4, `eos_token_id: want a token id or a list of token ids (non-negative integers), got text "2"`},
		{"eos negative", "models:\n  - name: a\n    path: m\n    eos_token_id: [2, -1]\ndatasets:\n  - name: g\n    kind: gsm8k\n", 4, `got an integer "-1"`},
		{"eos empty list", "models:\n  - name: a\n    path: m\n    eos_token_id: []\ndatasets:\n  - name: g\n    kind: gsm8k\n", 4, "got an empty list"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(c.yaml), "cfg.yaml", "/d")
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("want a ConfigError, got %v", err)
			}
			if ce.Line != c.line || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("got %q (line %d), want line %d containing %q", err, ce.Line, c.line, c.msg)
			}
			if c.line > 0 && !strings.HasPrefix(err.Error(), "cfg.yaml:") {
				t.Fatalf("error does not name the file: %q", err)
			}
		})
	}
}

func TestConfigHash(t *testing.T) {
	a := mustConfig(t, testConfig)
	b := mustConfig(t, strings.Replace(testConfig, "path: models/baseline", "path: elsewhere/baseline", 1))
	if a.Hash() != b.Hash() {
		t.Fatal("moving a model directory changed the config hash")
	}
	c := mustConfig(t, strings.Replace(testConfig, "seed: 7", "seed: 8", 1))
	if a.Hash() == c.Hash() {
		t.Fatal("the run seed does not change the config hash")
	}
}

func TestParseShard(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cases := []struct {
		in   string
		env  map[string]string
		want Shard
		err  bool
	}{
		{"", nil, Shard{}, false},
		{"1/4", nil, Shard{1, 4}, false},
		{"4/4", nil, Shard{}, true},
		{"x/4", nil, Shard{}, true},
		{"1", nil, Shard{}, true},
		{"0/0", nil, Shard{}, true},
		{"auto/8", map[string]string{"JOB_COMPLETION_INDEX": "3"}, Shard{3, 8}, false},
		{"auto", map[string]string{"JOB_COMPLETION_INDEX": "3", "ACOER_SHARDS": "5"}, Shard{3, 5}, false},
		{"auto", map[string]string{"JOB_COMPLETION_INDEX": "3"}, Shard{}, true},
		{"auto", map[string]string{"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "6"}, Shard{4, 6}, false},
		{"auto/2", nil, Shard{}, true},
	}
	for _, c := range cases {
		got, err := ParseShard(c.in, env(c.env))
		if (err != nil) != c.err || got != c.want {
			t.Errorf("ParseShard(%q, %v) = %v, %v", c.in, c.env, got, err)
		}
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(testConfig))
	f.Add([]byte("models: [{name: a, path: b}]\ndatasets: [{name: g, kind: gsm8k}]\n"))
	f.Add([]byte("gates:\n  datasets:\n    x: {max_accuracy_drop_pp: .nan}\n"))
	f.Add([]byte("decoding: [{temperature: 1e309, samples: 2}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig(data, "f.yaml", "/d")
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error is not a ConfigError: %v", err)
			}
			return
		}
		_ = cfg.Hash()
		if len(cfg.Models) == 0 || len(cfg.Datasets) == 0 || len(cfg.Decoding) == 0 {
			t.Fatal("valid config without models, datasets or decoding")
		}
	})
}
