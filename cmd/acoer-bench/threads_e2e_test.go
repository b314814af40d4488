package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acoer/acoer-bench/bench"
)

// A model entry's threads and spinning reach the session and the results' provenance (with where the KV
// cache lived), and leave the config hash as it is without them.
func TestRunThreadsSpinningProvenance(t *testing.T) {
	dir := benchE2EWorkdir(t)
	cfg := filepath.Join(dir, "benchmarks.yaml")
	b, _ := os.ReadFile(cfg)
	cpu := strings.Replace(string(b), "provider: auto", "provider: cpu", 1)
	if cpu == string(b) {
		t.Fatal("no provider: auto in the default config")
	}
	plain, err := bench.ParseConfig([]byte(cpu), cfg, dir)
	if err != nil {
		t.Fatal(err)
	}
	y := strings.Replace(cpu, "provider: cpu", "provider: cpu\n    threads: 1\n    spinning: false", 1)
	os.WriteFile(cfg, []byte(y), 0o644)
	out := filepath.Join(dir, "out")
	if code, _, errOut := benchCLI("run", "--config", cfg, "--out", out, "--quiet", "--limit", "2"); code != 0 {
		t.Fatal(errOut)
	}
	res, err := bench.ReadResults(out)
	if err != nil {
		t.Fatal(err)
	}
	m := res.Provenance.Models["baseline"]
	if m.IntraOpThreads != 1 || m.Spinning == nil || *m.Spinning || !strings.HasPrefix(m.KVCache, "device (Cpu)") || m.CUDA != nil {
		t.Fatalf("baseline provenance: threads %d, spinning %v, kv %q, cuda %+v", m.IntraOpThreads, m.Spinning, m.KVCache, m.CUDA)
	}
	if c := res.Provenance.Models["candidate"]; c.IntraOpThreads != 0 || c.Spinning != nil {
		t.Fatalf("candidate provenance: %+v", c)
	}
	if res.Provenance.ConfigHash != plain.Hash() {
		t.Fatal("threads/spinning changed the config hash")
	}
}
