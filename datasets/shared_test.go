package datasets

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sharedDatasets returns ../shared/datasets relative to the repository root (the directory with
// go.mod), or skips the test when it is absent.
func sharedDatasets(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("no go.mod above the test directory; cannot locate ../shared")
		}
		dir = parent
	}
	d := filepath.Join(dir, "..", "shared", "datasets")
	if _, err := os.Stat(d); err != nil {
		t.Skipf("shared datasets not found at %s (they live next to the repository as ../shared): skipping real-data test", d)
	}
	return d
}

// TestSharedDatasets loads every real set from ../shared and checks counts, checksums and a few golds.
func TestSharedDatasets(t *testing.T) {
	root := sharedDatasets(t)
	first := map[string][2]string{ // name: {first id, first gold}
		"gsm8k":   {"0", "18"},
		"math500": {"test/precalculus/807.json", `\left( 3, \frac{\pi}{2} \right)`},
		"math":    {"0", "2"},
		"aime24":  {"60", "204"},
		"aime25":  {"0", "70"},
		"amc23":   {"0", "27"},
	}
	for _, e := range Known() {
		path := filepath.Join(root, e.Name, "test.jsonl")
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%s: %v", e.Name, err)
			continue
		}
		start := time.Now()
		ps, info, err := Load(Spec{Name: e.Name, Path: path})
		if err != nil {
			t.Errorf("%s: %v", e.Name, err)
			continue
		}
		t.Logf("%s: %d problems in %v", e.Name, len(ps), time.Since(start))
		if len(ps) != e.Records || info.Count != e.Records || info.SHA256 != e.SHA256 || !info.Verified || info.Origin != e.Source() {
			t.Errorf("%s: %d problems, info %+v; want %d, sha256 %s", e.Name, len(ps), info, e.Records, e.SHA256)
		}
		if f := first[e.Name]; ps[0].ID != f[0] || ps[0].Gold != f[1] {
			t.Errorf("%s: first problem id %q gold %q, want %q %q", e.Name, ps[0].ID, ps[0].Gold, f[0], f[1])
		}
		for _, p := range ps {
			if strings.TrimSpace(p.Question) == "" || strings.TrimSpace(p.Gold) == "" {
				t.Errorf("%s %s: empty question or gold", e.Name, p.ID)
			}
			switch e.Kind {
			case KindGSM8K, KindAIME24, KindAIME25:
				if strings.Trim(strings.TrimPrefix(p.Gold, "-"), "0123456789") != "" {
					t.Errorf("%s %s: gold %q is not an integer", e.Name, p.ID, p.Gold)
				}
			case KindAMC23:
				if strings.Trim(strings.TrimPrefix(p.Gold, "-"), "0123456789.") != "" || strings.HasSuffix(p.Gold, ".0") {
					t.Errorf("%s %s: gold %q", e.Name, p.ID, p.Gold)
				}
			case KindMATH, KindMATH500:
				if p.Meta["level"] < "1" || p.Meta["level"] > "5" || p.Meta["subject"] == "" {
					t.Errorf("%s %s: meta %v", e.Name, p.ID, p.Meta)
				}
			}
		}
	}
}

// TestSharedMATHAgreesWithMATH500: MATH-500's answer field and our last-\boxed{} gold of the same
// problem in the full MATH file must agree on all 500.
func TestSharedMATHAgreesWithMATH500(t *testing.T) {
	root := sharedDatasets(t)
	math, _, err := Load(Spec{Name: "math", Path: filepath.Join(root, "math", "test.jsonl")})
	if err != nil {
		t.Fatal(err)
	}
	m500, _, err := Load(Spec{Name: "math500", Path: filepath.Join(root, "math500", "test.jsonl")})
	if err != nil {
		t.Fatal(err)
	}
	byQ := map[string]Problem{}
	for _, p := range math {
		byQ[p.Question] = p
	}
	matched := 0
	for _, p := range m500 {
		q, ok := byQ[p.Question]
		if !ok {
			continue
		}
		matched++
		if q.Gold != p.Gold {
			t.Errorf("%s: MATH gold %q, MATH-500 answer %q", p.ID, q.Gold, p.Gold)
		}
		if q.Meta["level"] != p.Meta["level"] || q.Meta["subject"] != p.Meta["subject"] {
			t.Errorf("%s: meta %v vs %v", p.ID, q.Meta, p.Meta)
		}
	}
	if matched != 500 {
		t.Errorf("%d of 500 MATH-500 problems found in MATH", matched)
	}
}

// BenchmarkLoadMATH measures loading (read, sha256, parse, last-\boxed{}) of the 5000-problem file.
func BenchmarkLoadMATH(b *testing.B) {
	path := filepath.Join(sharedDatasets(b), "math", "test.jsonl")
	for b.Loop() {
		if _, _, err := Load(Spec{Name: "math", Path: path}); err != nil {
			b.Fatal(err)
		}
	}
}
