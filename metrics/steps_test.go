package metrics

import (
	"reflect"
	"strings"
	"testing"
)

func TestThinkSplit(t *testing.T) {
	cases := []struct {
		text  string
		end   int
		state string
	}{
		{"<think>a</think>b", len("<think>a</think>"), ThinkClosed},
		{"prefilled</think>answer", len("prefilled</think>"), ThinkClosed}, // the template opened the block
		{"<think>a</think>b</think>c", len("<think>a</think>b</think>"), ThinkClosed},
		{"<think>never closed", len("<think>never closed"), ThinkUnclosed},
		{"no tags at all", 0, ThinkNone},
		{"", 0, ThinkNone},
	}
	for _, c := range cases {
		end, state := ThinkSplit(c.text)
		if end != c.end || state != c.state {
			t.Errorf("ThinkSplit(%q) = %d, %s; want %d, %s", c.text, end, state, c.end, c.state)
		}
	}
}

func TestSplitSteps(t *testing.T) {
	cases := []struct {
		name  string
		text  string
		steps []string
		think []bool
	}{
		{"R1 style", "<think>\nLet x=2.\n\nSo x+1 = 3.\n</think>\n\nThe answer is \\boxed{3}.",
			[]string{"<think>\nLet x=2.", "So x+1 = 3.\n</think>", "The answer is \\boxed{3}."}, []bool{true, true, false}},
		{"</think> inside a paragraph ends the step", "a\n</think>b",
			[]string{"a\n</think>", "b"}, []bool{true, false}},
		{"blank lines of any width", "one\n\n\n  \n two\n", []string{"one", "two"}, []bool{false, false}},
		{"spaces on the blank line", "one\n \t\ntwo", []string{"one", "two"}, []bool{false, false}},
		{"unclosed: all thinking", "<think>a\n\nb", []string{"<think>a", "b"}, []bool{true, true}},
		{"single newlines do not break", "a\nb\nc", []string{"a\nb\nc"}, []bool{false}},
		{"empty", "", nil, nil},
		{"only white space", " \n\n \n", nil, nil},
	}
	for _, c := range cases {
		got := SplitSteps(c.text)
		var texts []string
		var think []bool
		for _, s := range got {
			texts = append(texts, c.text[s.Start:s.End])
			think = append(think, s.Think)
		}
		if !reflect.DeepEqual(texts, c.steps) || !reflect.DeepEqual(think, c.think) {
			t.Errorf("%s: steps %q think %v, want %q %v", c.name, texts, think, c.steps, c.think)
		}
	}
}

func TestAnswerCandidates(t *testing.T) {
	type cand struct {
		answer, rule string
		correct      bool
	}
	cases := []struct {
		name, bench, text, gold string
		want                    []cand
	}{
		{"no answer anywhere", "math", "Let me think about this.\n\nI am not sure how to start.", "4", nil},
		{"answer only after </think>", "gsm8k", "<think>\nWe need to add.\n\nCarry the one.\n</think>\n\nThe answer is 42.", "42",
			[]cand{{"42", CandidateAnswerIs, true}}},
		{"stated, then revised to a wrong one", "math", "So 2+2 = 4.\n\nWait, maybe it is \\boxed{5}.\n\nFinal answer: \\boxed{5}", "4",
			[]cand{{"4", CandidateEquals, true}, {"5", CandidateBoxed, false}, {"5", CandidateBoxed, false}}},
		{"boxed wins over a later = in the step", "math", "Thus \\boxed{\\frac{1}{2}} since 2x = 1", "0.5",
			[]cand{{`\frac{1}{2}`, CandidateBoxed, true}}},
		{"= N at the end of a step, with $ and a period", "gsm8k", "12 * 13 = $156$.\n\nDone.", "156",
			[]cand{{"156", CandidateEquals, true}}},
		{"= N with a unit", "gsm8k", "Total cost = $1,250 dollars.", "1250", []cand{{"1250", CandidateEquals, true}}},
		{"= in the middle of a step is no answer", "gsm8k", "156 = 12*13 so we proceed to the next part.", "156", nil},
		{"math: an expression after =", "math", "Hence x = \\frac{\\sqrt{3}}{2}.", "\\frac{\\sqrt3}2",
			[]cand{{`\frac{\sqrt{3}}{2}`, CandidateEquals, true}}},
		{"math: prose after = is no answer", "math", "Then x = 2 times the other value", "2", nil},
		{"only the last line of a step counts for =", "gsm8k", "a = 5\nso we add b to it", "5", nil},
		{"AIME integer comparison", "aime24", "The answer is 045.", "45", []cand{{"045", CandidateAnswerIs, true}}},
		{"empty gold: nothing is correct", "gsm8k", "The answer is 3.", "", []cand{{"3", CandidateAnswerIs, false}}},
	}
	for _, c := range cases {
		var got []cand
		for _, x := range AnswerCandidates(c.bench, c.text, c.gold) {
			got = append(got, cand{x.Answer, x.Rule, x.Correct})
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: candidates %+v, want %+v", c.name, got, c.want)
		}
	}
	// Candidates carry their step and its end.
	text := "<think>\nWe need to add.\n\nCarry the one.\n</think>\n\nThe answer is 42."
	cs := AnswerCandidates("gsm8k", text, "42")
	if len(cs) != 1 || cs[0].Step != 2 || cs[0].End != len(text) {
		t.Errorf("step/end: %+v", cs)
	}
}

func TestClassifyTrajectory(t *testing.T) {
	c := func(ans string, ok bool) Candidate { return Candidate{Answer: ans, Correct: ok} }
	cases := []struct {
		name     string
		cands    []Candidate
		final    bool
		class    string
		switches int
	}{
		{"no candidate, final correct", nil, true, TrajectoryConfirmatory, 0},
		{"no candidate, final wrong", nil, false, TrajectoryUnresolved, 0},
		{"wrong then right", []Candidate{c("3", false), c("4", true)}, true, TrajectoryCorrective, 1},
		{"right twice in two forms", []Candidate{c("0.5", true), c(`\frac12`, true)}, true, TrajectoryConfirmatory, 0},
		{"right then revised to wrong", []Candidate{c("4", true), c("5", false)}, false, TrajectoryDestructive, 1},
		{"wrong, wrong again, other wrong", []Candidate{c("3", false), c("$3$", false), c("5", false)}, false, TrajectoryUnresolved, 1},
		{"right, wrong, right again", []Candidate{c("4", true), c("5", false), c("4", true)}, true, TrajectoryConfirmatory, 2},
		{"right but final answer extracted elsewhere is wrong", []Candidate{c("4", true)}, false, TrajectoryDestructive, 0},
	}
	for _, x := range cases {
		class, sw := ClassifyTrajectory(x.cands, x.final)
		if class != x.class || sw != x.switches {
			t.Errorf("%s: %s, %d switches; want %s, %d", x.name, class, sw, x.class, x.switches)
		}
	}
}

func TestReflectionMarkers(t *testing.T) {
	text := "Wait, that's wrong. Hmm... Alternatively we could. Let me double-check: but let me verify. " +
		"await waiting hmmm awaiting, LET ME\nDOUBLE CHECK"
	got := ReflectionMarkers(text, DefaultReflectionMarkers)
	var words []string
	for _, i := range got {
		words = append(words, text[i:i+4])
	}
	want := []string{"Wait", "Hmm.", "Alte", "Let ", "but ", "LET "}
	if !reflect.DeepEqual(words, want) {
		t.Errorf("markers at %v (%q), want %q", got, words, want)
	}
	// Nested markers count once: the longest one at a position wins and the scan resumes after it.
	if got := ReflectionMarkers("but let me verify, then let me verify", []string{"let me verify", "but let me verify", ""}); len(got) != 2 {
		t.Errorf("nested markers: %v, want 2", got)
	}
	if got := ReflectionMarkers("wait", nil); got != nil {
		t.Errorf("no markers: %v", got)
	}
}

func TestAnalyzeCompletion(t *testing.T) {
	// The correct answer is found in the second step; the rest is reflection that confirms it.
	text := "<think>\nWe add 2 and 2.\n\nSo 2 + 2 = 4.\n\nWait, let me double check. 2 + 2 = 4.\n\nHmm, yes.\n</think>\n\n" +
		"The answer is \\boxed{4}."
	a := AnalyzeCompletion("math", text, "4", true, DefaultReflectionMarkers)
	firstEnd := strings.Index(text, "= 4.") + len("= 4.")
	if a.ThinkState != ThinkClosed || a.ThinkEnd != strings.Index(text, "</think>")+len("</think>") || a.Steps != 5 ||
		a.FirstCorrectEnd != firstEnd || a.Trajectory != TrajectoryConfirmatory || a.Switches != 0 || len(a.Candidates) != 3 ||
		len(a.Markers) != 3 { // "Wait", "let me double check", "Hmm"
		t.Errorf("analysis %+v (first correct end want %d)", a, firstEnd)
	}
	// A correct final answer no step states (the last number rule): it arrives at the end.
	b := AnalyzeCompletion("gsm8k", "so we get 7", "7", true, nil)
	if b.FirstCorrectEnd != len("so we get 7") || b.Trajectory != TrajectoryConfirmatory || len(b.Candidates) != 0 {
		t.Errorf("answer at the end: %+v", b)
	}
	// Never correct.
	if c := AnalyzeCompletion("gsm8k", "The answer is 3.", "7", false, nil); c.FirstCorrectEnd != -1 || c.Trajectory != TrajectoryUnresolved {
		t.Errorf("never correct: %+v", c)
	}
}

// FuzzAnalyzeCompletion: any model output analyses without a panic, with steps in order inside the
// text and offsets in range.
func FuzzAnalyzeCompletion(f *testing.F) {
	for _, s := range []string{"<think>\nSo 1+1 = 2.\n\nWait.\n</think>\n\nThe answer is \\boxed{2}.", "= 5", "\n\n\n", "</think></think><think>",
		"x = \\frac{1}{2}\n \n\\boxed{", "The answer is $1,000$. Hmm, let me double-check"} {
		f.Add(s, "2")
	}
	f.Fuzz(func(t *testing.T, text, gold string) {
		a := AnalyzeCompletion("math", text, gold, false, DefaultReflectionMarkers)
		prev := 0
		for _, st := range SplitSteps(text) {
			if st.Start < prev || st.End <= st.Start || st.End > len(text) {
				t.Fatalf("step %+v after %d in %d bytes", st, prev, len(text))
			}
			prev = st.End
		}
		if a.ThinkEnd < 0 || a.ThinkEnd > len(text) || a.FirstCorrectEnd > len(text) || a.Steps < len(a.Candidates) {
			t.Fatalf("analysis %+v of %d bytes", a, len(text))
		}
		for _, m := range a.Markers {
			if m < 0 || m >= len(text) {
				t.Fatalf("marker at %d of %d", m, len(text))
			}
		}
	})
}
