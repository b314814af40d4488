package metrics

import (
	"reflect"
	"testing"
)

// overthinkFixture: four samples of two problems.
//
//	s1 p1 correct,   100 tokens, correct answer first stated at 40, 6 markers (5 in 80 thinking tokens, 4 after 40)
//	s2 p1 incorrect, 200 tokens, stated the correct answer at 50 then lost it; 2 markers, all thinking (150 tokens), both after 50
//	s3 p2 incorrect,  50 tokens, never correct, no think block, no markers
//	s4 p2 correct,    80 tokens, no step states the answer (it comes at the end); unclosed think, 1 marker
func overthinkFixture() []SampleReasoning {
	return []SampleReasoning{
		{ProblemID: "p1", Correct: true, Tokens: 100, FirstCorrect: 40, ThinkState: ThinkClosed, ThinkTokens: 80,
			Markers: 6, MarkersThink: 5, MarkersAfterFirst: 4, Trajectory: TrajectoryConfirmatory},
		{ProblemID: "p1", Correct: false, Tokens: 200, FirstCorrect: 50, ThinkState: ThinkClosed, ThinkTokens: 150,
			Markers: 2, MarkersThink: 2, MarkersAfterFirst: 2, Trajectory: TrajectoryDestructive, Switches: 1},
		{ProblemID: "p2", Correct: false, Tokens: 50, FirstCorrect: -1, ThinkState: ThinkNone,
			Trajectory: TrajectoryUnresolved, Switches: 2},
		{ProblemID: "p2", Correct: true, Tokens: 80, FirstCorrect: -1, ThinkState: ThinkUnclosed, ThinkTokens: 80,
			Markers: 1, MarkersThink: 1, Trajectory: TrajectoryConfirmatory},
	}
}

func TestOverthinkingStatsHand(t *testing.T) {
	o, err := OverthinkingStats(overthinkFixture(), BootstrapOptions{B: 200, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want float64
	}{
		// T̂/T: s1 0.4, s2 0.25, s4 1 (answer at the end); s3 never states it.
		{"outcome efficiency correct", o.OutcomeEfficiency.Correct.Estimate, (0.4 + 1) / 2},
		{"outcome efficiency incorrect", o.OutcomeEfficiency.Incorrect.Estimate, 0.25},
		{"outcome efficiency overall", o.OutcomeEfficiency.Overall.Estimate, (0.4 + 0.25 + 1) / 3},
		// Chen et al.'s ξ_O over all four samples: (0.4 + 1) / 4.
		{"xi_O", o.OutcomeEfficiencyXi.Estimate, 0.35},
		// Redundant tokens: correct (60 + 0) / (100 + 80); incorrect 150/200; overall 210/380.
		{"redundant correct", o.RedundantTokenShare.Correct.Estimate, 60.0 / 180},
		{"redundant incorrect", o.RedundantTokenShare.Incorrect.Estimate, 0.75},
		{"redundant overall", o.RedundantTokenShare.Overall.Estimate, 210.0 / 380},
		// Markers per 1k tokens: 9/430, correct 7/180, incorrect 2/250.
		{"markers overall", o.ReflectionMarkersPer1k.Overall.Estimate, 9000.0 / 430},
		{"markers correct", o.ReflectionMarkersPer1k.Correct.Estimate, 7000.0 / 180},
		{"markers incorrect", o.ReflectionMarkersPer1k.Incorrect.Estimate, 8},
		// In thinking 8 markers / 310 tokens; after it 1 / 120; after the first correct answer 6 / (60+150+0).
		{"think per 1k", o.Reflection.ThinkPer1k, 8000.0 / 310},
		{"answer per 1k", o.Reflection.AnswerPer1k, 1000.0 / 120},
		{"after first correct per 1k", o.Reflection.AfterFirstCorrectPer1k, 6000.0 / 210},
		{"markers per sample", o.Reflection.PerSample, 2.25},
		{"switches", o.Trajectories.Switches, 0.75},
		{"switches correct", o.Trajectories.SwitchesCorrect, 0},
		{"switches incorrect", o.Trajectories.SwitchesIncorrect, 1.5},
	}
	for _, c := range checks {
		if !statsClose(c.got, c.want, 1e-12) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if o.Samples != 4 || o.Reflection.Markers != 9 || o.Reflection.MarkersThink != 8 || o.Reflection.MarkersAnswer != 1 ||
		o.Reflection.MarkersAfterFirstCorrect != 6 || o.OutcomeEfficiency.Correct.N != 2 || o.OutcomeEfficiency.Incorrect.N != 1 ||
		o.ReflectionMarkersPer1k.Overall.N != 2 {
		t.Errorf("counts: %+v", o)
	}
	tr := o.Trajectories
	if tr.Confirmatory != NewRate(2, 4) || tr.Corrective != NewRate(0, 4) || tr.Destructive != NewRate(1, 4) || tr.Unresolved != NewRate(1, 4) {
		t.Errorf("trajectories %+v", tr)
	}
	for _, iv := range []Interval{o.OutcomeEfficiency.Overall, o.RedundantTokenShare.Overall, o.ReflectionMarkersPer1k.Correct} {
		if !(iv.Low <= iv.Estimate+1e-12 && iv.Estimate <= iv.High+1e-12) {
			t.Errorf("interval does not hold its estimate: %+v", iv)
		}
	}

	// A single sample; none at all; bad input.
	one, err := OverthinkingStats(overthinkFixture()[:1], BootstrapOptions{B: 20})
	if err != nil || !statsClose(one.OutcomeEfficiency.Correct.Estimate, 0.4, 1e-12) || one.OutcomeEfficiency.Incorrect.N != 0 ||
		one.OutcomeEfficiency.Incorrect.Estimate != 0 {
		t.Errorf("single sample: %+v, %v", one, err)
	}
	if z, err := OverthinkingStats(nil, BootstrapOptions{}); err != nil || !reflect.DeepEqual(z, Overthinking{}) {
		t.Errorf("no samples: %+v, %v", z, err)
	}
	for _, bad := range []SampleReasoning{{Tokens: 5}, {ProblemID: "p", Tokens: 5, FirstCorrect: 6}, {ProblemID: "p", Tokens: 5, ThinkTokens: 9}} {
		if _, err := OverthinkingStats([]SampleReasoning{bad}, BootstrapOptions{}); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

func TestThinkTokenStats(t *testing.T) {
	got := ThinkTokenStats(overthinkFixture())
	want := ThinkTokens{
		Closed:   ThinkPart{N: 2, MeanThinkTokens: 115, MeanAnswerTokens: 35, ThinkShare: 230.0 / 300},
		Unclosed: TokensPart{N: 1, MeanTokens: 80},
		None:     TokensPart{N: 1, MeanTokens: 50},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ThinkTokenStats = %+v, want %+v", got, want)
	}
	if z := ThinkTokenStats(nil); !reflect.DeepEqual(z, ThinkTokens{}) {
		t.Errorf("no samples: %+v", z)
	}
}

func fairRec(id, level string, sample, tokens int, ok bool) Record {
	r := Record{ProblemID: id, Sample: sample, CompletionTokens: tokens, Correct: ok}
	if level != "" {
		r.Groups = map[string]string{"level": level}
	}
	return r
}

func TestCompareLengthsHand(t *testing.T) {
	base := []Record{
		fairRec("p1", "Level 1", 0, 100, true), fairRec("p2", "Level 1", 0, 200, true), fairRec("p3", "Level 2", 0, 300, false),
		fairRec("p4", "Level 2", 0, 400, true), fairRec("p5", "Level 3", 0, 500, false), fairRec("p6", "", 0, 600, true),
	}
	cand := []Record{ // in another order: pairing is by id
		fairRec("p6", "", 0, 300, true), fairRec("p1", "Level 1", 0, 60, true), fairRec("p2", "Level 1", 0, 100, false),
		fairRec("p3", "Level 2", 0, 150, true), fairRec("p4", "Level 2", 0, 500, true), fairRec("p5", "Level 3", 0, 100, false),
	}
	f, err := CompareLengths(base, cand, "level", BootstrapOptions{B: 200, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	type sub struct {
		key            string
		n              int
		ab, ac, lb, lc float64
	}
	check := func(what string, got SubsetReduction, w sub) {
		t.Helper()
		red := 0.0
		if w.lb > 0 {
			red = 1 - w.lc/w.lb
		}
		if got.Key != w.key || got.Problems != w.n || !statsClose(got.BaseAccuracy, w.ab, 1e-12) || !statsClose(got.CandidateAccuracy, w.ac, 1e-12) ||
			!statsClose(got.Tokens.BaseMean, w.lb, 1e-12) || !statsClose(got.Tokens.CandidateMean, w.lc, 1e-12) ||
			!statsClose(got.Tokens.Reduction.Estimate, red, 1e-12) {
			t.Errorf("%s: %+v, want %+v (reduction %v)", what, got, w, red)
		}
	}
	// Both correct on p1, p4, p6.
	check("all correct", f.CommonlySolved.AllCorrect, sub{"all_correct", 3, 1, 1, 1100.0 / 3, 860.0 / 3})
	check("any correct", f.CommonlySolved.AnyCorrect, sub{"any_correct", 3, 1, 1, 1100.0 / 3, 860.0 / 3})
	if len(f.ByLevel) != 3 {
		t.Fatalf("by level: %+v", f.ByLevel)
	}
	check("level 1", f.ByLevel[0], sub{"Level 1", 2, 1, 0.5, 150, 80})
	check("level 2", f.ByLevel[1], sub{"Level 2", 2, 0.5, 1, 350, 325})
	check("level 3", f.ByLevel[2], sub{"Level 3", 1, 0, 0, 500, 100})
	check("pass rate 1", f.ByBasePassRate[0], sub{"1", 4, 1, 0.75, 325, 240})
	check("pass rate [0.5,1)", f.ByBasePassRate[1], sub{"[0.5,1)", 0, 0, 0, 0, 0})
	check("pass rate (0,0.5)", f.ByBasePassRate[2], sub{"(0,0.5)", 0, 0, 0, 0, 0})
	check("pass rate 0", f.ByBasePassRate[3], sub{"0", 2, 0, 0.5, 400, 125})
	// Six problems by baseline length cut at 6q/5: [p1] [p2] [p3] [p4] [p5 p6].
	check("Q1", f.ByBaseLengthQuintile[0], sub{"Q1", 1, 1, 1, 100, 60})
	check("Q5", f.ByBaseLengthQuintile[4], sub{"Q5", 2, 0.5, 0.5, 550, 200})
	if r := f.ByBaseLengthQuintile[4].BaseTokensRange; !reflect.DeepEqual(r, []float64{500, 600}) {
		t.Errorf("Q5 range %v", r)
	}
	// Correct and shorter: p1, p3, p6 of six.
	if !statsClose(f.CorrectAndShorter.Estimate, 0.5, 1e-12) || f.CorrectAndShorter.N != 6 {
		t.Errorf("correct and shorter %+v", f.CorrectAndShorter)
	}

	// Two samples per problem: the two senses of "commonly solved" differ.
	base2 := []Record{fairRec("p1", "", 0, 100, true), fairRec("p1", "", 1, 300, false), fairRec("p2", "", 0, 200, true), fairRec("p2", "", 1, 200, true)}
	cand2 := []Record{fairRec("p1", "", 0, 50, true), fairRec("p1", "", 1, 70, true), fairRec("p2", "", 0, 100, true), fairRec("p2", "", 1, 300, true)}
	f2, err := CompareLengths(base2, cand2, "level", BootstrapOptions{B: 100})
	if err != nil {
		t.Fatal(err)
	}
	check("k=2 all correct", f2.CommonlySolved.AllCorrect, sub{"all_correct", 1, 1, 1, 200, 200})
	// p1: base's correct sample 100, candidate's 60; p2: 200 and 200.
	check("k=2 any correct", f2.CommonlySolved.AnyCorrect, sub{"any_correct", 2, 0.75, 1, 150, 130})
	if f2.ByLevel != nil || f2.ByBasePassRate[1].Problems != 1 || f2.ByBasePassRate[0].Problems != 1 {
		t.Errorf("k=2 breakdowns: %+v %+v", f2.ByLevel, f2.ByBasePassRate)
	}
	// p1: both candidate samples correct and under 200; p2: one of two under 200.
	if !statsClose(f2.CorrectAndShorter.Estimate, 0.75, 1e-12) {
		t.Errorf("k=2 correct and shorter %+v", f2.CorrectAndShorter)
	}
	if _, err := CompareLengths(base, cand[:5], "level", BootstrapOptions{}); err == nil {
		t.Error("unpaired runs: no error")
	}
}

func TestEqualSpend(t *testing.T) {
	vote := func(id string, s int, ans string, ok bool, tokens int) Record {
		return Record{ProblemID: id, Sample: s, Answer: ans, Correct: ok, CompletionTokens: tokens}
	}
	base := []Record{
		vote("p1", 0, "a", true, 100), vote("p1", 1, "b", false, 100), vote("p1", 2, "a", true, 100),
		vote("p2", 0, "c", false, 200), vote("p2", 1, "c", false, 200), vote("p2", 2, "d", false, 200),
	}
	cand := []Record{
		vote("p1", 0, "b", false, 40), vote("p1", 1, "a", true, 50), vote("p1", 2, "a", true, 60),
		vote("p2", 0, "x", true, 20), vote("p2", 1, "y", false, 30), vote("p2", 2, "y", false, 40),
	}
	curve, err := EqualSpendCurve(cand)
	if err != nil {
		t.Fatal(err)
	}
	// L_cand = (50 + 30) / 2 = 40. pass@2: p1 (n 3, c 2) 1, p2 (c 1) 1 - C(2,2)/C(3,2) = 2/3.
	// maj@1: p1 "b" wrong, p2 "x" right; maj@2: ties go to the first seen: "b" (wrong), "x" (right);
	// maj@3: "a" (right), "y" (wrong).
	want := []SpendPoint{{1, 40, 0.5, 0.5}, {2, 80, 0.5, 5.0 / 6}, {3, 120, 0.5, 1}}
	if len(curve) != 3 {
		t.Fatalf("curve %+v", curve)
	}
	for i, w := range want {
		g := curve[i]
		if g.K != w.K || !statsClose(g.Spend, w.Spend, 1e-12) || !statsClose(g.MajAtK, w.MajAtK, 1e-12) || !statsClose(g.PassAtK, w.PassAtK, 1e-12) {
			t.Errorf("k=%d: %+v, want %+v", w.K, g, w)
		}
	}
	e, err := CompareEqualSpend(base, cand, BootstrapOptions{B: 200, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	// L_base 150 / L_cand 40 = 3.75: k* = 3; maj@3 0.5 against the baseline's avg@1 (2/3 + 0)/2.
	if e.KStar != 3 || e.Capped || !statsClose(e.LengthRatio, 3.75, 1e-12) || !statsClose(e.CandidateMajAtKStar, 0.5, 1e-12) ||
		!statsClose(e.BaseAvgAt1, 1.0/3, 1e-12) || !statsClose(e.GainPP.Estimate, 100*(0.5-1.0/3), 1e-9) ||
		!statsClose(e.BaseSpend, 150, 1e-12) || !statsClose(e.CandidateSpend, 120, 1e-12) || e.GainPP.N != 2 {
		t.Errorf("equal spend %+v", e)
	}
	// A candidate that would afford more samples than it has is capped.
	short := append([]Record(nil), cand...)
	for i := range short {
		short[i].CompletionTokens = 10
	}
	if e, _ := CompareEqualSpend(base, short, BootstrapOptions{B: 10}); e.KStar != 3 || !e.Capped || !statsClose(e.LengthRatio, 15, 1e-12) {
		t.Errorf("capped: %+v", e)
	}
	// A longer candidate still gets one sample.
	if e, _ := CompareEqualSpend(cand, base, BootstrapOptions{B: 10}); e.KStar != 1 || e.Capped {
		t.Errorf("longer candidate: %+v", e)
	}
	if c, err := EqualSpendCurve(nil); c != nil || err != nil {
		t.Errorf("no records: %v, %v", c, err)
	}
}

func TestECDF(t *testing.T) {
	cases := []struct {
		in   []int
		want []ECDFPoint
	}{
		{[]int{3, 1, 3, 2}, []ECDFPoint{{1, 0.25}, {2, 0.5}, {3, 1}}},
		{[]int{48, 48, 48}, []ECDFPoint{{48, 1}}},
		{[]int{7}, []ECDFPoint{{7, 1}}},
		{nil, nil},
	}
	for _, c := range cases {
		if got := ECDF(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("ECDF(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}
