package metrics

import (
	"encoding/json"
	"testing"
	"time"
)

func TestPairedRelativeChange(t *testing.T) {
	opt := BootstrapOptions{B: 300, Seed: 4}
	base := []float64{100, 200, 300, 400}
	cand := []float64{150, 260, 390, 520}
	ch, err := PairedRelativeChange(base, cand, opt)
	if err != nil {
		t.Fatal(err)
	}
	// Mean 250 -> 330: +32%.
	if !statsClose(ch.ChangePct.Estimate, 32, 1e-12) || ch.BaseMean != 250 || ch.CandidateMean != 330 {
		t.Errorf("change %+v", ch)
	}
	// The same resamples as PairedReduction, sign flipped and in percent.
	r, _ := PairedReduction(base, cand, opt)
	if !statsClose(ch.ChangePct.Low, -100*r.Reduction.High, 1e-12) || !statsClose(ch.ChangePct.High, -100*r.Reduction.Low, 1e-12) ||
		!(ch.ChangePct.Low <= ch.ChangePct.Estimate && ch.ChangePct.Estimate <= ch.ChangePct.High) {
		t.Errorf("interval %+v vs reduction %+v", ch.ChangePct, r.Reduction)
	}
	if ch.ChangePct.Seed != 4 || ch.ChangePct.B != 300 || ch.ChangePct.N != 4 {
		t.Errorf("interval options %+v", ch.ChangePct)
	}
	// Equal means: exactly 0, no negative zero in JSON.
	same, _ := PairedRelativeChange(base, base, opt)
	if b, _ := json.Marshal(same.ChangePct.Estimate); string(b) != "0" {
		t.Errorf("no change = %s", b)
	}
	if _, err := PairedRelativeChange(base, cand[:2], opt); err == nil {
		t.Error("length mismatch: no error")
	}
	if z, err := PairedRelativeChange([]float64{0, 0}, []float64{1, 2}, opt); err != nil || z.ChangePct.Estimate != 0 {
		t.Errorf("zero baseline: %+v %v", z, err)
	}
	if e, err := PairedRelativeChange(nil, nil, opt); err != nil || e.ChangePct.N != 0 {
		t.Errorf("empty: %+v %v", e, err)
	}
}

func TestIntersectProblems(t *testing.T) {
	rec := func(id string, s int) Record { return Record{ProblemID: id, Sample: s} }
	base := []Record{rec("a", 0), rec("b", 0), rec("b", 1), rec("c", 0)}
	cand := []Record{rec("d", 0), rec("b", 1), rec("a", 0), rec("b", 0)}
	b, c, bo, co := IntersectProblems(base, cand)
	want := func(got []Record, ids ...string) {
		t.Helper()
		if len(got) != len(ids) {
			t.Fatalf("%+v, want ids %v", got, ids)
		}
		for i, id := range ids {
			if got[i].ProblemID != id {
				t.Fatalf("%+v, want ids %v", got, ids)
			}
		}
	}
	want(b, "a", "b", "b")
	want(c, "b", "a", "b")
	if bo != 1 || co != 1 {
		t.Errorf("left out %d %d", bo, co)
	}
	// The intersection pairs: CompareRecords accepts it.
	if cmp, err := CompareRecords(b, c, CompareOptions{Bootstrap: BootstrapOptions{B: 10}}); err != nil || cmp.Problems != 2 {
		t.Errorf("compare: %+v %v", cmp, err)
	}
	if b, c, bo, co := IntersectProblems(nil, cand); len(b) != 0 || len(c) != 0 || bo != 0 || co != 3 {
		t.Errorf("empty baseline: %v %v %d %d", b, c, bo, co)
	}
}

func TestCompareRecordsLatency(t *testing.T) {
	rec := func(id string, s int, ms int) Record {
		return Record{ProblemID: id, Sample: s, CompletionTokens: 10, Total: time.Duration(ms) * time.Millisecond}
	}
	base := []Record{rec("a", 0, 100), rec("a", 1, 300), rec("b", 0, 200), rec("b", 1, 200)}
	cand := []Record{rec("a", 0, 100), rec("a", 1, 100), rec("b", 0, 150), rec("b", 1, 150)}
	c, err := CompareRecords(base, cand, CompareOptions{Bootstrap: BootstrapOptions{B: 50, Seed: 1}})
	if err != nil {
		t.Fatal(err)
	}
	// Per-problem means 200, 200 -> 100, 150: mean 200 -> 125 = -37.5%.
	if c.Latency.BaseMean != 200 || c.Latency.CandidateMean != 125 || !statsClose(c.Latency.ChangePct.Estimate, -37.5, 1e-12) || c.Latency.ChangePct.N != 2 {
		t.Errorf("latency %+v", c.Latency)
	}
}
