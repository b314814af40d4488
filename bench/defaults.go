package bench

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// The embedded default: a copy of the repository's benchmarks.yaml (a test keeps them identical) and the
// problem sample it names.
var (
	//go:embed defaults/benchmarks.yaml
	defaultConfigYAML []byte
	//go:embed defaults/problems.jsonl
	defaultProblemsJSONL []byte
)

// DefaultProblemsPath is where the default config's problem sample lives, relative to the repository root.
const DefaultProblemsPath = "bench/defaults/problems.jsonl"

// DefaultModelsDir is where the embedded default's seeded models are built when no checkout holds them:
// acoer-bench/models in the user cache directory ($XDG_CACHE_HOME, else ~/.cache, on Linux).
func DefaultModelsDir() (string, error) {
	c, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(c, "acoer-bench", "models"), nil
}

// DefaultConfigYAML returns the embedded default config.
func DefaultConfigYAML() []byte { return append([]byte(nil), defaultConfigYAML...) }

// DefaultProblemsJSONL returns the embedded default problem sample.
func DefaultProblemsJSONL() []byte { return append([]byte(nil), defaultProblemsJSONL...) }

// LoadDefaultConfig parses the embedded default with relative paths resolved against baseDir (the
// current directory: the repository root when run from a checkout). When the problem sample is not
// found there, it is written under outDir/defaults/ and the config points at that copy, so the default
// runs from any directory. Its seeded models are those under baseDir when they are there (a checkout
// where they were built), else DefaultModelsDir()/NAME, where run builds them on first use.
func LoadDefaultConfig(baseDir, outDir string) (*Config, error) {
	cfg, err := ParseConfig(defaultConfigYAML, "benchmarks.yaml (embedded default)", baseDir)
	if err != nil {
		return nil, err
	}
	for i := range cfg.Models {
		m := &cfg.Models[i]
		if m.Seeded == nil {
			continue
		}
		if _, err := os.Stat(m.Path); err == nil {
			continue
		}
		cache, err := DefaultModelsDir()
		if err != nil {
			cache = filepath.Join(outDir, "defaults", "models")
		}
		m.Path = filepath.Join(cache, m.Name)
	}
	for i := range cfg.Datasets {
		d := &cfg.Datasets[i]
		if d.Path != filepath.Join(baseDir, DefaultProblemsPath) {
			continue
		}
		if _, err := os.Stat(d.Path); err == nil {
			continue
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		p := filepath.Join(outDir, "defaults", "problems.jsonl")
		if err := writeFileAtomic(p, defaultProblemsJSONL); err != nil {
			return nil, fmt.Errorf("writing the default problems: %w", err)
		}
		d.Path = p
	}
	return cfg, nil
}
