package bench

import (
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/acoer/acoer-bench/metrics"
	"github.com/acoer/acoer-bench/runner"
	"github.com/acoer/acoer-bench/runner/tokenizer"
)

// The analyses of a task's samples that go beyond accuracy and length: accuracy at every token budget,
// overthinking, answer trajectories and the think/answer split. Grading and statistics are metrics'
// pure functions; this file decodes token ids (with the model's tokenizer) and maps text offsets to
// token counts.

// TextDecoder turns token ids back into text: what the analyses need from a model's tokenizer
// (runner/tokenizer's *Tokenizer has it).
type TextDecoder interface {
	// Decode returns the text of ids as Hugging Face's decode(ids, skip_special_tokens) does.
	Decode(ids []int, skipSpecialTokens bool) string
}

// TokenizerLoader loads the tokenizer a model's samples are decoded with.
type TokenizerLoader func(m ModelSpec) (TextDecoder, error)

// LoadTokenizer is the default TokenizerLoader: the tokenizer.json (and tokenizer_config.json) of the
// model directory, read by runner/tokenizer in pure Go (the model itself is not loaded).
func LoadTokenizer(m ModelSpec) (TextDecoder, error) {
	t, err := tokenizer.Load(m.Path)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// completionText is what the runner makes of generated ids (runner.Completion.Text): decode(prompt +
// completion) minus decode(prompt), special tokens skipped, falling back to decode(completion) when the
// prompt's text is not a prefix of the whole. promptText is decode(prompt).
func completionText(tok TextDecoder, prompt []int, promptText string, completion []int) string {
	all := make([]int, 0, len(prompt)+len(completion))
	all = append(append(all, prompt...), completion...)
	whole := tok.Decode(all, true)
	if strings.HasPrefix(whole, promptText) {
		return whole[len(promptText):]
	}
	return tok.Decode(completion, true)
}

// tokenText is one sample's ids with the text they decode to, for cutting the completion at a token
// budget and for mapping byte offsets of its text to token counts. When every token's own text (its
// piece) concatenates to the completion, prefixes are slices of the text (fast); otherwise each prefix
// is decoded with the prompt in front, exactly as the runner decodes a completion.
type tokenText struct {
	tok        TextDecoder
	prompt     []int
	promptText string
	ids        []int
	// full is the text of all ids before the stop-string cut.
	full string
	// ends[t] is the length of full covered by the first t+1 tokens, when the tokens' own pieces
	// (pieces[id]) concatenate to full (nil otherwise: offsets are then found by decoding prefixes).
	ends []int
}

func newTokenText(tok TextDecoder, prompt, ids []int, pieces []string) *tokenText {
	x := &tokenText{tok: tok, prompt: prompt, ids: ids}
	x.promptText = tok.Decode(prompt, true)
	x.full = completionText(tok, prompt, x.promptText, ids)
	ends := make([]int, len(ids))
	pos := 0
	for t, id := range ids {
		if id < 0 || id >= len(pieces) {
			return x
		}
		p := pieces[id]
		if !strings.HasPrefix(x.full[pos:], p) {
			return x
		}
		pos += len(p)
		ends[t] = pos
	}
	if pos != len(x.full) {
		return x
	}
	// The pieces add up: a prefix of the ids decodes to the same prefix of the text (as it must for
	// Hugging Face's decoders when each token's text stands alone). Checked once per sample, halfway.
	if h := len(ids) / 2; h > 0 && x.decodePrefix(h) != x.full[:ends[h-1]] {
		return x
	}
	x.ends = ends
	return x
}

// prefix is the text of the first n tokens, as the runner would have produced it with max_new_tokens n
// (before the stop-string cut).
func (x *tokenText) prefix(n int) string {
	switch {
	case n >= len(x.ids):
		return x.full
	case n <= 0:
		return ""
	case x.ends != nil:
		return x.full[:x.ends[n-1]]
	}
	return x.decodePrefix(n)
}

// decodePrefix decodes the first n tokens after the prompt, as the runner does.
func (x *tokenText) decodePrefix(n int) string {
	return completionText(x.tok, x.prompt, x.promptText, x.ids[:n])
}

// tokensAt is the number of tokens needed to cover the first p bytes of the text: the smallest n whose
// prefix(n) starts with full[:p]. p at or past the end gives all tokens.
func (x *tokenText) tokensAt(p int) int {
	if p <= 0 {
		return 0
	}
	if p >= len(x.full) {
		return len(x.ids)
	}
	if x.ends != nil {
		return sort.SearchInts(x.ends, p) + 1
	}
	want := x.full[:p]
	lo, hi := 0, len(x.ids)
	for lo < hi {
		mid := lo + (hi-lo)/2
		if strings.HasPrefix(x.prefix(mid), want) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return hi
}

// parallelFor runs fn(0..n-1) on GOMAXPROCS goroutines.
func parallelFor(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// ThinkGrading is a task's accuracy under both readings of an unfinished think block.
type ThinkGrading struct {
	// Mode is the reading the task's headline numbers use: "lenient" (an answer is read from reasoning
	// that never closed) or "strict" (strict_think: a completion without </think> is incorrect).
	Mode    string           `json:"mode"`
	Lenient metrics.Interval `json:"lenient"`
	Strict  metrics.Interval `json:"strict"`
	// CorrectWithoutClose counts samples graded correct leniently that have no </think>.
	CorrectWithoutClose int `json:"correct_without_close"`
}

// Think grading modes.
const (
	ThinkLenient = "lenient"
	ThinkStrict  = "strict"
)

// AnalysisInfo says what a task's analyses were computed from and what was left out.
type AnalysisInfo struct {
	// SamplesWithIDs counts samples that carry their token ids.
	SamplesWithIDs int `json:"samples_with_ids"`
	// Tokenizer names the tokenizer the ids were decoded with ("" when none was used).
	Tokenizer string `json:"tokenizer,omitempty"`
	// PrefixDecoded counts samples whose token positions needed decoding prefixes (their tokens' own
	// texts do not concatenate to the completion, e.g. a character split across tokens).
	PrefixDecoded int `json:"prefix_decoded_samples,omitempty"`
	// Budgets are the budgets of the curve; Regraded the completions cut and graded again over all
	// budgets (budget_to_reach's searches included).
	Budgets  []int `json:"budgets,omitempty"`
	Regraded int   `json:"regraded"`
	// Notes say what was left out and why.
	Notes []string `json:"notes,omitempty"`
}

// analyzer computes the analyses of tasks; it caches each model's tokenizer.
type analyzer struct {
	cfg   *Config
	grade func(benchmark, response, gold string) metrics.Verdict
	load  TokenizerLoader
	mu    sync.Mutex
	toks  map[string]tokenizerResult
}

type tokenizerResult struct {
	dec  TextDecoder
	name string
	err  error
}

func newAnalyzer(cfg *Config, grade func(string, string, string) metrics.Verdict, load TokenizerLoader) *analyzer {
	if grade == nil {
		grade = metrics.Grade
	}
	if load == nil {
		load = LoadTokenizer
	}
	return &analyzer{cfg: cfg, grade: grade, load: load, toks: map[string]tokenizerResult{}}
}

func (a *analyzer) tokenizer(model string) tokenizerResult {
	a.mu.Lock()
	defer a.mu.Unlock()
	if r, ok := a.toks[model]; ok {
		return r
	}
	var r tokenizerResult
	m, ok := a.cfg.Model(model)
	if !ok {
		r.err = fmt.Errorf("model %q is not in the config", model)
	} else {
		r.dec, r.err = a.load(m)
		r.name = m.Path
		if t, ok := r.dec.(*tokenizer.Tokenizer); ok && t.Path() != "" {
			r.name = t.Path()
		}
	}
	a.toks[model] = r
	return r
}

func (a *analyzer) markers() []string {
	if len(a.cfg.ReflectionMarkers) > 0 {
		return a.cfg.ReflectionMarkers
	}
	return metrics.DefaultReflectionMarkers
}

// strictCorrect is a verdict under the task's think grading.
func (a *analyzer) strictCorrect(v metrics.Verdict) bool {
	return v.Correct && (!a.cfg.StrictThink || v.ThinkClosed)
}

// analyze fills t's analyses from the task's samples s (sorted); boot are the task's accuracy bootstrap
// options (the budget curve reuses them, so its last point is the task's accuracy exactly).
func (a *analyzer) analyze(t *TaskResult, k TaskKey, d DatasetSpec, dec DecodingSpec, s []Sample, boot metrics.BootstrapOptions) error {
	info := &AnalysisInfo{}
	t.Analysis = info
	recs := records(s, a.cfg.StrictThink)

	// Both think readings.
	tg := &ThinkGrading{Mode: ThinkLenient}
	if a.cfg.StrictThink {
		tg.Mode = ThinkStrict
	}
	var err error
	for _, mode := range []struct {
		strict bool
		iv     *metrics.Interval
	}{{false, &tg.Lenient}, {true, &tg.Strict}} {
		if *mode.iv, err = accuracyInterval(records(s, mode.strict), boot); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	for _, x := range s {
		if x.Correct && !x.ThinkClosed {
			tg.CorrectWithoutClose++
		}
	}
	t.ThinkGrading = tg
	mt := metrics.BootstrapMean(problemMeans(recs), boot)
	t.MeanTokensCI = &mt
	if dec.Samples > 1 {
		if t.EqualSpendCurve, err = metrics.EqualSpendCurve(recs); err != nil {
			return fmt.Errorf("%s: equal-spend curve: %w", k, err)
		}
	}

	// Reasoning structure (text only).
	markers := a.markers()
	an := make([]metrics.CompletionAnalysis, len(s))
	parallelFor(len(s), func(i int) {
		an[i] = metrics.AnalyzeCompletion(d.Grader, s[i].Completion, s[i].Gold, recs[i].Correct, markers)
	})

	// Token ids and their text.
	texts, ok := a.tokenTexts(k, d, dec, s, info)
	reasoning := make([]metrics.SampleReasoning, len(s))
	for i, x := range s {
		r := metrics.SampleReasoning{ProblemID: x.Dataset + "/" + x.ProblemID, Correct: recs[i].Correct, Tokens: x.CompletionTokens,
			FirstCorrect: -1, ThinkState: an[i].ThinkState, Markers: len(an[i].Markers),
			Trajectory: an[i].Trajectory, Switches: an[i].Switches}
		if ok {
			tt := texts[i]
			switch an[i].ThinkState {
			case metrics.ThinkClosed:
				r.ThinkTokens = tt.tokensAt(an[i].ThinkEnd)
			case metrics.ThinkUnclosed:
				r.ThinkTokens = x.CompletionTokens
			}
			if e := an[i].FirstCorrectEnd; e >= 0 {
				r.FirstCorrect = tt.tokensAt(e)
				if e >= len(x.Completion) {
					r.FirstCorrect = x.CompletionTokens
				}
			}
			for _, m := range an[i].Markers {
				if an[i].ThinkState == metrics.ThinkUnclosed || m < an[i].ThinkEnd {
					r.MarkersThink++
				}
				if e := an[i].FirstCorrectEnd; e >= 0 && m >= e {
					r.MarkersAfterFirst++
				}
			}
		}
		reasoning[i] = r
	}
	over, err := metrics.OverthinkingStats(reasoning, bootOptions(a.cfg.Seed, "overthinking/"+k.String()))
	if err != nil {
		return fmt.Errorf("%s: %w", k, err)
	}
	t.Trajectories, t.ReflectionMarkersPer1k = &over.Trajectories, &over.ReflectionMarkersPer1k
	if !ok {
		return nil
	}
	t.OutcomeEfficiency, t.OutcomeEfficiencyXi, t.RedundantTokenShare = &over.OutcomeEfficiency, &over.OutcomeEfficiencyXi, &over.RedundantTokenShare
	t.Reflection = &over.Reflection
	tk := metrics.ThinkTokenStats(reasoning)
	t.ThinkTokens = &tk

	return a.budgetCurve(t, k, d, dec, s, recs, texts, boot)
}

// budgetCurve fills t's budget curve and budget-to-reach: a completion longer than a budget B is cut to
// its first B tokens (decoded as the runner would have, stop strings applied) and graded again.
func (a *analyzer) budgetCurve(t *TaskResult, k TaskKey, d DatasetSpec, dec DecodingSpec, s []Sample, recs []metrics.Record,
	texts []*tokenText, boot metrics.BootstrapOptions) error {
	var err error
	info := t.Analysis
	budgets := metrics.BudgetGrid(dec.MaxNewTokens, a.cfg.Budgets)
	info.Budgets = budgets
	var regraded atomic.Int64
	stops := taskStops(dec, d)
	verdictAt := func(i, b int) bool {
		regraded.Add(1)
		text := runner.CutAtStop(texts[i].prefix(b), stops)
		return a.strictCorrect(a.grade(d.Grader, text, s[i].Gold))
	}
	// Grade every (sample, budget) pair once, in parallel; BudgetCurve reads the table.
	table := make([][]bool, len(s))
	parallelFor(len(s), func(i int) {
		row := make([]bool, len(budgets))
		for j, b := range budgets {
			if s[i].CompletionTokens > b {
				row[j] = verdictAt(i, b)
			}
		}
		table[i] = row
	})
	col := map[int]int{}
	for j, b := range budgets {
		col[b] = j
	}
	if t.BudgetCurve, err = metrics.BudgetCurve(recs, budgets, func(i, b int) bool { return table[i][col[b]] }, boot); err != nil {
		return fmt.Errorf("%s: %w", k, err)
	}
	accAt := func(b int) (float64, error) {
		v := make([]bool, len(s))
		parallelFor(len(s), func(i int) {
			if s[i].CompletionTokens > b {
				v[i] = verdictAt(i, b)
			}
		})
		return metrics.BudgetAccuracy(recs, b, func(i, _ int) bool { return v[i] })
	}
	if t.BudgetToReach, err = metrics.BudgetToReach(t.BudgetCurve, metrics.DefaultReachShares, accAt); err != nil {
		return fmt.Errorf("%s: %w", k, err)
	}
	info.Regraded = int(regraded.Load())
	return nil
}

// tokenTexts prepares every sample's tokenText, or says in info why the token analyses are left out.
func (a *analyzer) tokenTexts(k TaskKey, d DatasetSpec, dec DecodingSpec, s []Sample, info *AnalysisInfo) ([]*tokenText, bool) {
	stops := taskStops(dec, d)
	const leftOut = "budget curve, outcome efficiency, redundant tokens and the think/answer split are left out"
	maxID := -1
	for _, x := range s {
		if len(x.PromptIDs) > 0 && len(x.CompletionIDs) == x.CompletionTokens {
			info.SamplesWithIDs++
			for _, id := range x.CompletionIDs {
				maxID = max(maxID, id)
			}
		}
	}
	if info.SamplesWithIDs < len(s) {
		info.Notes = append(info.Notes, fmt.Sprintf("%d of %d samples have no token ids (written before results schema 3): %s",
			len(s)-info.SamplesWithIDs, len(s), leftOut))
		return nil, false
	}
	tr := a.tokenizer(k.Model)
	if tr.err != nil {
		info.Notes = append(info.Notes, fmt.Sprintf("tokenizer of model %q not loaded (%v): %s", k.Model, tr.err, leftOut))
		return nil, false
	}
	info.Tokenizer = tr.name
	// Each token's own text, for the fast offset path.
	pieces := make([]string, maxID+1)
	seen := make([]bool, maxID+1)
	for _, x := range s {
		for _, id := range x.CompletionIDs {
			if id >= 0 && !seen[id] {
				seen[id] = true
				pieces[id] = tr.dec.Decode([]int{id}, true)
			}
		}
	}
	texts := make([]*tokenText, len(s))
	var bad atomic.Int64
	var firstBad atomic.Int64
	firstBad.Store(-1)
	parallelFor(len(s), func(i int) {
		x := s[i]
		texts[i] = newTokenText(tr.dec, x.PromptIDs, x.CompletionIDs, pieces)
		if runner.CutAtStop(texts[i].full, stops) != x.Completion {
			if bad.Add(1) == 1 {
				firstBad.Store(int64(i))
			}
		}
	})
	if n := bad.Load(); n > 0 {
		x := s[firstBad.Load()]
		info.Notes = append(info.Notes, fmt.Sprintf("decoding the stored token ids with %s does not give the stored completion for %d of %d samples "+
			"(e.g. problem %q sample %d; another tokenizer than the run's?): %s", tr.name, n, len(s), x.ProblemID, x.Sample, leftOut))
		return nil, false
	}
	for _, tt := range texts {
		if tt.ends == nil {
			info.PrefixDecoded++
		}
	}
	return texts, true
}

// accuracyInterval is the avg@k bootstrap interval of records (as metrics.Aggregate computes it).
func accuracyInterval(recs []metrics.Record, boot metrics.BootstrapOptions) (metrics.Interval, error) {
	byProblem := map[string]int{}
	var verdicts [][]bool
	for _, r := range recs {
		j, ok := byProblem[r.ProblemID]
		if !ok {
			j = len(verdicts)
			byProblem[r.ProblemID] = j
			verdicts = append(verdicts, nil)
		}
		verdicts[j] = append(verdicts[j], r.Correct)
	}
	if len(verdicts) == 0 {
		return metrics.BootstrapMean(nil, boot), nil
	}
	return metrics.BootstrapAvgAtK(verdicts, boot)
}

// problemMeans is the mean completion tokens of each problem, problems in order of first appearance.
func problemMeans(recs []metrics.Record) []float64 {
	idx := map[string]int{}
	var sum, n []float64
	for _, r := range recs {
		j, ok := idx[r.ProblemID]
		if !ok {
			j = len(sum)
			idx[r.ProblemID] = j
			sum, n = append(sum, 0), append(n, 0)
		}
		sum[j] += float64(r.CompletionTokens)
		n[j]++
	}
	for j := range sum {
		sum[j] /= n[j]
	}
	return sum
}
