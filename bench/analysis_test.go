package bench

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acoer/acoer-bench/metrics"
	"github.com/acoer/acoer-bench/runner"
	"github.com/acoer/acoer-bench/runner/tokenizer"
)

// byteTok is a byte-level test tokenizer: id b < 256 is the byte b, 256 is a special EOS token. Invalid
// UTF-8 decodes to U+FFFD, as Hugging Face's byte-level decoder does. With stripLead it drops one leading
// space of the whole text, as SentencePiece decoders do (so a completion decoded alone loses the space
// it has after its prompt).
type byteTok struct{ stripLead bool }

const byteEOS = 256

func (b byteTok) Decode(ids []int, skipSpecial bool) string {
	buf := make([]byte, 0, len(ids))
	for _, id := range ids {
		switch {
		case id == byteEOS && skipSpecial:
		case id == byteEOS:
			buf = append(buf, "</s>"...)
		case id >= 0 && id < 256:
			buf = append(buf, byte(id))
		}
	}
	s := strings.ToValidUTF8(string(buf), "\uFFFD")
	if b.stripLead {
		s = strings.TrimPrefix(s, " ")
	}
	return s
}

func byteIDs(s string) []int {
	ids := make([]int, len(s))
	for i := range len(s) {
		ids[i] = int(s[i])
	}
	return ids
}

// Real tokenizers (make testdata): the fast path's prefixes, slices of the decoded text, equal the
// runner's decoding of every prefix of the ids, on text with characters that span tokens.
func TestTokenTextRealTokenizers(t *testing.T) {
	text := "<think>\nLet x = 2 — café, naïve, 数学 ≤ 5, emoji 🙂; so x² = 4.\n\nWait, √4 = 2.\n</think>\n\nThe answer is $\\boxed{4}$."
	for _, name := range []string{"qwen3", "llama3", "deepseek_v3", "llama2"} {
		tok, err := tokenizer.Load(filepath.Join("..", ".cache", "tokenizers", name))
		if err != nil {
			t.Logf("%s: %v (make testdata)", name, err)
			continue
		}
		prompt := tok.Encode("Question: what is x^2?\nAnswer:", false)
		ids := tok.Encode(text, false)
		pieces := make([]string, 0)
		for _, id := range ids {
			for len(pieces) <= id {
				pieces = append(pieces, "")
			}
			pieces[id] = tok.Decode([]int{id}, true)
		}
		x := newTokenText(tok, prompt, ids, pieces)
		pt := tok.Decode(prompt, true)
		for n := 0; n <= len(ids); n++ {
			if got, want := x.prefix(n), completionText(tok, prompt, pt, ids[:n]); got != want {
				t.Fatalf("%s (fast path %v): prefix(%d) = %q, want %q", name, x.ends != nil, n, got, want)
			}
		}
		for p := 0; p <= len(x.full); p++ {
			n := x.tokensAt(p)
			if !strings.HasPrefix(completionText(tok, prompt, pt, ids[:n]), x.full[:p]) || (n > 0 && p < len(x.full) &&
				strings.HasPrefix(completionText(tok, prompt, pt, ids[:n-1]), x.full[:p])) {
				t.Fatalf("%s: tokensAt(%d) = %d is not the fewest tokens that cover it", name, p, n)
			}
		}
		t.Logf("%s: %d tokens, fast path %v", name, len(ids), x.ends != nil)
	}
}

func TestTokenTextPositions(t *testing.T) {
	for _, c := range []struct {
		name       string
		tok        byteTok
		prompt     string
		completion string
		fast       bool
	}{
		{"ascii: the tokens' own texts concatenate", byteTok{}, "Q: 2+2?\nA:", " So 2+2 = 4.\n\nThe answer is 4.", true},
		{"a character split across tokens", byteTok{}, "Q:", " café = 4 ≤ 5", false},
		{"SentencePiece-like: the space after the prompt is kept", byteTok{stripLead: true}, "Q:", " hello world = 5", false},
	} {
		ids := append(byteIDs(c.completion), byteEOS)
		pieces := make([]string, 257)
		for id := range pieces {
			pieces[id] = c.tok.Decode([]int{id}, true)
		}
		x := newTokenText(c.tok, byteIDs(c.prompt), ids, pieces)
		if x.full != c.completion {
			t.Errorf("%s: text %q, want %q", c.name, x.full, c.completion)
		}
		if (x.ends != nil) != c.fast {
			t.Errorf("%s: fast path %v, want %v", c.name, x.ends != nil, c.fast)
		}
		// Brute force: the smallest n whose prefix starts with the first p bytes.
		for p := 0; p <= len(x.full); p++ {
			want := 0
			for want < len(ids) && !strings.HasPrefix(x.prefix(want), x.full[:p]) {
				want++
			}
			if p == len(x.full) {
				want = len(ids) // the whole text: every token, the EOS included
			}
			if got := x.tokensAt(p); got != want {
				t.Errorf("%s: tokensAt(%d) = %d, want %d", c.name, p, got, want)
			}
		}
		// Every prefix is what a run with that token limit would have produced.
		for n := 0; n <= len(ids); n++ {
			if got, want := x.prefix(n), completionText(c.tok, byteIDs(c.prompt), c.tok.Decode(byteIDs(c.prompt), true), ids[:n]); got != want {
				t.Errorf("%s: prefix(%d) = %q, want %q", c.name, n, got, want)
			}
		}
	}
	if got := runner.CutAtStop("a STOP b STOP", []string{"STOP", "", "b"}); got != "a STOP" {
		t.Errorf("CutAtStop = %q", got)
	}
}

// analysisFixture: three problems of a gsm8k-graded task at max_new_tokens 128, byte-level ids.
//
//	p1 (gold 2): thinks, states 2 at byte 19 ("<think>\nSo 1+1 = 2."), closes </think> at byte 65, answers 2.
//	p2 (gold 5): no think block; states 5, revises to 6 and answers 6 (wrong).
//	p3 (gold 7): never closes <think>; states 7 early, then "hmm" up to the 128-token limit.
var (
	fixP1 = "<think>\nSo 1+1 = 2.\n\nWait, let me double check: 1+1 = 2.\n</think>\n\nThe answer is 2."
	fixP2 = "So x = 5.\n\nNo wait, x = 6.\n\nThe answer is 6."
	fixP3 = "<think>\n3+4 = 7. " + strings.Repeat("hmm ", 27) + "hmm"
)

func analysisSamples(model string) []Sample {
	mk := func(id string, idx int, text, gold string, eos bool) Sample {
		ids := byteIDs(text)
		fin := "length"
		if eos {
			ids, fin = append(ids, byteEOS), "stop"
		}
		v := metrics.Grade("gsm8k", text, gold)
		return Sample{Model: model, Dataset: "d", Decoding: "greedy", ProblemID: id, Index: idx, Prompt: "Q" + id, Completion: text,
			PromptTokens: 3, CompletionTokens: len(ids), FinishReason: fin, Gold: gold, Extracted: v.Extracted, Correct: v.Correct,
			Rule: v.Rule, ThinkOpened: v.ThinkOpened, ThinkClosed: v.ThinkClosed, PromptIDs: byteIDs("Q" + id), CompletionIDs: ids}
	}
	return []Sample{mk("p1", 0, fixP1, "2", true), mk("p2", 1, fixP2, "5", true), mk("p3", 2, fixP3, "7", false)}
}

func analysisRun(t *testing.T, strict bool, load TokenizerLoader, samples []Sample) *Results {
	t.Helper()
	cfg := mustConfig(t, "seed: 3\nmodels: [{name: m, path: /nowhere/m}]\ndatasets: [{name: d, kind: jsonl, path: d.jsonl, grader: gsm8k}]\n"+
		"decoding: [{name: greedy, max_new_tokens: 128}]\nbudgets: [12, 18]\n")
	cfg.StrictThink = strict
	res, err := aggregate(aggInput{Manifest: newManifest(cfg, "r"), Samples: map[TaskKey][]Sample{{"m", "d", "greedy"}: samples},
		Tokenizer: load, Grade: metrics.Grade})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestAnalysisHand(t *testing.T) {
	if len(fixP3) != 128 || strings.Index(fixP1, "</think>")+len("</think>") != 65 || len(fixP1) != 83 || len(fixP2) != 44 {
		t.Fatalf("fixture lengths: %d %d %d", len(fixP3), len(fixP1), len(fixP2))
	}
	load := func(ModelSpec) (TextDecoder, error) { return byteTok{}, nil }
	res := analysisRun(t, false, load, analysisSamples("m"))
	tr := res.Tasks[0]
	if tr.Analysis == nil || tr.Analysis.SamplesWithIDs != 3 || len(tr.Analysis.Notes) != 0 || tr.Analysis.PrefixDecoded != 0 {
		t.Fatalf("analysis %+v", tr.Analysis)
	}
	// Lenient grading reads unfinished reasoning: at 12 tokens only p2 has its (first) answer 5; at 16 p3
	// has "= 7."; at 18 p1 has "= 2" too; from 32 on p2 has revised to 6.
	wantAcc := map[int]float64{12: 1.0 / 3, 16: 2.0 / 3, 18: 1, 32: 2.0 / 3, 64: 2.0 / 3, 128: 2.0 / 3}
	wantMean := map[int]float64{12: 12, 16: 16, 18: 18, 32: 32, 64: (64 + 45 + 64) / 3.0, 128: (84 + 45 + 128) / 3.0}
	if len(tr.BudgetCurve) != 6 {
		t.Fatalf("curve %+v", tr.BudgetCurve)
	}
	for _, p := range tr.BudgetCurve {
		if w, ok := wantAcc[p.Budget]; !ok || !near(p.Accuracy.Estimate, w) || !near(p.MeanTokens, wantMean[p.Budget]) {
			t.Errorf("budget %d: accuracy %v, mean tokens %v; want %v, %v", p.Budget, p.Accuracy.Estimate, p.MeanTokens, w, wantMean[p.Budget])
		}
	}
	last := tr.BudgetCurve[len(tr.BudgetCurve)-1]
	if last.Accuracy != tr.Accuracy || last.MeanTokens != tr.Length.All.Mean || last.Truncation.Count != 1 {
		t.Errorf("curve at max_new_tokens %+v, task accuracy %+v, mean %v", last, tr.Accuracy, tr.Length.All.Mean)
	}
	// 90% of 2/3 is first reached at 15 tokens, when p3 writes "= 7" (at 14 it has "3+4 = ").
	if len(tr.BudgetToReach) != 2 || tr.BudgetToReach[0].Budget != 15 || !tr.BudgetToReach[0].Exact || !tr.BudgetToReach[0].Reached {
		t.Errorf("budget to reach %+v", tr.BudgetToReach)
	}
	// Tokens: p1 first states 2 after 19 of its 84 tokens and thinks for 65; p3 is correct with no
	// earlier statement (ratio 1) and thinks for all its 128; p2 states 5 after 9 of 45 and ends wrong.
	if oe := tr.OutcomeEfficiency; oe == nil || !near(oe.Correct.Estimate, (19.0/84+1)/2) || !near(oe.Incorrect.Estimate, 9.0/45) {
		t.Errorf("outcome efficiency %+v", oe)
	}
	if r := tr.RedundantTokenShare; r == nil || !near(r.Correct.Estimate, 65.0/212) || !near(r.Incorrect.Estimate, 36.0/45) {
		t.Errorf("redundant share %+v", r)
	}
	if th := tr.ThinkTokens; th == nil || th.Closed.N != 1 || th.Closed.MeanThinkTokens != 65 || th.Closed.MeanAnswerTokens != 19 ||
		th.Unclosed.N != 1 || th.Unclosed.MeanTokens != 128 || th.None.N != 1 || th.None.MeanTokens != 45 {
		t.Errorf("think tokens %+v", tr.ThinkTokens)
	}
	// Markers: p1 "Wait", "let me double check" (in thinking, after the first correct answer); p2 "wait";
	// p3 28 "hmm", all thinking and after the statement of 7 (which the trajectory does not see: no
	// candidate rule matches "3+4 = 7. hmm ...").
	if rm := tr.ReflectionMarkersPer1k; rm == nil || !near(rm.Overall.Estimate, 1000*31.0/257) {
		t.Errorf("markers per 1k %+v", rm)
	}
	if rf := tr.Reflection; rf == nil || rf.Markers != 31 || !near(rf.ThinkPer1k, 1000*30.0/(65+128)) || !near(rf.AnswerPer1k, 1000*1.0/(19+45)) {
		t.Errorf("reflection %+v", rf)
	}
	if tj := tr.Trajectories; tj == nil || tj.Confirmatory.Count != 2 || tj.Destructive.Count != 1 {
		t.Errorf("trajectories %+v", tr.Trajectories)
	}
	if tg := tr.ThinkGrading; tg == nil || tg.Mode != ThinkLenient || !near(tg.Lenient.Estimate, 2.0/3) || !near(tg.Strict.Estimate, 1.0/3) ||
		tg.CorrectWithoutClose != 1 || tg.Lenient != tr.Accuracy {
		t.Errorf("think grading %+v", tr.ThinkGrading)
	}

	// strict_think: p3 never closes and p2 has no </think>: only p1, and only once it has written </think>.
	st := analysisRun(t, true, load, analysisSamples("m")).Tasks[0]
	for _, p := range st.BudgetCurve {
		w := 0.0
		if p.Budget == 128 {
			w = 1.0 / 3
		}
		if !near(p.Accuracy.Estimate, w) {
			t.Errorf("strict, budget %d: %v, want %v", p.Budget, p.Accuracy.Estimate, w)
		}
	}
	if !near(st.Accuracy.Estimate, 1.0/3) || st.ThinkGrading.Mode != ThinkStrict || st.ThinkGrading.Strict != st.Accuracy {
		t.Errorf("strict task %+v %+v", st.Accuracy, st.ThinkGrading)
	}
}

func TestAnalysisLeftOut(t *testing.T) {
	const leftOut = "budget curve, outcome efficiency"
	noIDs := analysisSamples("m")
	noIDs[1].CompletionIDs = nil
	byteLoad := func(ModelSpec) (TextDecoder, error) { return byteTok{}, nil }
	for _, c := range []struct {
		name    string
		load    TokenizerLoader
		samples []Sample
		note    string
	}{
		{"samples from before ids were stored", byteLoad, noIDs, "1 of 3 samples have no token ids"},
		{"no tokenizer", func(ModelSpec) (TextDecoder, error) { return nil, errors.New("no tokenizer.json") }, analysisSamples("m"), "no tokenizer.json"},
		{"another tokenizer than the run's", func(ModelSpec) (TextDecoder, error) { return upperTok{}, nil }, analysisSamples("m"),
			"does not give the stored completion for 3 of 3 samples"},
	} {
		tr := analysisRun(t, false, c.load, c.samples).Tasks[0]
		if tr.Analysis == nil || len(tr.Analysis.Notes) != 1 || !strings.Contains(tr.Analysis.Notes[0], c.note) || !strings.Contains(tr.Analysis.Notes[0], leftOut) {
			t.Errorf("%s: notes %+v", c.name, tr.Analysis)
		}
		if tr.BudgetCurve != nil || tr.OutcomeEfficiency != nil || tr.ThinkTokens != nil || tr.Reflection != nil {
			t.Errorf("%s: token analyses computed anyway", c.name)
		}
		// What needs only the text is still there.
		if tr.Trajectories == nil || tr.ReflectionMarkersPer1k == nil || tr.ThinkGrading == nil {
			t.Errorf("%s: text analyses missing", c.name)
		}
	}
}

// The prefilled-think case: a chat template opened <think>, so completions only close it.
func TestAnalysisPrefilledThink(t *testing.T) {
	s := analysisSamples("m")[:1]
	text := "So 1+1 = 2.\n</think>\n\nThe answer is 2."
	s[0].Completion, s[0].CompletionIDs = text, append(byteIDs(text), byteEOS)
	s[0].CompletionTokens, s[0].ThinkOpened, s[0].ThinkClosed = len(text)+1, true, true
	tr := analysisRun(t, true, func(ModelSpec) (TextDecoder, error) { return byteTok{}, nil }, s).Tasks[0]
	if th := tr.ThinkTokens; th == nil || th.Closed.N != 1 || th.Closed.MeanThinkTokens != float64(strings.Index(text, "</think>")+8) {
		t.Errorf("think tokens %+v", tr.ThinkTokens)
	}
	if tr.Accuracy.Estimate != 1 {
		t.Errorf("strict accuracy of a closed prefilled think: %+v", tr.Accuracy)
	}
}

// upperTok decodes like byteTok but in upper case: not the tokenizer the fixture's texts came from.
type upperTok struct{}

func (upperTok) Decode(ids []int, skip bool) string {
	return strings.ToUpper(byteTok{}.Decode(ids, skip))
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
