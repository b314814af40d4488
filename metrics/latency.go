package metrics

import (
	"fmt"
	"math"
	"time"
)

// LatencySummary describes a set of latencies in milliseconds (float64, so sub-millisecond per-token
// latencies keep their precision). Percentiles are numpy.percentile with the default linear
// interpolation (see Percentile); Mean is the arithmetic mean. Non-finite inputs are ignored; every field is 0
// when N is 0.
type LatencySummary struct {
	N    int     `json:"n"`
	Mean float64 `json:"mean_ms"`
	Min  float64 `json:"min_ms"`
	P50  float64 `json:"p50_ms"`
	P90  float64 `json:"p90_ms"`
	P95  float64 `json:"p95_ms"`
	P99  float64 `json:"p99_ms"`
	Max  float64 `json:"max_ms"`
}

// LatencyStats summarises latencies given in milliseconds.
func LatencyStats(ms []float64) LatencySummary {
	s := statsSortedClean(ms)
	if len(s) == 0 {
		return LatencySummary{}
	}
	return LatencySummary{
		N:    len(s),
		Mean: Mean(s),
		Min:  s[0],
		P50:  statsPercentileSorted(s, 50),
		P90:  statsPercentileSorted(s, 90),
		P95:  statsPercentileSorted(s, 95),
		P99:  statsPercentileSorted(s, 99),
		Max:  s[len(s)-1],
	}
}

// DurationsMS converts durations to float64 milliseconds (1.5ms -> 1.5).
func DurationsMS(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = float64(d) / float64(time.Millisecond)
	}
	return out
}

// LatencyStatsDurations is LatencyStats(DurationsMS(ds)).
func LatencyStatsDurations(ds []time.Duration) LatencySummary {
	return LatencyStats(DurationsMS(ds))
}

// PerTokenLatency is the mean latency per generated token after the first, (total-ttft)/(tokens-1)
// (the same definition as runner.Completion.PerToken); ok is false when fewer than two tokens were
// generated (the sequence has no per-token latency and should be left out of the summary).
func PerTokenLatency(tokens int, ttft, total time.Duration) (d time.Duration, ok bool) {
	if tokens < 2 {
		return 0, false
	}
	return (total - ttft) / time.Duration(tokens-1), true
}

// ThroughputSummary reports generation speed in tokens per second, two ways:
//
//   - TokensPerSecond = total generated tokens / WallSeconds, the wall-clock time of the whole run
//     (what a user waits; batched sequences overlap, so this is the system throughput). 0 when no wall
//     time was given.
//   - PerSequenceMean = mean over sequences of tokens_i / total_i, where total_i is the sequence's own
//     end-to-end time (the speed one request sees). Sequences with total_i <= 0 are left out.
//
// With the engine's work known (SetEngine), it also reports DecodeSteps and PrefillTokens, the Slots the
// scheduler kept, SlotUtilization = (Tokens - Sequences) / (DecodeSteps × Slots), the share of the
// slots' decode capacity that produced tokens (each sequence's first token comes from its prefill, not
// from a decode step; a long tail, when few rows are left and none waits, lowers it), and
// MeanLiveRows = decode-step rows / DecodeSteps, the average batch a decode step ran.
type ThroughputSummary struct {
	Sequences       int     `json:"sequences"`
	Tokens          int64   `json:"tokens"`
	WallSeconds     float64 `json:"wall_seconds"`
	TokensPerSecond float64 `json:"tokens_per_second"`
	PerSequenceMean float64 `json:"per_sequence_tokens_per_second"`
	DecodeSteps     int64   `json:"decode_steps,omitempty"`
	PrefillTokens   int64   `json:"prefill_tokens,omitempty"`
	Slots           int     `json:"slots,omitempty"`
	SlotUtilization float64 `json:"slot_utilization,omitempty"`
	MeanLiveRows    float64 `json:"mean_live_rows,omitempty"`
}

// EngineWork is what the scheduler did for a set of sequences: the sums of their work shares (decode
// steps and prefill tokens, fractional per sequence, whole in total), the slot capacity of those steps
// (decode steps × slots, summed over the runs they came from), and the rows the decode steps fed
// (every sequence is fed once per generated token after its first).
type EngineWork struct {
	DecodeSteps   float64 `json:"decode_steps"`
	PrefillTokens float64 `json:"prefill_tokens"`
	SlotSteps     float64 `json:"slot_steps"`
	DecodeRows    int64   `json:"decode_rows"`
}

// SetEngine fills the engine figures of s from w (s.Tokens must be set).
func (s *ThroughputSummary) SetEngine(w EngineWork) {
	s.DecodeSteps = int64(math.Round(w.DecodeSteps))
	s.PrefillTokens = int64(math.Round(w.PrefillTokens))
	s.Slots, s.SlotUtilization, s.MeanLiveRows = 0, 0, 0
	if s.DecodeSteps > 0 && w.SlotSteps > 0 {
		s.Slots = int(math.Round(w.SlotSteps / float64(s.DecodeSteps)))
		s.SlotUtilization = float64(max(s.Tokens-int64(s.Sequences), 0)) / w.SlotSteps
		s.MeanLiveRows = float64(w.DecodeRows) / float64(s.DecodeSteps)
	}
}

// Throughput computes a ThroughputSummary from each sequence's generated-token count and end-to-end
// time (parallel slices) and the run's wall time (0 when unknown).
func Throughput(tokens []int, totals []time.Duration, wall time.Duration) (ThroughputSummary, error) {
	if len(tokens) != len(totals) {
		return ThroughputSummary{}, fmt.Errorf("throughput: %d token counts but %d durations", len(tokens), len(totals))
	}
	s := ThroughputSummary{Sequences: len(tokens), WallSeconds: wall.Seconds()}
	rates := make([]float64, 0, len(tokens))
	for i, t := range tokens {
		s.Tokens += int64(t)
		if totals[i] > 0 {
			rates = append(rates, float64(t)/totals[i].Seconds())
		}
	}
	if wall > 0 {
		s.TokensPerSecond = float64(s.Tokens) / wall.Seconds()
	}
	s.PerSequenceMean = Mean(rates)
	return s, nil
}
