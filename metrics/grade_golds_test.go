package metrics

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// These tests read the real benchmark files from ../shared/datasets (relative to the repository
// root, the directory holding go.mod) and skip with a message when they are absent.

func gradeSharedDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Skip("go.mod not found above the package directory; cannot locate ../shared")
		}
		dir = parent
	}
	shared := filepath.Join(dir, "..", "shared", "datasets")
	if _, err := os.Stat(shared); err != nil {
		tb.Skipf("shared datasets not available at %s: %v", shared, err)
	}
	return shared
}

type gradeGoldRecord struct {
	bench    string
	gold     string
	solution string // a full reference solution, when the file has one
}

// gradeReadGolds reads the golds of one dataset, normalised to strings the way the loader does.
func gradeReadGolds(tb testing.TB, shared, name string) []gradeGoldRecord {
	tb.Helper()
	path := filepath.Join(shared, name, "test.jsonl")
	f, err := os.Open(path)
	if err != nil {
		tb.Skipf("%s not available: %v", path, err)
	}
	defer f.Close()
	var out []gradeGoldRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	line := 0
	for sc.Scan() {
		line++
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			tb.Fatalf("%s:%d: %v", path, line, err)
		}
		str := func(k string) string {
			switch v := m[k].(type) {
			case string:
				return v
			case json.Number:
				return v.String()
			case nil:
				return ""
			default:
				return fmt.Sprint(v)
			}
		}
		var r gradeGoldRecord
		switch name {
		case "gsm8k":
			r.bench = "gsm8k"
			sol := str("answer")
			i := strings.LastIndex(sol, "####")
			if i < 0 {
				tb.Fatalf("%s:%d: no #### in answer", path, line)
			}
			r.gold = strings.TrimSpace(sol[i+4:])
			r.solution = sol
		case "math":
			r.bench = "math"
			r.solution = str("solution")
			g, ok := LastBoxed(r.solution)
			if !ok {
				tb.Fatalf("%s:%d: no \\boxed in solution", path, line)
			}
			r.gold = g
		case "math500":
			r.bench = "math500"
			r.gold = str("answer")
			r.solution = str("solution")
		default:
			r.bench = name
			r.gold = str("answer")
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return out
}

// TestGradeRealGoldsAgainstThemselves: every gold, boxed the way a model writes it, grades correct.
func TestGradeRealGoldsAgainstThemselves(t *testing.T) {
	shared := gradeSharedDir(t)
	for _, name := range []string{"gsm8k", "math500", "math", "aime24", "aime25", "amc23"} {
		t.Run(name, func(t *testing.T) {
			recs := gradeReadGolds(t, shared, name)
			bad := 0
			for i, r := range recs {
				forms := []string{
					"Let me think step by step. ... so the answer is \\boxed{" + r.gold + "}.",
					"<think>\nsome reasoning 12, 7, 3\n</think>\nThe final answer is $\\boxed{" + r.gold + "}$",
				}
				for _, resp := range forms {
					v := Grade(r.bench, resp, r.gold)
					if !v.Correct || v.Rule != RuleBoxed {
						bad++
						if bad <= 20 {
							t.Errorf("record %d: gold %q graded %+v", i, r.gold, v)
						}
					}
				}
				if r.solution != "" {
					v := Grade(r.bench, r.solution, r.gold)
					if !v.Correct {
						bad++
						if bad <= 20 {
							t.Errorf("record %d: reference solution against gold %q graded %+v", i, r.gold, v)
						}
					}
				}
			}
			t.Logf("%s: %d golds, %d failures", name, len(recs), bad)
		})
	}
}

// TestGradeRealGoldsNeighbours is a false-positive probe: a gold against a different gold of the same
// set is almost never equivalent; every hit is listed and must be a genuinely equal value.
func TestGradeRealGoldsNeighbours(t *testing.T) {
	shared := gradeSharedDir(t)
	for _, name := range []string{"math500", "math"} {
		recs := gradeReadGolds(t, shared, name)
		hits := 0
		for i := range recs {
			for _, d := range []int{1, 7, 131} {
				j := (i + d) % len(recs)
				p, g := recs[j].gold, recs[i].gold
				if gradeKey(NormalizeAnswer(p)) == gradeKey(NormalizeAnswer(g)) {
					continue
				}
				if Equivalent(p, g) {
					hits++
					if !gradeAllowedNeighbour(p, g) {
						t.Errorf("%s: %q judged equivalent to %q", name, p, g)
					}
				}
			}
		}
		t.Logf("%s: %d neighbour pairs judged equivalent with different normal forms", name, hits)
	}
}

// gradeAllowedNeighbour lists pairs of distinct gold spellings that are the same value.
func gradeAllowedNeighbour(p, g string) bool {
	allowed := map[[2]string]bool{
		{"x=5", "5"}: true, {"a=9", "9"}: true, // an equation against its value
		{"100\\%", "1"}:              true, // percent: 100% = 1 (Qwen's include_percentage)
		{"\\frac34", "\\frac{3}{4}"}: true,
	}
	return allowed[[2]string{p, g}] || allowed[[2]string{g, p}]
}

// TestGradeRealGoldsRewritten: each gold rewritten the way models vary it (math delimiters, \dfrac,
// its decimal value with 10 significant digits, other extraction rules) still grades correct.
func TestGradeRealGoldsRewritten(t *testing.T) {
	shared := gradeSharedDir(t)
	b := newGradeBudget(context.Background())
	for _, name := range []string{"gsm8k", "math500", "math", "aime24", "aime25", "amc23"} {
		recs := gradeReadGolds(t, shared, name)
		numeric, bad := 0, 0
		for i, r := range recs {
			forms := []string{
				"so the answer is $\\boxed{$" + r.gold + "$}$.",
				"\\boxed{" + strings.ReplaceAll(r.gold, `\frac`, `\dfrac`) + "}",
			}
			fam := gradeCanonicalBenchmark(r.bench)
			if fam != BenchMATH {
				forms = append(forms, "The answer is "+r.gold+".", "Reasoning...\n#### "+r.gold, "So the total is "+r.gold+" dollars.")
			}
			if fam == BenchAIME {
				forms = append(forms, fmt.Sprintf("\\boxed{%03s}", r.gold))
			}
			// the decimal value of a numeric gold
			norm, _ := gradeNormalize(r.gold)
			if v := gradeParseVal(norm, b, 0); v.kind == gvScalar {
				if n, err := gradeParseExpr(v.text, b); err == nil {
					vars := map[string]struct{}{}
					gradeCollectVars(n, vars)
					x := gradeEval(n, nil, b)
					if len(vars) == 0 && imag(x) == 0 && !math.IsNaN(real(x)) && !math.IsInf(real(x), 0) && !strings.Contains(norm, "_") {
						numeric++
						if fam != BenchAIME || real(x) == math.Round(real(x)) {
							forms = append(forms, "\\boxed{"+strconv.FormatFloat(real(x), 'g', 10, 64)+"}")
						}
					}
				}
			}
			for _, resp := range forms {
				if v := Grade(r.bench, resp, r.gold); !v.Correct {
					bad++
					if bad <= 20 {
						t.Errorf("%s record %d: %q against gold %q: %+v", name, i, resp, r.gold, v)
					}
				}
			}
		}
		t.Logf("%s: %d golds (%d numeric), %d failures", name, len(recs), numeric, bad)
	}
}
