package metrics

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDescribeHand(t *testing.T) {
	xs := []float64{1, 2, 3, 4, 100}
	// numpy: mean 22, median 3, percentile 90: h = 0.9*4 = 3.6 -> 4 + 0.6*96 = 61.6,
	// std = sqrt((21^2+20^2+19^2+18^2+78^2)/5) = sqrt(1522).
	cases := []struct {
		name      string
		got, want float64
	}{
		{"mean", Mean(xs), 22},
		{"median", Median(xs), 3},
		{"median even", Median([]float64{4, 1, 3, 2}), 2.5},
		{"p90", Percentile(xs, 90), 61.6},
		{"p0", Percentile(xs, 0), 1},
		{"p100", Percentile(xs, 100), 100},
		{"p above 100 clamps", Percentile(xs, 250), 100},
		{"p25", Percentile(xs, 25), 2},
		{"std", Std(xs), math.Sqrt(1522)},
		{"empty mean", Mean(nil), 0},
		{"empty median", Median(nil), 0},
		{"empty percentile", Percentile(nil, 50), 0},
		{"empty std", Std(nil), 0},
		{"nan ignored", Mean([]float64{math.NaN(), 2, 4, math.Inf(1)}), 3},
		{"nan percentile", Percentile([]float64{math.NaN(), 10, 20}, 50), 15},
		{"all nan", Mean([]float64{math.NaN()}), 0},
	}
	for _, c := range cases {
		if !statsClose(c.got, c.want, 1e-12) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	// Inputs are not reordered.
	in := []float64{3, 1, 2}
	Percentile(in, 50)
	Median(in)
	if !reflect.DeepEqual(in, []float64{3, 1, 2}) {
		t.Errorf("input modified: %v", in)
	}
}

func TestPassAtKProperties(t *testing.T) {
	for n := 1; n <= 40; n++ {
		for c := 0; c <= n; c++ {
			prev := -1.0
			for k := 1; k <= n; k++ {
				v, err := PassAtK(n, c, k)
				if err != nil {
					t.Fatal(err)
				}
				if v < 0 || v > 1 {
					t.Fatalf("pass@%d(n=%d,c=%d) = %v out of [0,1]", k, n, c, v)
				}
				if v < prev-1e-12 {
					t.Fatalf("pass@k not monotone in k: n=%d c=%d k=%d: %v < %v", n, c, k, v, prev)
				}
				prev = v
				if k == 1 && !statsClose(v, float64(c)/float64(n), 1e-12) {
					t.Fatalf("pass@1(n=%d,c=%d) = %v, want c/n", n, c, v)
				}
				if c == 0 && v != 0 {
					t.Fatalf("pass@%d with c=0 = %v", k, v)
				}
			}
			if want := map[bool]float64{true: 1, false: 0}[c > 0]; prev != want {
				t.Fatalf("pass@n(n=%d,c=%d) = %v, want %v", n, c, prev, want)
			}
		}
	}
}

func TestPassAtKErrors(t *testing.T) {
	for _, c := range []struct{ n, c, k int }{{5, 2, 6}, {5, 2, 0}, {0, 0, 1}, {5, 6, 1}, {5, -1, 1}} {
		if _, err := PassAtK(c.n, c.c, c.k); err == nil {
			t.Errorf("PassAtK(%d,%d,%d): no error", c.n, c.c, c.k)
		}
	}
	_, err := MeanPassAtK([][]bool{{true, false, true}, {true}}, 2)
	if err == nil || !strings.Contains(err.Error(), "problem 1") {
		t.Errorf("MeanPassAtK with k > n: err = %v, want it to name problem 1", err)
	}
}

func TestAccuracyAvgPass(t *testing.T) {
	s := [][]bool{{true, false, true, true}, {false, false, false, false}, {true, true, false, false}}
	if got := Accuracy([]bool{true, false, true, true}); got != 0.75 {
		t.Errorf("Accuracy = %v", got)
	}
	if got, _ := AvgAtK(s); !statsClose(got, (0.75+0+0.5)/3, 1e-15) {
		t.Errorf("AvgAtK = %v", got)
	}
	// pass@2: problem 0: 1 - C(1,2)/C(4,2) = 1; problem 1: 0; problem 2: 1 - C(2,2)/C(4,2) = 5/6.
	if got, _ := MeanPassAtK(s, 2); !statsClose(got, (1+0+5.0/6)/3, 1e-15) {
		t.Errorf("pass@2 = %v", got)
	}
	p1, _ := MeanPassAtK(s, 1)
	a, _ := AvgAtK(s)
	if !statsClose(p1, a, 1e-15) {
		t.Errorf("pass@1 %v != avg@k %v", p1, a)
	}
	if _, err := AvgAtK([][]bool{{true}, {}}); err == nil {
		t.Error("AvgAtK with an empty problem: no error")
	}
	if got, err := AvgAtK(nil); got != 0 || err != nil {
		t.Errorf("AvgAtK(nil) = %v, %v", got, err)
	}
	if Accuracy(nil) != 0 {
		t.Error("Accuracy(nil) != 0")
	}
}

func TestMajorityVote(t *testing.T) {
	v := func(a string, ok bool) Vote { return Vote{Answer: a, Correct: ok} }
	cases := []struct {
		name    string
		votes   []Vote
		k       int
		answer  string
		correct bool
	}{
		{"clear majority", []Vote{v("3", false), v("5", true), v("5", true)}, 0, "5", true},
		{"wrong majority", []Vote{v("5", true), v("3", false), v("3", false)}, 0, "3", false},
		{"tie: first seen wins", []Vote{v("7", false), v("5", true), v("5", true), v("7", false)}, 0, "7", false},
		{"tie other order", []Vote{v("5", true), v("7", false), v("7", false), v("5", true)}, 0, "5", true},
		{"three-way tie", []Vote{v("b", false), v("a", true), v("c", false)}, 0, "b", false},
		{"no-answer votes ignored", []Vote{v("", false), v("", false), v("4", true)}, 0, "4", true},
		{"nothing extracted", []Vote{v("", false), v("", false)}, 0, "", false},
		{"first k only", []Vote{v("1", true), v("2", false), v("2", false)}, 1, "1", true},
		{"later overtakes", []Vote{v("1", true), v("2", false), v("2", false), v("1", true), v("1", true)}, 0, "1", true},
		{"empty", nil, 0, "", false},
	}
	for _, c := range cases {
		a, ok := MajorityVote(c.votes, c.k)
		if a != c.answer || ok != c.correct {
			t.Errorf("%s: MajorityVote = (%q, %v), want (%q, %v)", c.name, a, ok, c.answer, c.correct)
		}
	}
	votes := [][]Vote{
		{v("5", true), v("5", true), v("3", false), v("1", false)},
		{v("", false), v("", false), v("", false), v("", false)},
		{v("2", false), v("9", true), v("9", true), v("9", true)},
	}
	for _, c := range []struct {
		k    int
		want float64
	}{{1, 1.0 / 3}, {2, 1.0 / 3}, {3, 2.0 / 3}, {4, 2.0 / 3}} {
		got, err := MajAtK(votes, c.k)
		if err != nil || !statsClose(got, c.want, 1e-15) {
			t.Errorf("maj@%d = %v, %v; want %v", c.k, got, err, c.want)
		}
	}
	if _, err := MajAtK(votes, 5); err == nil {
		t.Error("maj@5 with 4 samples: no error")
	}
	if _, err := MajAtK(votes, 0); err == nil {
		t.Error("maj@0: no error")
	}
}

func TestBootstrapReproducibleAndSane(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	xs := make([]float64, 300)
	for i := range xs {
		xs[i] = r.NormFloat64()*10 + 50
	}
	opt := BootstrapOptions{B: 1000, Level: 0.95, Seed: 42}
	a, b := BootstrapMean(xs, opt), BootstrapMean(xs, opt)
	if a != b {
		t.Fatalf("same seed, different intervals: %+v vs %+v", a, b)
	}
	c := BootstrapMean(xs, BootstrapOptions{B: 1000, Level: 0.95, Seed: 43})
	if c.Low == a.Low && c.High == a.High {
		t.Errorf("different seeds gave identical intervals %+v", c)
	}
	if !(a.Low < a.Estimate && a.Estimate < a.High) {
		t.Errorf("interval %+v does not contain its estimate", a)
	}
	if a.Estimate != Mean(xs) || a.N != 300 || a.B != 1000 || a.Seed != 42 || a.Level != 0.95 || a.Method != MethodBootstrapPercentile {
		t.Errorf("interval metadata wrong: %+v", a)
	}
	// Standard error of the mean is about 10/sqrt(300) = 0.577; a 95% interval is about ±1.13.
	if w := a.High - a.Low; w < 1.8 || w > 2.7 {
		t.Errorf("95%% interval width %v, want about 2.26", w)
	}
	wide := BootstrapMean(xs, BootstrapOptions{B: 1000, Level: 0.99, Seed: 42})
	if !(wide.High-wide.Low > a.High-a.Low) {
		t.Errorf("99%% interval %+v not wider than 95%% %+v", wide, a)
	}
	def := BootstrapMean(xs, BootstrapOptions{})
	if def.B != DefaultBootstrapB || def.Level != DefaultLevel {
		t.Errorf("defaults not applied: %+v", def)
	}
	if bad := BootstrapMean(xs, BootstrapOptions{Level: 95}); bad.Level != DefaultLevel {
		t.Errorf("level 95 not replaced by the default: %+v", bad)
	}
	// Constant data: a degenerate interval.
	k := BootstrapMean([]float64{3, 3, 3}, opt)
	if k.Low != 3 || k.High != 3 || k.Estimate != 3 {
		t.Errorf("constant data: %+v", k)
	}
	// Empty input: zero interval, N = 0, no panic.
	if e := BootstrapMean(nil, opt); e.N != 0 || e.Estimate != 0 || e.Low != 0 || e.High != 0 {
		t.Errorf("empty: %+v", e)
	}
	if e := Bootstrap(5, nil, opt); e.N != 0 {
		t.Errorf("nil stat: %+v", e)
	}
	// NaN replicates are dropped and counted.
	n := Bootstrap(4, func(idx []int) float64 {
		if idx[0] == 0 {
			return math.NaN()
		}
		return 1
	}, opt)
	if n.Dropped == 0 || n.Dropped == opt.B || n.Low != 1 || n.High != 1 || n.Estimate != 0 {
		t.Errorf("NaN replicates: %+v", n)
	}
}

func TestBootstrapAgreesWithWilson(t *testing.T) {
	correct := make([]bool, 1000)
	for i := range correct {
		correct[i] = i%5 < 3 // 60%
	}
	b := BootstrapAccuracy(correct, BootstrapOptions{B: 2000, Seed: 3})
	w := AccuracyWilson(correct, 0.95)
	if b.Estimate != 0.6 || w.Estimate != 0.6 {
		t.Fatalf("estimates %v %v", b.Estimate, w.Estimate)
	}
	if math.Abs(b.Low-w.Low) > 0.006 || math.Abs(b.High-w.High) > 0.006 {
		t.Errorf("bootstrap %v..%v far from Wilson %v..%v", b.Low, b.High, w.Low, w.High)
	}
}

func TestWilsonEdges(t *testing.T) {
	if iv := WilsonInterval(0, 0, 0.95); iv.N != 0 || iv.Low != 0 || iv.High != 0 {
		t.Errorf("n=0: %+v", iv)
	}
	if iv := WilsonInterval(5, 3, 0.95); iv.N != 0 {
		t.Errorf("successes > n: %+v", iv)
	}
	iv := WilsonInterval(0, 20, 0.95)
	if iv.Low != 0 || iv.High <= 0 || iv.High >= 0.2 {
		t.Errorf("0/20: %+v", iv)
	}
	// The bounds at p = 0 and p = 1 are exact, for every n (no rounding noise such as 2.8e-17).
	for n := 1; n <= 64; n++ {
		if iv := WilsonInterval(0, n, 0.95); iv.Low != 0 {
			t.Errorf("0/%d: low %g, want 0", n, iv.Low)
		}
		if iv := WilsonInterval(n, n, 0.95); iv.High != 1 {
			t.Errorf("%d/%d: high %g, want 1", n, n, iv.High)
		}
	}
	if WilsonInterval(3, 10, 2).Level != DefaultLevel {
		t.Error("bad level not replaced")
	}
}

func TestPassAtKAndMajBootstrap(t *testing.T) {
	s := [][]bool{{true, false}, {false, false}, {true, true}, {false, true}}
	iv, err := BootstrapPassAtK(s, 2, BootstrapOptions{B: 200, Seed: 1})
	if err != nil || iv.Estimate != 0.75 || iv.N != 4 {
		t.Errorf("BootstrapPassAtK = %+v, %v", iv, err)
	}
	if _, err := BootstrapPassAtK(s, 3, BootstrapOptions{}); err == nil {
		t.Error("k > n: no error")
	}
	av, err := BootstrapAvgAtK(s, BootstrapOptions{B: 200, Seed: 1})
	if err != nil || av.Estimate != 0.5 {
		t.Errorf("BootstrapAvgAtK = %+v, %v", av, err)
	}
	mv, err := BootstrapMajAtK([][]Vote{{{"1", true}}, {{"2", false}}}, 1, BootstrapOptions{B: 100})
	if err != nil || mv.Estimate != 0.5 {
		t.Errorf("BootstrapMajAtK = %+v, %v", mv, err)
	}
}

func TestLengthStats(t *testing.T) {
	ls := LengthStats([]int{100, 1, 4, 3, 2})
	want := LengthSummary{N: 5, Mean: 22, Median: 3, P90: 61.6, P99: 96.16, Std: math.Sqrt(1522), Min: 1, Max: 100, Total: 110}
	// p99: h = 4*0.99 = 3.96 -> 4 + 0.96*96 = 96.16.
	if !statsClose(ls.P90, want.P90, 1e-12) || !statsClose(ls.P99, want.P99, 1e-12) || !statsClose(ls.Std, want.Std, 1e-12) {
		t.Errorf("LengthStats = %+v, want %+v", ls, want)
	}
	ls.P90, ls.P99, ls.Std, want.P90, want.P99, want.Std = 0, 0, 0, 0, 0, 0
	if ls != want {
		t.Errorf("LengthStats = %+v, want %+v", ls, want)
	}
	if LengthStats(nil) != (LengthSummary{}) {
		t.Error("empty LengthStats not zero")
	}
	sp, err := LengthByCorrectness([]int{10, 20, 30, 40}, []bool{true, false, true, false})
	if err != nil || sp.Correct.Mean != 20 || sp.Incorrect.Mean != 30 || sp.All.N != 4 || sp.Correct.N != 2 {
		t.Errorf("LengthByCorrectness = %+v, %v", sp, err)
	}
	if _, err := LengthByCorrectness([]int{1}, nil); err == nil {
		t.Error("mismatched lengths: no error")
	}
	sp, _ = LengthByCorrectness([]int{5}, []bool{true})
	if sp.Incorrect != (LengthSummary{}) {
		t.Errorf("no incorrect responses: %+v", sp.Incorrect)
	}
}

func TestGroupStats(t *testing.T) {
	keys := []string{"10", "2", "2", "", "Level 1", "10"}
	tokens := []int{100, 10, 30, 7, 5, 300}
	correct := []bool{true, false, true, true, false, false}
	gs, err := GroupStats(keys, tokens, correct)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, g := range gs {
		order = append(order, g.Key)
	}
	if !reflect.DeepEqual(order, []string{"2", "10", "Level 1"}) {
		t.Errorf("group order %v", order)
	}
	if gs[0].N != 2 || gs[0].Accuracy != 0.5 || gs[0].Length.All.Mean != 20 || gs[1].Length.Correct.Mean != 100 {
		t.Errorf("groups %+v", gs)
	}
	if _, err := GroupStats([]string{"a"}, nil, nil); err == nil {
		t.Error("mismatch: no error")
	}
}

func TestRates(t *testing.T) {
	tr := TruncationRate([]string{"stop", "length", "length", "stop"})
	if tr != (Rate{Count: 2, N: 4, Rate: 0.5}) {
		t.Errorf("TruncationRate = %+v", tr)
	}
	if TruncationRate(nil) != (Rate{}) {
		t.Error("empty truncation not zero")
	}
	th, err := ThinkStats([]bool{true, true, true, false}, []bool{true, false, false, false})
	want := ThinkSummary{N: 4, Opened: 3, Unclosed: 2, UnclosedRate: 0.5, UnclosedOfOpened: 2.0 / 3}
	if err != nil || th != want {
		t.Errorf("ThinkStats = %+v, %v; want %+v", th, err, want)
	}
	if _, err := ThinkStats([]bool{true}, nil); err == nil {
		t.Error("mismatch: no error")
	}
}

func TestLatency(t *testing.T) {
	ms := make([]float64, 100)
	for i := range ms {
		ms[i] = float64(100 - i) // 100..1
	}
	got := LatencyStats(ms)
	// numpy.percentile(np.arange(1, 101), [50, 90, 95, 99]) = 50.5, 90.1, 95.05, 99.01
	want := LatencySummary{N: 100, Mean: 50.5, Min: 1, P50: 50.5, P90: 90.1, P95: 95.05, P99: 99.01, Max: 100}
	for _, c := range [][2]float64{{got.Mean, want.Mean}, {got.P50, want.P50}, {got.P90, want.P90}, {got.P95, want.P95}, {got.P99, want.P99}, {got.Min, 1}, {got.Max, 100}} {
		if !statsClose(c[0], c[1], 1e-12) {
			t.Errorf("LatencyStats = %+v, want %+v", got, want)
			break
		}
	}
	d := LatencyStatsDurations([]time.Duration{1500 * time.Microsecond, 2500 * time.Microsecond})
	if d.Mean != 2 || d.Min != 1.5 || d.Max != 2.5 || d.N != 2 {
		t.Errorf("LatencyStatsDurations = %+v", d)
	}
	if LatencyStats(nil) != (LatencySummary{}) {
		t.Error("empty latency not zero")
	}
	if pt, ok := PerTokenLatency(11, time.Second, 3*time.Second); !ok || pt != 200*time.Millisecond {
		t.Errorf("PerTokenLatency = %v, %v", pt, ok)
	}
	if _, ok := PerTokenLatency(1, 0, time.Second); ok {
		t.Error("PerTokenLatency with one token: ok")
	}
	th, err := Throughput([]int{100, 200, 5}, []time.Duration{time.Second, 2 * time.Second, 0}, 2*time.Second)
	if err != nil || th.Tokens != 305 || th.TokensPerSecond != 152.5 || th.PerSequenceMean != 100 || th.Sequences != 3 || th.WallSeconds != 2 {
		t.Errorf("Throughput = %+v, %v", th, err)
	}
	if th, _ := Throughput(nil, nil, 0); th != (ThroughputSummary{}) {
		t.Errorf("empty Throughput = %+v", th)
	}
	if _, err := Throughput([]int{1}, nil, 0); err == nil {
		t.Error("mismatch: no error")
	}
}

func TestPairByID(t *testing.T) {
	order, err := PairByID([]string{"a", "b", "c"}, []string{"c", "a", "b"})
	if err != nil || !reflect.DeepEqual(order, []int{1, 2, 0}) {
		t.Errorf("PairByID = %v, %v", order, err)
	}
	_, err = PairByID([]string{"a", "b", "b", "x"}, []string{"a", "y", "b", "", "z"})
	var pe *PairingError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want *PairingError", err)
	}
	if !reflect.DeepEqual(pe.MissingInCandidate, []string{"x"}) || !reflect.DeepEqual(pe.MissingInBaseline, []string{"y", "z"}) ||
		!reflect.DeepEqual(pe.DuplicateBaseline, []string{"b"}) || !reflect.DeepEqual(pe.Empty, []string{"candidate[3]"}) {
		t.Errorf("PairingError = %+v", pe)
	}
	for _, s := range []string{"x", "y, z", "duplicate baseline ids: b"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %q", err, s)
		}
	}
	if o, err := PairByID(nil, nil); err != nil || len(o) != 0 {
		t.Errorf("empty: %v %v", o, err)
	}
}

func TestPairedReduction(t *testing.T) {
	r, err := PairedReduction([]float64{100, 200, 300}, []float64{50, 100, 150}, BootstrapOptions{B: 200, Seed: 1})
	if err != nil || r.BaseMean != 200 || r.CandidateMean != 100 || r.Reduction.Estimate != 0.5 ||
		!statsClose(r.Reduction.Low, 0.5, 1e-12) || !statsClose(r.Reduction.High, 0.5, 1e-12) {
		t.Errorf("PairedReduction = %+v, %v", r, err)
	}
	r, _ = PairedReduction([]float64{1000, 1000, 1000, 1000}, []float64{500, 700, 900, 1300}, BootstrapOptions{B: 500, Seed: 1})
	if !statsClose(r.Reduction.Estimate, 0.15, 1e-12) || !(r.Reduction.Low < 0.15 && r.Reduction.High > 0.15) {
		t.Errorf("PairedReduction = %+v", r)
	}
	if _, err := PairedReduction([]float64{1}, nil, BootstrapOptions{}); err == nil {
		t.Error("mismatch: no error")
	}
	if r, err := PairedReduction(nil, nil, BootstrapOptions{}); err != nil || r.Reduction.N != 0 {
		t.Errorf("empty: %+v %v", r, err)
	}
	if r, _ := PairedReduction([]float64{0, 0}, []float64{1, 2}, BootstrapOptions{B: 10}); r.Reduction.Estimate != 0 || r.Reduction.Dropped != 10 {
		t.Errorf("zero baseline: %+v", r)
	}
}

func TestMcNemarAndPermutationAgree(t *testing.T) {
	if McNemarExact(3, 12) != McNemarExact(12, 3) {
		t.Error("McNemar not symmetric")
	}
	if McNemarExact(0, 0) != 1 || McNemarExact(-1, 3) != 1 {
		t.Error("degenerate McNemar not 1")
	}
	// For 0/1 outcomes the exact sign-flip test is the exact McNemar test.
	for b := 0; b <= 8; b++ {
		for c := 0; c+b <= 16; c++ {
			d := make([]float64, 0, b+c+3)
			for i := 0; i < b; i++ {
				d = append(d, -1)
			}
			for i := 0; i < c; i++ {
				d = append(d, 1)
			}
			d = append(d, 0, 0, 0)
			p := PairedPermutationTest(d, 0, 0)
			if !statsClose(p.PValue, McNemarExact(b, c), 1e-12) || p.BaseOnly != b || p.CandidateOnly != c {
				t.Errorf("b=%d c=%d: permutation %+v, McNemar %v", b, c, p, McNemarExact(b, c))
			}
		}
	}
	// Beyond 16 non-zero differences: Monte Carlo, close to the exact value, reproducible.
	d := make([]float64, 0, 40)
	for i := 0; i < 40; i++ {
		d = append(d, map[bool]float64{true: -1, false: 1}[i < 12])
	}
	p := PairedPermutationTest(d, 20000, 9)
	if p.Method != MethodPermutationRandom || p.Permutations != 20000 || p.Seed != 9 {
		t.Errorf("monte carlo metadata: %+v", p)
	}
	if exact := McNemarExact(12, 28); math.Abs(p.PValue-exact) > 0.005 {
		t.Errorf("monte carlo p = %v, exact %v", p.PValue, exact)
	}
	if q := PairedPermutationTest(d, 20000, 9); q != p {
		t.Errorf("not reproducible: %+v vs %+v", q, p)
	}
	if q := PairedPermutationTest(nil, 0, 0); q.PValue != 1 {
		t.Errorf("no differences: %+v", q)
	}
}

func TestBinomialCDFHalf(t *testing.T) {
	// P(X <= 2), X ~ Bin(5, 1/2) = (1 + 5 + 10)/32
	if got := BinomialCDFHalf(2, 5); !statsClose(got, 0.5, 1e-14) {
		t.Errorf("CDF(2;5) = %v", got)
	}
	if got := BinomialCDFHalf(1, 5); !statsClose(got, 6.0/32, 1e-14) {
		t.Errorf("CDF(1;5) = %v", got)
	}
	if got := BinomialCDFHalf(0, 1000); got <= 0 || !statsClose(math.Log(got), -1000*math.Ln2, 1e-12) {
		t.Errorf("CDF(0;1000) = %v (underflowed?)", got)
	}
	// The log-space path (used above n = 10000) agrees with the exact one.
	for _, n := range []int{7, 50, 501, 5000, 10000} {
		for _, m := range []int{0, 1, n / 10, n / 3, n/2 - 1} {
			if 2*m >= n || m < 0 {
				continue
			}
			if e, l := BinomialCDFHalf(m, n), statsBinomialCDFHalfLog(m, n); !(e == 0 && l == 0) && math.Abs(e-l) > 1e-11*e {
				t.Errorf("CDF(%d;%d): exact %v, log-space %v", m, n, e, l)
			}
		}
	}
	if got := McNemarExact(4000, 4400); got <= 0 || got >= 0.01 {
		t.Errorf("McNemar(4000,4400) = %v", got)
	}
	if got, want := McNemarExact(6000, 6100), 2*statsBinomialCDFHalfLog(6000, 12100); got != want {
		t.Errorf("McNemar above the exact limit = %v, want %v", got, want)
	}
	if BinomialCDFHalf(5, 5) != 1 || BinomialCDFHalf(-1, 5) != 0 {
		t.Error("edges")
	}
}

func TestCompareAccuracy(t *testing.T) {
	// Single samples: b = 1 (only base correct), c = 3 (only candidate correct).
	base := [][]bool{{true}, {true}, {false}, {false}, {false}, {true}}
	cand := [][]bool{{true}, {false}, {true}, {true}, {true}, {true}}
	ch, err := CompareAccuracy(base, cand, BootstrapOptions{B: 300, Seed: 5}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Base != 0.5 || !statsClose(ch.Candidate, 5.0/6, 1e-15) || !statsClose(ch.DeltaPP, 100.0/3, 1e-12) ||
		ch.RelativePct == nil || !statsClose(*ch.RelativePct, 200.0/3, 1e-12) {
		t.Errorf("CompareAccuracy = %+v", ch)
	}
	if ch.Test.Method != MethodMcNemarExact || ch.Test.BaseOnly != 1 || ch.Test.CandidateOnly != 3 || ch.Test.PValue != McNemarExact(1, 3) {
		t.Errorf("test = %+v", ch.Test)
	}
	if ch.DeltaCI.Estimate != ch.DeltaPP || !(ch.DeltaCI.Low <= ch.DeltaPP && ch.DeltaPP <= ch.DeltaCI.High) {
		t.Errorf("delta CI = %+v", ch.DeltaCI)
	}
	// k > 1: permutation test; zero baseline accuracy: relative change undefined.
	ch, err = CompareAccuracy([][]bool{{false, false}, {false, false}}, [][]bool{{true, false}, {true, true}}, BootstrapOptions{B: 100}, 0)
	if err != nil || ch.Test.Method != MethodPermutationExact || ch.RelativePct != nil || ch.DeltaPP != 75 || ch.Test.PValue != 0.5 {
		t.Errorf("k=2: %+v, %v", ch, err)
	}
	if _, err := CompareAccuracy(base, cand[:2], BootstrapOptions{}, 0); err == nil {
		t.Error("mismatch: no error")
	}
	if _, err := CompareAccuracy([][]bool{{}}, [][]bool{{true}}, BootstrapOptions{}, 0); err == nil {
		t.Error("empty problem: no error")
	}
	if b, err := json.Marshal(ch); err != nil || !strings.Contains(string(b), `"relative_pct":null`) {
		t.Errorf("json %s, %v", b, err)
	}
}

func TestAES(t *testing.T) {
	cases := []struct {
		name           string
		ab, ac, lb, lc float64
		p              AESParams
		want           float64
	}{
		// ΔL = 0.4, ΔA = +0.05 -> 0.4 + 3*0.05
		{"gain", 0.8, 0.84, 1000, 600, AESParams{}, 0.55},
		// ΔL = 0.4, ΔA = -0.05 -> 0.4 - 5*0.05
		{"loss", 0.8, 0.76, 1000, 600, AESParams{}, 0.15},
		{"percent accuracies", 80, 76, 1000, 600, AESParams{}, 0.15},
		{"same", 0.5, 0.5, 100, 100, AESParams{}, 0},
		{"longer", 0.5, 0.5, 100, 150, AESParams{}, -0.5},
		{"custom weights", 0.8, 0.76, 1000, 600, AESParams{Alpha: 1, Beta: 5, Gamma: 10}, -0.1},
		{"zero base length", 0.8, 0.84, 0, 600, AESParams{}, 0.15},
		{"zero base accuracy", 0, 0.5, 1000, 500, AESParams{}, 0.5},
	}
	for _, c := range cases {
		if got := AES(c.ab, c.ac, c.lb, c.lc, c.p); !statsClose(got, c.want, 1e-12) {
			t.Errorf("%s: AES = %v, want %v", c.name, got, c.want)
		}
	}
	if got := AccuracyPer1kTokens(0.8, 2000); !statsClose(got, 0.4, 1e-15) {
		t.Errorf("AccuracyPer1kTokens = %v", got)
	}
	if AccuracyPer1kTokens(0.8, 0) != 0 || AccuracyPer1kTokens(0.8, math.NaN()) != 0 {
		t.Error("AccuracyPer1kTokens with no tokens not 0")
	}
}

func statsTestRecords(n, k int, seed uint64, pCorrect float64, meanTokens int) []Record {
	r := rand.New(rand.NewPCG(seed, 1))
	var out []Record
	for i := 0; i < n; i++ {
		for j := 0; j < k; j++ {
			ok := r.Float64() < pCorrect
			ans := "wrong" + string(rune('a'+r.IntN(3)))
			if ok {
				ans = "right"
			}
			tok := meanTokens/2 + r.IntN(meanTokens+1)
			fin := "stop"
			if tok > meanTokens*3/2-meanTokens/10 {
				fin = "length"
			}
			ttft := time.Duration(20+r.IntN(10)) * time.Millisecond
			out = append(out, Record{
				ProblemID: "p" + string(rune('A'+i%26)) + string(rune('0'+i/26%10)) + string(rune('0'+i/260)), Sample: j,
				Correct: ok, Answer: ans, CompletionTokens: tok, FinishReason: fin,
				ThinkOpened: true, ThinkClosed: fin == "stop",
				TTFT: ttft, Total: ttft + time.Duration(tok)*time.Millisecond,
				Groups: map[string]string{"level": string(rune('1' + i%5))},
			})
		}
	}
	return out
}

func TestAggregate(t *testing.T) {
	recs := statsTestRecords(50, 4, 1, 0.6, 400)
	// Shuffle sample order inside the input: Aggregate orders by Sample.
	recs[0], recs[3] = recs[3], recs[0]
	rs, err := Aggregate(recs, AggregateOptions{Bootstrap: BootstrapOptions{B: 200, Seed: 1}, Wall: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if rs.Problems != 50 || rs.Samples != 200 || rs.MinK != 4 || rs.MaxK != 4 {
		t.Errorf("counts: %+v", rs)
	}
	var correct []bool
	var tokens []int
	for _, r := range recs {
		correct = append(correct, r.Correct)
		tokens = append(tokens, r.CompletionTokens)
	}
	if !statsClose(rs.Accuracy.Estimate, Accuracy(correct), 1e-12) || rs.AccuracyWilson.N != 200 {
		t.Errorf("accuracy %+v vs %v", rs.Accuracy, Accuracy(correct))
	}
	if len(rs.PassAtK) != 2 || rs.PassAtK[0].K != 1 || rs.PassAtK[1].K != 4 || !statsClose(rs.PassAtK[0].Value.Estimate, rs.Accuracy.Estimate, 1e-12) ||
		rs.PassAtK[1].Value.Estimate < rs.PassAtK[0].Value.Estimate {
		t.Errorf("pass@k %+v", rs.PassAtK)
	}
	if len(rs.MajAtK) != 2 || rs.MajAtK[1].Value.Estimate <= 0 {
		t.Errorf("maj@k %+v", rs.MajAtK)
	}
	if rs.Length.All != LengthStats(tokens) {
		t.Errorf("length %+v", rs.Length.All)
	}
	if len(rs.ByGroup["level"]) != 5 || rs.ByGroup["level"][0].Key != "1" || rs.ByGroup["level"][0].N != 40 {
		t.Errorf("by group %+v", rs.ByGroup)
	}
	if rs.Truncation.N != 200 || rs.Think.Unclosed != rs.Truncation.Count {
		t.Errorf("truncation %+v think %+v", rs.Truncation, rs.Think)
	}
	if rs.TTFT.N != 200 || rs.TTFT.Min < 20 || rs.PerToken.N != 200 || !statsClose(rs.PerToken.Mean, 1, 0.02) {
		t.Errorf("latency ttft %+v per token %+v", rs.TTFT, rs.PerToken)
	}
	if rs.Throughput.TokensPerSecond != float64(rs.Length.All.Total)/10 {
		t.Errorf("throughput %+v", rs.Throughput)
	}
	if _, err := json.Marshal(rs); err != nil {
		t.Errorf("json: %v", err)
	}
	if _, err := Aggregate(recs, AggregateOptions{K: []int{5}}); err == nil {
		t.Error("k above samples: no error")
	}
	if _, err := Aggregate([]Record{{}}, AggregateOptions{}); err == nil {
		t.Error("empty problem id: no error")
	}
	if rs, err := Aggregate(nil, AggregateOptions{}); err != nil || rs.Problems != 0 {
		t.Errorf("empty: %+v, %v", rs, err)
	}
	if b, err := json.Marshal(RunStats{}); err != nil || len(b) == 0 {
		t.Errorf("zero RunStats json: %v", err)
	}
}

func TestCompareRecords(t *testing.T) {
	base := statsTestRecords(60, 1, 1, 0.5, 1000)
	cand := statsTestRecords(60, 1, 2, 0.6, 600)
	// Reverse the candidate: pairing is by id, not position.
	for i, j := 0, len(cand)-1; i < j; i, j = i+1, j-1 {
		cand[i], cand[j] = cand[j], cand[i]
	}
	c, err := CompareRecords(base, cand, CompareOptions{Bootstrap: BootstrapOptions{B: 300, Seed: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Problems != 60 || c.Accuracy.Test.Method != MethodMcNemarExact || c.AESParams != DefaultAESParams {
		t.Errorf("comparison %+v", c)
	}
	if c.Tokens.Reduction.Estimate < 0.3 || c.Tokens.Reduction.Estimate > 0.5 || !(c.Tokens.Reduction.Low < c.Tokens.Reduction.Estimate) {
		t.Errorf("reduction %+v", c.Tokens)
	}
	want := AES(c.Accuracy.Base, c.Accuracy.Candidate, c.Tokens.BaseMean, c.Tokens.CandidateMean, AESParams{})
	if c.AES != want || c.CandidateAccuracyPer1kTokens <= c.BaseAccuracyPer1kTokens {
		t.Errorf("AES %v want %v; per 1k %v %v", c.AES, want, c.BaseAccuracyPer1kTokens, c.CandidateAccuracyPer1kTokens)
	}
	if _, err := json.Marshal(c); err != nil {
		t.Errorf("json: %v", err)
	}
	_, err = CompareRecords(base, cand[1:], CompareOptions{})
	var pe *PairingError
	if !errors.As(err, &pe) || len(pe.MissingInCandidate) != 1 {
		t.Errorf("missing id: %v", err)
	}
	multi, err := CompareRecords(statsTestRecords(30, 4, 1, 0.5, 500), statsTestRecords(30, 4, 2, 0.5, 500), CompareOptions{Permutations: 2000})
	if err != nil || multi.Accuracy.Test.Method == MethodMcNemarExact {
		t.Errorf("k=4 comparison: %+v, %v", multi.Accuracy.Test, err)
	}
}

// TestDegenerateInputs calls every entry point with empty and non-finite input: no panic, no NaN in
// anything that is marshalled to JSON.
func TestDegenerateInputs(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	opt := BootstrapOptions{B: 20}
	var outs []any
	add := func(v ...any) { outs = append(outs, v...) }
	for _, xs := range [][]float64{nil, {}, {nan}, {inf, -inf}, {nan, 1}} {
		add(Mean(xs), Median(xs), Std(xs), Percentile(xs, 90), Percentile(xs, nan), LatencyStats(xs), BootstrapMean(xs, opt))
		r, err := PairedReduction(xs, xs, opt)
		add(r, err == nil)
		add(PairedPermutationTest(xs, 10, 1))
	}
	add(LengthStats(nil), TruncationRate(nil), AccuracyWilson(nil, 0.95), BootstrapAccuracy(nil, opt), McNemarExact(0, 0))
	add(AES(nan, 1, 1, 1, AESParams{}), AES(1, nan, inf, 1, AESParams{}), AES(0, 0, 0, 0, AESParams{}), AccuracyPer1kTokens(nan, 10))
	m, err := MajAtK(nil, 1)
	add(m, err == nil)
	p, err := MeanPassAtK(nil, 1)
	add(p, err == nil)
	g, err := GroupStats(nil, nil, nil)
	add(g, err == nil)
	th, err := ThinkStats(nil, nil)
	add(th, err == nil)
	tp, err := Throughput(nil, nil, 0)
	add(tp, err == nil)
	ch, err := CompareAccuracy(nil, nil, opt, 0)
	add(ch, err == nil)
	rs, err := Aggregate(nil, AggregateOptions{})
	add(rs, err == nil)
	c, err := CompareRecords(nil, nil, CompareOptions{})
	add(c, err == nil)
	for i, o := range outs {
		if _, err := json.Marshal(o); err != nil {
			t.Errorf("output %d (%T %+v) does not marshal: %v", i, o, o, err)
		}
	}
}

// SetEngine: 3 sequences of 5, 3 and 1 tokens (6 decode-step tokens) over 4 decode steps of 2 slots
// (fractional shares that add up to whole numbers), 7 decode-step rows.
func TestThroughputSetEngine(t *testing.T) {
	s, err := Throughput([]int{5, 3, 1}, []time.Duration{time.Second, time.Second, time.Second}, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	s.SetEngine(EngineWork{DecodeSteps: 1.5 + 2.5 + 1e-12, PrefillTokens: 2.0/3 + 2.0/3 + 2.0/3 + 10, SlotSteps: 8, DecodeRows: 6})
	if s.DecodeSteps != 4 || s.PrefillTokens != 12 || s.Slots != 2 || s.SlotUtilization != 6.0/8 || s.MeanLiveRows != 6.0/4 || s.TokensPerSecond != 4.5 {
		t.Errorf("%+v", s)
	}
	s.SetEngine(EngineWork{PrefillTokens: 3}) // every sequence ended at its first token: no decode steps
	if s.DecodeSteps != 0 || s.PrefillTokens != 3 || s.SlotUtilization != 0 || s.Slots != 0 {
		t.Errorf("no decode steps: %+v", s)
	}
}
