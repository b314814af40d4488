package metrics

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// FinishReasonLength is the finish reason of a completion cut by the token limit (runner.FinishLength;
// repeated here because metrics does not import runner).
const FinishReasonLength = "length"

// LengthSummary describes a set of completion lengths in tokens. All fields follow numpy: Mean
// (numpy.mean), Median (numpy.median: mean of the two middle values for an even count), P90 and P99
// (numpy.percentile(x, 90 | 99), default linear interpolation), Std (numpy.std, population, ddof=0), Min and
// Max. Every field is 0 when N is 0.
type LengthSummary struct {
	N      int     `json:"n"`
	Mean   float64 `json:"mean"`
	Median float64 `json:"median"`
	P90    float64 `json:"p90"`
	// P99 is numpy.percentile(x, 99).
	P99   float64 `json:"p99"`
	Std   float64 `json:"std"`
	Min   float64 `json:"min"`
	Max   float64 `json:"max"`
	Total int64   `json:"total"`
}

// LengthStats summarises completion lengths (tokens per response).
func LengthStats(tokens []int) LengthSummary {
	if len(tokens) == 0 {
		return LengthSummary{}
	}
	xs := statsInts(tokens)
	s := statsSortedClean(xs)
	var total int64
	for _, t := range tokens {
		total += int64(t)
	}
	return LengthSummary{
		N:      len(s),
		Mean:   Mean(s),
		Median: Median(s),
		P90:    statsPercentileSorted(s, 90),
		P99:    statsPercentileSorted(s, 99),
		Std:    Std(s),
		Min:    s[0],
		Max:    s[len(s)-1],
		Total:  total,
	}
}

// LengthSplit is a LengthSummary over all responses and over the correct and the incorrect ones.
type LengthSplit struct {
	All       LengthSummary `json:"all"`
	Correct   LengthSummary `json:"correct"`
	Incorrect LengthSummary `json:"incorrect"`
}

// LengthByCorrectness splits tokens by the verdict at the same index; the slices must have equal length.
func LengthByCorrectness(tokens []int, correct []bool) (LengthSplit, error) {
	if len(tokens) != len(correct) {
		return LengthSplit{}, fmt.Errorf("length by correctness: %d lengths but %d verdicts", len(tokens), len(correct))
	}
	var ok, bad []int
	for i, t := range tokens {
		if correct[i] {
			ok = append(ok, t)
		} else {
			bad = append(bad, t)
		}
	}
	return LengthSplit{All: LengthStats(tokens), Correct: LengthStats(ok), Incorrect: LengthStats(bad)}, nil
}

// GroupSummary is the accuracy and lengths of the responses that share one group key (a difficulty
// level, a subject, ...).
type GroupSummary struct {
	Key string `json:"key"`
	// N counts responses in the group; Accuracy is the fraction of them graded correct.
	N        int         `json:"n"`
	Accuracy float64     `json:"accuracy"`
	Length   LengthSplit `json:"length"`
}

// GroupStats groups responses by keys[i] and summarises each group. The three slices are parallel
// (one entry per response). Responses with an empty key are left out (the dataset had no such field).
// Groups are ordered by key, numerically when both keys parse as numbers ("2" < "10"), otherwise as
// strings ("Level 1" < "Level 2").
func GroupStats(keys []string, tokens []int, correct []bool) ([]GroupSummary, error) {
	if len(keys) != len(tokens) || len(keys) != len(correct) {
		return nil, fmt.Errorf("group stats: %d keys, %d lengths, %d verdicts: need one of each per response", len(keys), len(tokens), len(correct))
	}
	type acc struct {
		tokens  []int
		correct []bool
	}
	groups := map[string]*acc{}
	for i, k := range keys {
		if k == "" {
			continue
		}
		g := groups[k]
		if g == nil {
			g = &acc{}
			groups[k] = g
		}
		g.tokens = append(g.tokens, tokens[i])
		g.correct = append(g.correct, correct[i])
	}
	out := make([]GroupSummary, 0, len(groups))
	for k, g := range groups {
		split, _ := LengthByCorrectness(g.tokens, g.correct)
		out = append(out, GroupSummary{Key: k, N: len(g.tokens), Accuracy: Accuracy(g.correct), Length: split})
	}
	slices.SortFunc(out, func(a, b GroupSummary) int { return statsCompareKeys(a.Key, b.Key) })
	return out, nil
}

// statsCompareKeys orders group keys numerically when both are numbers, else lexically.
func statsCompareKeys(a, b string) int {
	fa, ea := strconv.ParseFloat(a, 64)
	fb, eb := strconv.ParseFloat(b, 64)
	if ea == nil && eb == nil && !math.IsNaN(fa) && !math.IsNaN(fb) && fa != fb {
		return cmp.Compare(fa, fb)
	}
	return cmp.Compare(a, b)
}

// Rate is a count out of a total with the fraction Count/N (0 when N is 0).
type Rate struct {
	Count int     `json:"count"`
	N     int     `json:"n"`
	Rate  float64 `json:"rate"`
}

// NewRate returns Rate{count, n, count/n} (rate 0 when n <= 0).
func NewRate(count, n int) Rate {
	r := Rate{Count: count, N: n}
	if n > 0 {
		r.Rate = float64(count) / float64(n)
	}
	return r
}

// TruncationRate is the fraction of responses whose finish reason is "length" (cut by the max-new-tokens
// limit or the context), over all responses.
func TruncationRate(finishReasons []string) Rate {
	c := 0
	for _, r := range finishReasons {
		if r == FinishReasonLength {
			c++
		}
	}
	return NewRate(c, len(finishReasons))
}

// ThinkSummary counts reasoning blocks: Opened responses contain <think>, Unclosed opened it and never
// wrote </think> (their answer, if any, was extracted from unfinished reasoning). UnclosedRate is
// Unclosed over all N responses; UnclosedOfOpened is Unclosed over Opened (0 when none opened).
type ThinkSummary struct {
	N                int     `json:"n"`
	Opened           int     `json:"opened"`
	Unclosed         int     `json:"unclosed"`
	UnclosedRate     float64 `json:"unclosed_rate"`
	UnclosedOfOpened float64 `json:"unclosed_of_opened"`
}

// ThinkStats summarises think-block flags (metrics.Verdict.ThinkOpened / ThinkClosed), one pair per
// response; the slices must have equal length. A response counts as unclosed when opened && !closed.
func ThinkStats(opened, closed []bool) (ThinkSummary, error) {
	if len(opened) != len(closed) {
		return ThinkSummary{}, fmt.Errorf("think stats: %d opened flags but %d closed flags", len(opened), len(closed))
	}
	s := ThinkSummary{N: len(opened)}
	for i, o := range opened {
		if o {
			s.Opened++
			if !closed[i] {
				s.Unclosed++
			}
		}
	}
	s.UnclosedRate = NewRate(s.Unclosed, s.N).Rate
	s.UnclosedOfOpened = NewRate(s.Unclosed, s.Opened).Rate
	return s, nil
}
