package bench

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const analysisBase = "models:\n  - name: a\n    path: m/a\ndatasets:\n  - name: g\n    kind: gsm8k\n"

func TestConfigAnalysisKeys(t *testing.T) {
	cfg := mustConfig(t, analysisBase+"budgets: [512, 1024, 2048, 4096]\nstrict_think: true\nreflection_markers: [wait, \"let me see\"]\n")
	if !reflect.DeepEqual(cfg.Budgets, []int{512, 1024, 2048, 4096}) || !cfg.StrictThink || !reflect.DeepEqual(cfg.ReflectionMarkers, []string{"wait", "let me see"}) {
		t.Fatalf("analysis keys: %v %v %v", cfg.Budgets, cfg.StrictThink, cfg.ReflectionMarkers)
	}
	// They change how samples are analysed, not the samples: the identity of the run is the same.
	plain := mustConfig(t, analysisBase)
	if cfg.Hash() != plain.Hash() || cfg.TaskHash("a", "g", "greedy") != plain.TaskHash("a", "g", "greedy") {
		t.Error("budgets / strict_think / reflection_markers change the config hash (a resume would be refused)")
	}
}

func TestConfigDecodingPreset(t *testing.T) {
	cfg := mustConfig(t, analysisBase+"decoding:\n  - preset: deepseek-r1\n  - {name: r1-4k, preset: deepseek-r1, max_new_tokens: 4096, batch_size: 32}\n")
	d := cfg.Decoding[0]
	if d.Name != "deepseek-r1" || d.Temperature != 0.6 || d.TopP != 0.95 || d.Samples != 16 || d.MaxNewTokens != 32768 || d.TopK != 0 {
		t.Errorf("preset: %+v", d)
	}
	d = cfg.Decoding[1]
	if d.Name != "r1-4k" || d.Temperature != 0.6 || d.TopP != 0.95 || d.Samples != 16 || d.MaxNewTokens != 4096 || d.BatchSize != 32 {
		t.Errorf("preset with overrides: %+v", d)
	}
	// A preset and the same settings written out are the same run.
	explicit := mustConfig(t, analysisBase+"decoding:\n  - {name: deepseek-r1, temperature: 0.6, top_p: 0.95, samples: 16, max_new_tokens: 32768}\n")
	viaPreset := mustConfig(t, analysisBase+"decoding:\n  - preset: deepseek-r1\n")
	if explicit.Hash() != viaPreset.Hash() || explicit.TaskHash("a", "g", "deepseek-r1") != viaPreset.TaskHash("a", "g", "deepseek-r1") {
		t.Error("a preset hashes differently from its settings written out")
	}
	// An explicit temperature 0 wins over the preset's (and then 16 samples make no sense).
	if _, err := ParseConfig([]byte(analysisBase+"decoding:\n  - {preset: deepseek-r1, temperature: 0}\n"), "c.yaml", "/d"); err == nil ||
		!strings.Contains(err.Error(), "samples > 1 needs temperature > 0") {
		t.Errorf("temperature 0 over a sampling preset: %v", err)
	}
}

func TestConfigAnalysisErrors(t *testing.T) {
	cases := []struct {
		name, yaml string
		line       int
		msg        string
	}{
		{"zero budget", analysisBase + "budgets: [512, 0]\n", 7, "budgets[1]: 0: a budget is a number of new tokens in 1..1048576"},
		{"budget too large", analysisBase + "budgets:\n  - 2000000\n", 8, "budgets[0]"},
		{"budget not a number", analysisBase + "budgets: [lots]\n", 7, `want an integer, got text "lots"`},
		{"budgets not a list", analysisBase + "budgets: 512\n", 7, "want a list"},
		{"strict_think not a bool", analysisBase + "strict_think: maybe\n", 7, `want true or false, got text "maybe"`},
		{"empty marker", analysisBase + "reflection_markers: [wait, \" \"]\n", 7, "reflection_markers[1]: empty marker"},
		{"unknown preset", analysisBase + "decoding:\n  - preset: r2\n", 8, `preset "r2": want one of deepseek-r1`},
	}
	for _, c := range cases {
		_, err := ParseConfig([]byte(c.yaml), "cfg.yaml", "/d")
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Line != c.line || !strings.Contains(err.Error(), c.msg) || !strings.HasPrefix(err.Error(), "cfg.yaml:") ||
			strings.Count(err.Error(), "\n") != 0 {
			t.Errorf("%s: got %v (line %d), want cfg.yaml:%d ... %q", c.name, err, lineOf(ce), c.line, c.msg)
		}
	}
}

func lineOf(ce *ConfigError) int {
	if ce == nil {
		return -1
	}
	return ce.Line
}
