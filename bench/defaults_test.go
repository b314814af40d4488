package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// The binary embeds bench/defaults/benchmarks.yaml; the repository's benchmarks.yaml is the same file.
// After editing benchmarks.yaml: cp benchmarks.yaml bench/defaults/benchmarks.yaml
func TestDefaultConfigIsTheRepoFile(t *testing.T) {
	repo, err := os.ReadFile(filepath.Join("..", "benchmarks.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(repo, DefaultConfigYAML()) {
		t.Fatal("benchmarks.yaml and bench/defaults/benchmarks.yaml differ: cp benchmarks.yaml bench/defaults/benchmarks.yaml")
	}
	root, _ := filepath.Abs("..")
	cfg, err := LoadConfig(filepath.Join(root, "benchmarks.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Datasets[0].Path != filepath.Join(root, DefaultProblemsPath) || cfg.Baseline != "baseline" || cfg.Gates == nil {
		t.Fatalf("default config: %+v", cfg.Datasets[0])
	}
	if _, err := os.Stat(cfg.Datasets[0].Path); err != nil {
		t.Fatal(err)
	}
	// From another directory the problem sample is written into the output directory.
	out := t.TempDir()
	cfg2, err := LoadDefaultConfig(t.TempDir(), out)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(cfg2.Datasets[0].Path)
	if err != nil || !bytes.Equal(b, DefaultProblemsJSONL()) || cfg2.Hash() != cfg.Hash() {
		t.Fatalf("materialized problems: %v", err)
	}
}

func TestDefaultProblems(t *testing.T) {
	sc := bufio.NewScanner(bytes.NewReader(DefaultProblemsJSONL()))
	ids := map[string]bool{}
	for sc.Scan() {
		var p struct{ ID, Question, Answer, Level string }
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil || p.ID == "" || p.Question == "" || p.Answer == "" || p.Level == "" || ids[p.ID] {
			t.Fatalf("bad problem line %q: %v", sc.Text(), err)
		}
		ids[p.ID] = true
	}
	if len(ids) != 20 {
		t.Fatalf("%d problems", len(ids))
	}
}
