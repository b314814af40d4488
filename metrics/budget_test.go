package metrics

import (
	"reflect"
	"testing"
)

func TestBudgetGrid(t *testing.T) {
	cases := []struct {
		name  string
		max   int
		extra []int
		want  []int
	}{
		{"smoke run", 48, nil, []int{16, 32, 48}},
		{"R1 protocol: 11 powers of two and the limit", 32768, nil,
			[]int{16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768}},
		{"long limit keeps the 11 largest powers", 100000, nil,
			[]int{64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 100000}},
		{"user budgets join; above the limit, zero and negative are left out", 4096, []int{1000, 5000, 0, -3, 1000, 4096},
			[]int{16, 32, 64, 128, 256, 512, 1000, 1024, 2048, 4096}},
		{"a power of two limit is not repeated", 64, []int{64}, []int{16, 32, 64}},
		{"limit below the grid", 10, []int{3}, []int{3, 10}},
		{"one token", 1, nil, []int{1}},
		{"no limit", 0, []int{5}, nil},
	}
	for _, c := range cases {
		if got := BudgetGrid(c.max, c.extra); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: BudgetGrid(%d, %v) = %v, want %v", c.name, c.max, c.extra, got, c.want)
		}
	}
}

// budgetFixture: three problems, one sample each, at max_new_tokens 30.
//
//	p1: 10 tokens, correct, stopped; its answer is complete from token 6 on.
//	p2: 20 tokens, wrong; it states the right answer from token 8 and revises it at token 15.
//	p3: 30 tokens, cut by the limit, wrong at every budget.
func budgetFixture() ([]Record, BudgetVerdict) {
	recs := []Record{
		{ProblemID: "p1", CompletionTokens: 10, Correct: true, FinishReason: "stop"},
		{ProblemID: "p2", CompletionTokens: 20, Correct: false, FinishReason: "stop"},
		{ProblemID: "p3", CompletionTokens: 30, Correct: false, FinishReason: "length"},
	}
	at := func(i, b int) bool {
		switch i {
		case 0:
			return b >= 6
		case 1:
			return b >= 8 && b < 15
		}
		return false
	}
	return recs, at
}

func TestBudgetCurveHand(t *testing.T) {
	recs, at := budgetFixture()
	calls := map[[2]int]bool{}
	guard := func(i, b int) bool {
		if recs[i].CompletionTokens <= b {
			t.Fatalf("verdict asked for record %d (%d tokens) at budget %d: it is not cut there", i, recs[i].CompletionTokens, b)
		}
		calls[[2]int{i, b}] = true
		return at(i, b)
	}
	opt := BootstrapOptions{B: 200, Seed: 5}
	got, err := BudgetCurve(recs, []int{5, 8, 10, 15, 30, 100}, guard, opt)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		budget    int
		acc, mean float64
		cut       int
		changed   int
	}{
		{5, 0, 5, 3, 1},               // every answer cut before it is complete; p1 changes
		{8, 2.0 / 3, 8, 3, 1},         // p1 complete, p2 states the right answer
		{10, 2.0 / 3, 10, 2, 1},       // p1 whole (10 tokens, stopped): not cut
		{15, 1.0 / 3, 40.0 / 3, 2, 0}, // p2 revised its answer
		{30, 1.0 / 3, 20, 1, 0},       // the run itself: p3 was cut by the limit
		{100, 1.0 / 3, 20, 0, 0},      // a budget above every length changes nothing
	}
	if len(got) != len(want) {
		t.Fatalf("%d points, want %d", len(got), len(want))
	}
	for i, w := range want {
		p := got[i]
		if p.Budget != w.budget || !statsClose(p.Accuracy.Estimate, w.acc, 1e-12) || !statsClose(p.MeanTokens, w.mean, 1e-12) ||
			p.Truncation.Count != w.cut || p.Truncation.N != 3 || p.Changed != w.changed {
			t.Errorf("budget %d: %+v, want accuracy %v, mean tokens %v, %d cut, %d changed", w.budget, p, w.acc, w.mean, w.cut, w.changed)
		}
	}
	// At the run's own limit the point is the run's accuracy, interval included.
	full, err := Aggregate(recs, AggregateOptions{Bootstrap: opt})
	if err != nil {
		t.Fatal(err)
	}
	if got[4].Accuracy != full.Accuracy || got[4].MeanTokens != full.Length.All.Mean {
		t.Errorf("curve at the limit %+v, run %+v (mean %v)", got[4].Accuracy, full.Accuracy, full.Length.All.Mean)
	}
	if !calls[[2]int{2, 8}] || calls[[2]int{0, 10}] {
		t.Errorf("verdict calls %v", calls)
	}
	if v, err := BudgetAccuracy(recs, 8, at); err != nil || !statsClose(v, 2.0/3, 1e-12) {
		t.Errorf("BudgetAccuracy(8) = %v, %v", v, err)
	}
}

func TestBudgetCurveSamplesAndEdges(t *testing.T) {
	// Two samples of one problem: avg@2 at each budget.
	recs := []Record{
		{ProblemID: "p", Sample: 0, CompletionTokens: 4, Correct: true},
		{ProblemID: "p", Sample: 1, CompletionTokens: 12, Correct: true},
	}
	at := func(i, b int) bool { return b >= 10 }
	got, err := BudgetCurve(recs, []int{2, 8, 12}, at, BootstrapOptions{B: 50})
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range []float64{0, 0.5, 1} { // sample 0 whole from 4 tokens on; sample 1 correct from token 10
		if !statsClose(got[i].Accuracy.Estimate, w, 1e-12) || got[i].Accuracy.N != 1 {
			t.Errorf("budget %d: %+v, want %v over 1 problem", got[i].Budget, got[i].Accuracy, w)
		}
	}
	if !statsClose(got[0].MeanTokens, 2, 1e-12) || !statsClose(got[1].MeanTokens, 6, 1e-12) {
		t.Errorf("mean tokens %v %v, want 2 and 6 (min(4, B) and min(12, B))", got[0].MeanTokens, got[1].MeanTokens)
	}
	// A single sample.
	one, err := BudgetCurve(recs[:1], []int{1, 4}, func(int, int) bool { return false }, BootstrapOptions{B: 10})
	if err != nil || one[0].Accuracy.Estimate != 0 || one[1].Accuracy.Estimate != 1 || one[0].Changed != 1 {
		t.Errorf("single sample: %+v, %v", one, err)
	}
	// No records: zero points, no error.
	none, err := BudgetCurve(nil, []int{8}, at, BootstrapOptions{})
	if err != nil || len(none) != 1 || none[0].Accuracy.N != 0 || none[0].MeanTokens != 0 {
		t.Errorf("no records: %+v, %v", none, err)
	}
	for _, bad := range [][]int{{8, 8}, {0, 4}, {9, 3}} {
		if _, err := BudgetCurve(recs, bad, at, BootstrapOptions{}); err == nil {
			t.Errorf("budgets %v: no error", bad)
		}
	}
	if _, err := BudgetCurve(recs, []int{4}, nil, BootstrapOptions{}); err == nil {
		t.Error("nil verdict function: no error")
	}
}

func TestBudgetToReach(t *testing.T) {
	point := func(b int, acc float64) BudgetPoint {
		return BudgetPoint{Budget: b, Accuracy: Interval{Estimate: acc, N: 1}}
	}
	linear := func(b int) (float64, error) { return min(1, float64(b)/1000) * 0.8, nil }
	curve := []BudgetPoint{point(250, 0.2), point(500, 0.4), point(1000, 0.8), point(2000, 0.8)}
	got, err := BudgetToReach(curve, []float64{0.9, 0.5, 1, 1.1, 0}, linear)
	if err != nil {
		t.Fatal(err)
	}
	// 0.9: target 0.72 is first reached at 900, between the grid points 500 and 1000.
	if r := got[0]; !r.Reached || r.Budget < 900 || float64(r.Budget-900) > ReachPrecision*float64(r.Budget) || r.Accuracy < 0.72 || !statsClose(r.Target, 0.72, 1e-12) {
		t.Errorf("share 0.9: %+v, want a budget in [900, 900+3%%]", r)
	}
	// 0.5: target 0.4 is the grid point 500 itself; nothing below it reaches it.
	if r := got[1]; !r.Reached || r.Budget != 500 || r.Accuracy != 0.4 {
		t.Errorf("share 0.5: %+v, want 500", r)
	}
	// 1: the final accuracy, first reached at 1000.
	if r := got[2]; !r.Reached || r.Budget < 1000 || r.Budget > 1000 {
		t.Errorf("share 1: %+v, want 1000", r)
	}
	if r := got[3]; r.Reached || r.Budget != 0 {
		t.Errorf("share 1.1: %+v, want not reached", r)
	}
	if r := got[4]; !r.Reached || r.Budget != 0 || !r.Exact {
		t.Errorf("share 0: %+v, want budget 0", r)
	}
	// A step: 0.1 until 737 tokens, then 0.8; the search narrows (512, 1024] to within 3% of 737.
	step := func(b int) (float64, error) {
		if b >= 737 {
			return 0.8, nil
		}
		return 0.1, nil
	}
	got, err = BudgetToReach([]BudgetPoint{point(512, 0.1), point(1024, 0.8)}, []float64{0.95}, step)
	if err != nil {
		t.Fatal(err)
	}
	if r := got[0]; r.Budget < 737 || r.Budget > 737+int(ReachPrecision*float64(r.Budget))+1 {
		t.Errorf("step: %+v, want just above 737", r)
	}
	// The first grid point already reaches it: searched down to 0.
	got, _ = BudgetToReach([]BudgetPoint{point(16, 0.8), point(32, 0.8)}, []float64{0.9}, step)
	if r := got[0]; r.Budget > 16 || !r.Reached {
		t.Errorf("reached at the first point: %+v", r)
	}
	// A final accuracy of 0: every target is 0, reached with no tokens.
	got, _ = BudgetToReach([]BudgetPoint{point(16, 0), point(32, 0)}, DefaultReachShares, step)
	if len(got) != 2 || got[0].Budget != 0 || !got[0].Reached {
		t.Errorf("zero accuracy: %+v", got)
	}
	if got, err := BudgetToReach(nil, DefaultReachShares, step); got != nil || err != nil {
		t.Errorf("empty curve: %v, %v", got, err)
	}
}

func TestBootstrapMeansSharesDraws(t *testing.T) {
	xss := [][]float64{{0, 1, 1, 0, 1}, {1, 1, 1, 1, 1}, {0.5, 0.25, 0, 1, 0.75}}
	opt := BootstrapOptions{B: 300, Seed: 9}
	got := bootstrapMeans(xss, opt)
	for k, xs := range xss {
		if want := BootstrapMean(xs, opt); got[k] != want {
			t.Errorf("%v: %+v, want %+v (BootstrapMean)", xs, got[k], want)
		}
	}
	// Unequal lengths and empty input fall back to separate calls.
	odd := [][]float64{{1, 0}, {1, 0, 1}, nil}
	for k, iv := range bootstrapMeans(odd, opt) {
		if want := BootstrapMean(odd[k], opt); iv != want {
			t.Errorf("fallback %v: %+v, want %+v", odd[k], iv, want)
		}
	}
}
