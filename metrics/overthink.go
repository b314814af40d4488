package metrics

import (
	"fmt"
	"math"
)

// Overthinking statistics over a run's samples: outcome efficiency (Chen et al. 2024, "Do NOT Think That
// Much for 2+3=? On the Overthinking of o1-Like LLMs", arXiv:2412.21187), redundant tokens, reflection
// markers, answer trajectories and the think/answer split of tokens.

// SampleReasoning is what the overthinking statistics need from one sample, in tokens: a
// CompletionAnalysis with its byte offsets mapped to token counts by the caller.
type SampleReasoning struct {
	// ProblemID groups samples of one problem (the bootstrap resamples problems).
	ProblemID string `json:"problem_id"`
	// Correct is the final verdict; Tokens the completion tokens.
	Correct bool `json:"correct"`
	Tokens  int  `json:"tokens"`
	// FirstCorrect is the number of tokens up to the end of the step that first states the correct
	// answer (CompletionAnalysis.FirstCorrectEnd), -1 when the completion never does.
	FirstCorrect int `json:"first_correct_tokens"`
	// ThinkState is ThinkSplit's state; ThinkTokens the tokens up to the end of the last </think>
	// (closed), all of them (unclosed) or 0 (none).
	ThinkState  string `json:"think_state"`
	ThinkTokens int    `json:"think_tokens"`
	// Markers counts reflection markers in the whole completion, MarkersThink those in the thinking part
	// and MarkersAfterFirst those after FirstCorrect's step.
	Markers           int `json:"markers"`
	MarkersThink      int `json:"markers_think"`
	MarkersAfterFirst int `json:"markers_after_first_correct"`
	// Trajectory and Switches are ClassifyTrajectory's.
	Trajectory string `json:"trajectory"`
	Switches   int    `json:"switches"`
}

// VerdictSplit is one statistic over all samples and over the correct and the incorrect ones. Each is
// a ratio of sums over problems with a percentile bootstrap interval that resamples problems (N is the
// number of problems that contribute).
type VerdictSplit struct {
	Overall   Interval `json:"overall"`
	Correct   Interval `json:"correct"`
	Incorrect Interval `json:"incorrect"`
}

// ReflectionSummary counts reflection markers by where they occur, per 1,000 tokens of that part.
type ReflectionSummary struct {
	// Markers is the total count and PerSample its mean over samples; MarkersThink and MarkersAnswer
	// split the count between the thinking part (inside <think>, or all of an unclosed one) and what
	// follows it; MarkersAfterFirstCorrect counts those after the first correct answer.
	Markers                  int     `json:"markers"`
	PerSample                float64 `json:"per_sample"`
	MarkersThink             int     `json:"markers_think"`
	MarkersAnswer            int     `json:"markers_answer"`
	MarkersAfterFirstCorrect int     `json:"markers_after_first_correct"`
	// ThinkPer1k: markers in the thinking part per 1,000 thinking tokens; AnswerPer1k: after it, per
	// 1,000 answer tokens; AfterFirstCorrectPer1k: after the first correct answer, per 1,000 tokens
	// after it (samples that state the correct answer).
	ThinkPer1k             float64 `json:"think_per_1k"`
	AnswerPer1k            float64 `json:"answer_per_1k"`
	AfterFirstCorrectPer1k float64 `json:"after_first_correct_per_1k"`
}

// TrajectorySummary is the share of samples of each trajectory class (ClassifyTrajectory) and the
// answer switches per sample.
type TrajectorySummary struct {
	Confirmatory Rate `json:"confirmatory"`
	Corrective   Rate `json:"corrective"`
	Destructive  Rate `json:"destructive"`
	Unresolved   Rate `json:"unresolved"`
	// Switches is the mean number of answer switches per sample, overall and by final verdict.
	Switches          float64 `json:"switches_per_sample"`
	SwitchesCorrect   float64 `json:"switches_per_correct_sample"`
	SwitchesIncorrect float64 `json:"switches_per_incorrect_sample"`
}

// Overthinking is the overthinking summary of a run (OverthinkingStats).
type Overthinking struct {
	// Samples counts the samples analysed.
	Samples int `json:"samples"`
	// OutcomeEfficiency is the mean over samples of FirstCorrect / Tokens: correct samples (a correct
	// final answer that no earlier step stated counts as stated at the end, ratio 1), incorrect samples
	// that stated the correct answer on the way, and both (overall).
	OutcomeEfficiency VerdictSplit `json:"outcome_efficiency"`
	// OutcomeEfficiencyXi is ξ_O of Chen et al. 2024: (1/N) Σ σ_i T̂_i/T_i over all N samples, σ_i the
	// final verdict (= accuracy x OutcomeEfficiency.Correct).
	OutcomeEfficiencyXi Interval `json:"outcome_efficiency_xi"`
	// RedundantTokenShare is Σ (Tokens − FirstCorrect) / Σ Tokens over the same sets as
	// OutcomeEfficiency: the share of tokens spent after the correct answer was first stated.
	RedundantTokenShare VerdictSplit `json:"redundant_token_share"`
	// ReflectionMarkersPer1k is 1000 x Σ markers / Σ tokens over all, correct and incorrect samples.
	ReflectionMarkersPer1k VerdictSplit      `json:"reflection_markers_per_1k"`
	Reflection             ReflectionSummary `json:"reflection"`
	Trajectories           TrajectorySummary `json:"trajectories"`
}

// OverthinkingStats summarises samples (any order). Every interval is a percentile bootstrap with opt
// over problems (ratios of per-problem sums); no samples give a zero Overthinking.
func OverthinkingStats(samples []SampleReasoning, opt BootstrapOptions) (Overthinking, error) {
	var o Overthinking
	for i, s := range samples {
		if s.ProblemID == "" {
			return o, fmt.Errorf("overthinking: sample %d has an empty problem id", i)
		}
		if s.Tokens < 0 || s.FirstCorrect > s.Tokens || s.ThinkTokens < 0 || s.ThinkTokens > s.Tokens {
			return o, fmt.Errorf("overthinking: sample %d of problem %q: token counts out of range (tokens %d, first correct %d, think %d)",
				i, s.ProblemID, s.Tokens, s.FirstCorrect, s.ThinkTokens)
		}
	}
	o.Samples = len(samples)
	if len(samples) == 0 {
		return o, nil
	}
	// firstAt is T̂: FirstCorrect, or the whole completion for a correct final answer never stated before.
	firstAt := func(s SampleReasoning) (int, bool) {
		switch {
		case s.FirstCorrect >= 0:
			return s.FirstCorrect, true
		case s.Correct:
			return s.Tokens, true
		}
		return 0, false
	}
	ratio := func(a, b int) float64 {
		if b <= 0 {
			return 1 // an empty completion that is correct (cannot happen for a real answer)
		}
		return float64(a) / float64(b)
	}
	var sets = [3]func(SampleReasoning) bool{
		func(SampleReasoning) bool { return true },
		func(s SampleReasoning) bool { return s.Correct },
		func(s SampleReasoning) bool { return !s.Correct },
	}
	split := func(in func(SampleReasoning) bool, num, den func(SampleReasoning) float64, scale float64) VerdictSplit {
		var out [3]Interval
		for k, set := range sets {
			out[k] = ratioBootstrap(samples, func(s SampleReasoning) bool { return set(s) && in(s) }, num, den, scale, opt)
		}
		return VerdictSplit{Overall: out[0], Correct: out[1], Incorrect: out[2]}
	}
	stated := func(s SampleReasoning) bool { _, ok := firstAt(s); return ok }
	one := func(SampleReasoning) float64 { return 1 }
	o.OutcomeEfficiency = split(stated, func(s SampleReasoning) float64 {
		t, _ := firstAt(s)
		return ratio(t, s.Tokens)
	}, one, 1)
	o.OutcomeEfficiencyXi = ratioBootstrap(samples, func(SampleReasoning) bool { return true }, func(s SampleReasoning) float64 {
		if !s.Correct {
			return 0
		}
		t, _ := firstAt(s)
		return ratio(t, s.Tokens)
	}, one, 1, opt)
	o.RedundantTokenShare = split(stated, func(s SampleReasoning) float64 {
		t, _ := firstAt(s)
		return float64(s.Tokens - t)
	}, func(s SampleReasoning) float64 { return float64(s.Tokens) }, 1)
	all := func(SampleReasoning) bool { return true }
	o.ReflectionMarkersPer1k = split(all, func(s SampleReasoning) float64 { return float64(s.Markers) },
		func(s SampleReasoning) float64 { return float64(s.Tokens) }, 1000)

	var markers, mThink, mAnswer, mAfter, tThink, tAnswer, tAfter int
	var sw, swC, swI float64
	var nC, nI int
	counts := map[string]int{}
	for _, s := range samples {
		markers += s.Markers
		mThink += s.MarkersThink
		mAnswer += s.Markers - s.MarkersThink
		tThink += s.ThinkTokens
		tAnswer += s.Tokens - s.ThinkTokens
		if t, ok := firstAt(s); ok {
			mAfter += s.MarkersAfterFirst
			tAfter += s.Tokens - t
		}
		counts[s.Trajectory]++
		sw += float64(s.Switches)
		if s.Correct {
			swC += float64(s.Switches)
			nC++
		} else {
			swI += float64(s.Switches)
			nI++
		}
	}
	per1k := func(m, t int) float64 {
		if t <= 0 {
			return 0
		}
		return 1000 * float64(m) / float64(t)
	}
	n := len(samples)
	o.Reflection = ReflectionSummary{Markers: markers, PerSample: float64(markers) / float64(n),
		MarkersThink: mThink, MarkersAnswer: mAnswer, MarkersAfterFirstCorrect: mAfter,
		ThinkPer1k: per1k(mThink, tThink), AnswerPer1k: per1k(mAnswer, tAnswer), AfterFirstCorrectPer1k: per1k(mAfter, tAfter)}
	mean := func(s float64, k int) float64 {
		if k == 0 {
			return 0
		}
		return s / float64(k)
	}
	o.Trajectories = TrajectorySummary{
		Confirmatory: NewRate(counts[TrajectoryConfirmatory], n), Corrective: NewRate(counts[TrajectoryCorrective], n),
		Destructive: NewRate(counts[TrajectoryDestructive], n), Unresolved: NewRate(counts[TrajectoryUnresolved], n),
		Switches: mean(sw, n), SwitchesCorrect: mean(swC, nC), SwitchesIncorrect: mean(swI, nI),
	}
	return o, nil
}

// ratioBootstrap is scale x Σ num / Σ den over the samples in the set, with a percentile bootstrap that
// resamples the problems holding such samples (per-problem sums; a resample whose denominator is 0 is
// dropped). No sample in the set gives a zero Interval with N = 0.
func ratioBootstrap(samples []SampleReasoning, in func(SampleReasoning) bool, num, den func(SampleReasoning) float64, scale float64, opt BootstrapOptions) Interval {
	index := map[string]int{}
	var nums, dens []float64
	for _, s := range samples {
		if !in(s) {
			continue
		}
		j, ok := index[s.ProblemID]
		if !ok {
			j = len(nums)
			index[s.ProblemID] = j
			nums, dens = append(nums, 0), append(dens, 0)
		}
		nums[j] += num(s)
		dens[j] += den(s)
	}
	iv := Bootstrap(len(nums), func(idx []int) float64 {
		var a, b float64
		for _, i := range idx {
			a += nums[i]
			b += dens[i]
		}
		if b == 0 {
			return math.NaN()
		}
		return scale * a / b
	}, opt)
	if len(nums) > 0 {
		if d := statsSum(dens); d != 0 {
			iv.Estimate = statsFinite(scale * statsSum(nums) / d)
		}
	}
	return iv
}

// ThinkPart describes the completions that closed their think block: their thinking and answer tokens.
type ThinkPart struct {
	N                int     `json:"n"`
	MeanThinkTokens  float64 `json:"mean_think_tokens"`
	MeanAnswerTokens float64 `json:"mean_answer_tokens"`
	// ThinkShare is Σ thinking tokens / Σ tokens.
	ThinkShare float64 `json:"think_share"`
}

// TokensPart is a count of completions and their mean tokens.
type TokensPart struct {
	N          int     `json:"n"`
	MeanTokens float64 `json:"mean_tokens"`
}

// ThinkTokens splits a run's tokens at the last </think> of each completion: closed completions
// (thinking and answer tokens), unclosed ones (all thinking, counted apart: their answer, if any, was
// read from unfinished reasoning) and completions without a think block.
type ThinkTokens struct {
	Closed   ThinkPart  `json:"closed"`
	Unclosed TokensPart `json:"unclosed"`
	None     TokensPart `json:"none"`
}

// ThinkTokenStats computes ThinkTokens from SampleReasoning's ThinkState, ThinkTokens and Tokens.
func ThinkTokenStats(samples []SampleReasoning) ThinkTokens {
	var t ThinkTokens
	var think, answer, unclosed, none float64
	for _, s := range samples {
		switch s.ThinkState {
		case ThinkClosed:
			t.Closed.N++
			think += float64(s.ThinkTokens)
			answer += float64(s.Tokens - s.ThinkTokens)
		case ThinkUnclosed:
			t.Unclosed.N++
			unclosed += float64(s.Tokens)
		default:
			t.None.N++
			none += float64(s.Tokens)
		}
	}
	if n := float64(t.Closed.N); n > 0 {
		t.Closed.MeanThinkTokens, t.Closed.MeanAnswerTokens = think/n, answer/n
		if think+answer > 0 {
			t.Closed.ThinkShare = think / (think + answer)
		}
	}
	if t.Unclosed.N > 0 {
		t.Unclosed.MeanTokens = unclosed / float64(t.Unclosed.N)
	}
	if t.None.N > 0 {
		t.None.MeanTokens = none / float64(t.None.N)
	}
	return t
}
