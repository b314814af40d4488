package metrics

// Reference values in testdata/stats/golden.json come from numpy, scipy and statsmodels (versions
// recorded in the file). Regenerate with:
//
//	python3 metrics/testdata/stats/gen_golden.py > metrics/testdata/stats/golden.json

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

type statsGolden struct {
	Describe []struct {
		X          []float64 `json:"x"`
		Mean       float64   `json:"mean"`
		Median     float64   `json:"median"`
		Std        float64   `json:"std"`
		Q          []float64 `json:"q"`
		Percentile []float64 `json:"percentile"`
	} `json:"describe"`
	PassAtK []struct {
		N, C, K int
		Value   float64 `json:"value"`
		Exact   float64 `json:"exact"`
	} `json:"pass_at_k"`
	Wilson []struct {
		Count, N  int
		Level     float64 `json:"level"`
		Low, High float64
	} `json:"wilson"`
	McNemar []struct {
		B, C      int
		P         float64 `json:"p"`
		PBinomial float64 `json:"p_binomtest"`
	} `json:"mcnemar"`
	Permutation []struct {
		Base, Cand []float64
		P          float64 `json:"p"`
	} `json:"permutation"`
}

func statsLoadGolden(t *testing.T) statsGolden {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "stats", "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g statsGolden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

// statsClose reports |got-want| <= tol*max(1, |want|).
func statsClose(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

func TestGoldenDescribe(t *testing.T) {
	g := statsLoadGolden(t)
	if len(g.Describe) == 0 {
		t.Fatal("no cases")
	}
	for i, c := range g.Describe {
		if got := Mean(c.X); !statsClose(got, c.Mean, 1e-13) {
			t.Errorf("case %d (n=%d): Mean = %v, numpy %v", i, len(c.X), got, c.Mean)
		}
		if got := Median(c.X); !statsClose(got, c.Median, 1e-13) {
			t.Errorf("case %d (n=%d): Median = %v, numpy %v", i, len(c.X), got, c.Median)
		}
		if got := Std(c.X); !statsClose(got, c.Std, 1e-12) {
			t.Errorf("case %d (n=%d): Std = %v, numpy %v", i, len(c.X), got, c.Std)
		}
		for j, q := range c.Q {
			if got := Percentile(c.X, q); !statsClose(got, c.Percentile[j], 1e-13) {
				t.Errorf("case %d (n=%d): Percentile(%v) = %v, numpy %v", i, len(c.X), q, got, c.Percentile[j])
			}
			if got := Quantile(c.X, q/100); !statsClose(got, c.Percentile[j], 1e-13) {
				t.Errorf("case %d (n=%d): Quantile(%v) = %v, numpy %v", i, len(c.X), q/100, got, c.Percentile[j])
			}
		}
	}
}

func TestGoldenPassAtK(t *testing.T) {
	for _, c := range statsLoadGolden(t).PassAtK {
		got, err := PassAtK(c.N, c.C, c.K)
		if err != nil {
			t.Fatalf("PassAtK(%d,%d,%d): %v", c.N, c.C, c.K, err)
		}
		if !statsClose(got, c.Value, 1e-14) {
			t.Errorf("PassAtK(%d,%d,%d) = %v, Codex numpy code %v", c.N, c.C, c.K, got, c.Value)
		}
		if !statsClose(got, c.Exact, 1e-10) {
			t.Errorf("PassAtK(%d,%d,%d) = %v, exact binomials %v", c.N, c.C, c.K, got, c.Exact)
		}
	}
}

func TestGoldenWilson(t *testing.T) {
	for _, c := range statsLoadGolden(t).Wilson {
		iv := WilsonInterval(c.Count, c.N, c.Level)
		if !statsClose(iv.Low, c.Low, 1e-12) || !statsClose(iv.High, c.High, 1e-12) {
			t.Errorf("Wilson(%d/%d, %v) = [%v, %v], statsmodels [%v, %v]", c.Count, c.N, c.Level, iv.Low, iv.High, c.Low, c.High)
		}
	}
}

func TestGoldenMcNemar(t *testing.T) {
	for _, c := range statsLoadGolden(t).McNemar {
		got := McNemarExact(c.B, c.C)
		if math.Abs(got-c.P) > 1e-10*c.P+1e-300 {
			t.Errorf("McNemarExact(%d,%d) = %v, statsmodels %v", c.B, c.C, got, c.P)
		}
		if math.Abs(got-c.PBinomial) > 1e-10*c.PBinomial+1e-300 {
			t.Errorf("McNemarExact(%d,%d) = %v, scipy binomtest %v", c.B, c.C, got, c.PBinomial)
		}
	}
}

func TestGoldenPermutation(t *testing.T) {
	for i, c := range statsLoadGolden(t).Permutation {
		d := make([]float64, len(c.Base))
		for j := range d {
			d[j] = c.Cand[j] - c.Base[j]
		}
		got := PairedPermutationTest(d, 0, 0)
		if got.Method != MethodPermutationExact || !statsClose(got.PValue, c.P, 1e-12) {
			t.Errorf("case %d: PairedPermutationTest = %+v, scipy permutation_test p = %v", i, got, c.P)
		}
	}
}
