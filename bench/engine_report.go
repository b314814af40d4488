package bench

import (
	"strconv"

	"github.com/acoer/acoer-bench/metrics"
)

// The engine's figures per task (results.json's throughput block): how long generation took and how
// well the scheduler kept its slots busy.

// engineHeader and engineCells are the columns of the engine tables (report and compare).
var engineHeader = []string{"Wall s", "Tokens/s", "Decode steps", "Prefill tokens", "Slots", "Slot utilization %", "Mean live rows"}

func engineCells(t metrics.ThroughputSummary) []string {
	if t.DecodeSteps == 0 && t.PrefillTokens == 0 {
		// Samples written before the scheduler: only the wall time of their static batches.
		return []string{num(t.WallSeconds, 2), num(tokensPerSecond(t), 1), noValue, noValue, noValue, noValue, noValue}
	}
	return []string{num(t.WallSeconds, 2), num(tokensPerSecond(t), 1), strconv.FormatInt(t.DecodeSteps, 10),
		strconv.FormatInt(t.PrefillTokens, 10), strconv.Itoa(t.Slots), pct(t.SlotUtilization), num(t.MeanLiveRows, 1)}
}

// engineRows is one row per task.
func engineRows(r *Results) ([]string, [][]string) {
	h := append([]string{"Model", "Dataset", "Decoding"}, engineHeader...)
	var body [][]string
	for _, t := range r.Tasks {
		body = append(body, append([]string{t.Model, t.Dataset, t.Decoding}, engineCells(t.Throughput)...))
	}
	return h, body
}

// engineNote says what the engine columns mean.
const engineNote = "Wall s is the generation time of the task (the sum of its samples' shares of every prefill and decode step, " +
	"so it is exact across resumes); decode steps feed one token to every live row; slot utilization is the tokens decode steps generated (all but each sample's first, which its prefill gives) / (decode steps × slots): " +
	"the share of the slots' decode capacity that produced a token (the tail, when fewer requests are left than slots, lowers it); " +
	"mean live rows is the average batch of a decode step.\n"

// engineCSV are the CSV columns (appended to CSVHeader's row).
func engineCSV(t metrics.ThroughputSummary) []string {
	if t.DecodeSteps == 0 && t.PrefillTokens == 0 {
		return []string{csvIf(t.WallSeconds > 0, t.WallSeconds), "", "", "", "", ""}
	}
	return []string{csvNum(t.WallSeconds), strconv.FormatInt(t.DecodeSteps, 10), strconv.FormatInt(t.PrefillTokens, 10),
		strconv.Itoa(t.Slots), csvNum(t.SlotUtilization), csvNum(t.MeanLiveRows)}
}
