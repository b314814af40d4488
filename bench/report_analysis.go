package bench

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/acoer/acoer-bench/metrics"
)

// The report sections of the schema-3 analyses: accuracy at token budgets, reasoning (overthinking,
// trajectories, think split) and fair length comparisons. Each section is a header and rows, rendered
// by the table, Markdown and LaTeX writers alike; a section without data has no rows and is skipped.

// reportSection is one titled table.
type reportSection struct {
	Title  string
	Note   string
	Header []string
	Body   [][]string
}

// taskLabel is the first cells of a task's row: model, dataset and, with several decodings, decoding.
func taskLabel(r *Results, t TaskResult) []string {
	if multiDecoding(r) {
		return []string{t.Model, t.Dataset, t.Decoding}
	}
	return []string{t.Model, t.Dataset}
}

func labelHeader(r *Results) []string {
	if multiDecoding(r) {
		return []string{"Model", "Dataset", "Decoding"}
	}
	return []string{"Model", "Dataset"}
}

// budgetSections is one table per decoding: accuracy (and mean tokens spent) at each budget, and the
// budgets that reach 90% and 95% of the final accuracy.
func budgetSections(r *Results) []reportSection {
	var out []reportSection
	var decs []string
	for _, t := range r.Tasks {
		if len(t.BudgetCurve) > 0 && !slices.Contains(decs, t.Decoding) {
			decs = append(decs, t.Decoding)
		}
	}
	for _, dec := range decs {
		var budgets []int
		for _, t := range r.Tasks {
			if t.Decoding != dec {
				continue
			}
			for _, p := range t.BudgetCurve {
				if !slices.Contains(budgets, p.Budget) {
					budgets = append(budgets, p.Budget)
				}
			}
		}
		slices.Sort(budgets)
		s := reportSection{Title: "Accuracy at token budgets (" + dec + ")",
			Note:   "accuracy % when generation stops at each budget (mean tokens spent); from one run, the completions cut and graded again",
			Header: []string{"Model", "Dataset"}}
		for _, b := range budgets {
			s.Header = append(s.Header, tokensLabel(b))
		}
		s.Header = append(s.Header, "90% of final at", "95% of final at")
		for _, t := range r.Tasks {
			if t.Decoding != dec || len(t.BudgetCurve) == 0 {
				continue
			}
			row := []string{t.Model, t.Dataset}
			for _, b := range budgets {
				cell := noValue
				if i := slices.IndexFunc(t.BudgetCurve, func(p metrics.BudgetPoint) bool { return p.Budget == b }); i >= 0 {
					p := t.BudgetCurve[i]
					cell = fmt.Sprintf("%s (%s)", pct(p.Accuracy.Estimate), num(p.MeanTokens, 0))
				}
				row = append(row, cell)
			}
			for _, share := range []float64{0.9, 0.95} {
				cell := noValue
				for _, x := range t.BudgetToReach {
					if x.Share == share && x.Reached {
						cell = strconv.Itoa(x.Budget)
						if !x.Exact {
							cell = "≤" + cell
						}
					}
				}
				row = append(row, cell)
			}
			s.Body = append(s.Body, row)
		}
		out = append(out, s)
	}
	return out
}

// tokensLabel writes a budget compactly: 512, 4k, 32k (exact thousands only).
func tokensLabel(b int) string {
	if b >= 1024 && b%1024 == 0 {
		return strconv.Itoa(b/1024) + "k"
	}
	return strconv.Itoa(b)
}

// ivPctShort is an interval of a share as "62.5 [55.0, 70.0]" ("–" without data).
func ivPctShort(iv *metrics.Interval) string {
	if iv == nil {
		return noValue
	}
	return ivPct(*iv)
}

// reasoningSection is outcome efficiency, redundant tokens, reflection, trajectories and the think split
// per task.
func reasoningSection(r *Results) reportSection {
	s := reportSection{Title: "Reasoning: overthinking, reflection, trajectories",
		Note: "outcome efficiency: tokens to the first correct answer / all tokens (correct samples; Chen et al. 2024); redundant: share of tokens after it; " +
			"markers: reflection phrases per 1k tokens; trajectories: share of samples confirmatory / corrective / destructive / unresolved",
		Header: append(labelHeader(r), "Outcome eff. % [CI]", "Redundant %", "Markers /1k (correct / incorrect)",
			"Think / answer tokens", "Unclosed think", "Conf. / corr. / destr. / unres. %", "Switches", "Accuracy lenient / strict %")}
	for _, t := range r.Tasks {
		if t.Trajectories == nil {
			continue
		}
		row := taskLabel(r, t)
		oe, red := noValue, noValue
		if t.OutcomeEfficiency != nil {
			oe = ivPctShort(&t.OutcomeEfficiency.Correct)
		}
		if t.RedundantTokenShare != nil && t.RedundantTokenShare.Overall.N > 0 {
			red = pct(t.RedundantTokenShare.Overall.Estimate)
		}
		mk := noValue
		if m := t.ReflectionMarkersPer1k; m != nil {
			mk = splitCell(m.Correct, 1) + " / " + splitCell(m.Incorrect, 1)
		}
		think, unclosed := noValue, noValue
		if th := t.ThinkTokens; th != nil {
			if th.Closed.N > 0 {
				think = num(th.Closed.MeanThinkTokens, 0) + " / " + num(th.Closed.MeanAnswerTokens, 0)
			}
			unclosed = strconv.Itoa(th.Unclosed.N)
		}
		tr := t.Trajectories
		traj := strings.Join([]string{pct(tr.Confirmatory.Rate), pct(tr.Corrective.Rate), pct(tr.Destructive.Rate), pct(tr.Unresolved.Rate)}, " / ")
		acc := noValue
		if g := t.ThinkGrading; g != nil {
			acc = pct(g.Lenient.Estimate) + " / " + pct(g.Strict.Estimate)
		}
		row = append(row, oe, red, mk, think, unclosed, traj, num(tr.Switches, 2), acc)
		s.Body = append(s.Body, row)
	}
	return s
}

// splitCell is one part of a VerdictSplit ("–" when no sample contributes).
func splitCell(iv metrics.Interval, prec int) string {
	if iv.N == 0 {
		return noValue
	}
	return num(iv.Estimate, prec)
}

// reductionCell is a SubsetReduction as "−31.2 [−40.0, −20.1] (n=40)".
func reductionCell(s metrics.SubsetReduction) string {
	if s.Problems == 0 {
		return noValue
	}
	return fmt.Sprintf("%s (n=%d)", reductionPct(s.Tokens), s.Problems)
}

// fairSection is the fair length comparison of each candidate task.
func fairSection(r *Results) reportSection {
	s := reportSection{Title: "Fair length comparisons against " + r.Baseline,
		Note: "token reduction % on the problems both solve (every sample correct; at least one correct), the share of problems where the candidate is correct and shorter, " +
			"and maj@k* of the candidate against the baseline's avg@1 at equal token spend (k* = floor(L_base / L_cand))",
		Header: append(labelHeader(r), "Reduction, all correct %", "Reduction, any correct %", "Correct & shorter %", "maj@k* − avg@1 pp [CI] (k*)")}
	for _, t := range r.Tasks {
		c := t.VsBaseline
		if c == nil || c.ReductionCommonlySolved == nil {
			continue
		}
		row := append(taskLabel(r, t), reductionCell(c.ReductionCommonlySolved.AllCorrect), reductionCell(c.ReductionCommonlySolved.AnyCorrect),
			ivPctShort(c.CorrectAndShorter), equalSpendCell(c.EqualSpend))
		s.Body = append(s.Body, row)
	}
	return s
}

func equalSpendCell(e *metrics.EqualSpend) string {
	if e == nil || e.GainPP.N == 0 {
		return noValue
	}
	capped := ""
	if e.Capped {
		capped = ", capped"
	}
	return fmt.Sprintf("%s (k*=%d%s)", ivSigned(e.GainPP, 1), e.KStar, capped)
}

// breakdownSection is the token reduction by level, by the baseline's pass rate and by its length
// quintile, one row per candidate task and subset.
func breakdownSection(r *Results) reportSection {
	s := reportSection{Title: "Token reduction by difficulty, baseline pass rate and baseline length",
		Note:   "does the candidate cut long answers or short ones, easy problems or hard ones? Reduction % with a paired bootstrap interval",
		Header: append(labelHeader(r), "By", "Subset", "n", "Accuracy base / cand. %", "Tokens base / cand.", "Reduction % [CI]")}
	for _, t := range r.Tasks {
		c := t.VsBaseline
		if c == nil || c.ReductionCommonlySolved == nil {
			continue
		}
		for _, part := range []struct {
			by   string
			subs []metrics.SubsetReduction
		}{{"level", c.ReductionByLevel}, {"base pass rate", c.ReductionByBasePassRate}, {"base length", c.ReductionByBaseLengthQuintile}} {
			for _, x := range part.subs {
				if x.Problems == 0 {
					continue
				}
				key := x.Key
				if len(x.BaseTokensRange) == 2 {
					key += fmt.Sprintf(" (%s–%s)", num(x.BaseTokensRange[0], 0), num(x.BaseTokensRange[1], 0))
				}
				row := append(taskLabel(r, t), part.by, key, strconv.Itoa(x.Problems), pct(x.BaseAccuracy)+" / "+pct(x.CandidateAccuracy),
					num(x.Tokens.BaseMean, 0)+" / "+num(x.Tokens.CandidateMean, 0), reductionPct(x.Tokens))
				s.Body = append(s.Body, row)
			}
		}
	}
	return s
}

// analysisSections are every analysis section with rows, in report order.
func analysisSections(r *Results) []reportSection {
	secs := budgetSections(r)
	secs = append(secs, reasoningSection(r))
	if hasBaseline(r) {
		secs = append(secs, fairSection(r), breakdownSection(r))
	}
	var out []reportSection
	for _, s := range secs {
		if len(s.Body) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// analysisNotes are the tasks' notes on what was left out ("model/dataset/decoding: note").
func analysisNotes(r *Results) []string {
	var out []string
	for _, t := range r.Tasks {
		if t.Analysis == nil {
			continue
		}
		for _, n := range t.Analysis.Notes {
			out = append(out, fmt.Sprintf("%s/%s/%s: %s", t.Model, t.Dataset, t.Decoding, n))
		}
	}
	return out
}

// writeBudgetsCSV writes every budget curve point as one CSV row (long format, for plotting).
func writeBudgetsCSV(w io.Writer, r *Results) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(BudgetsCSVHeader); err != nil {
		return err
	}
	for _, t := range r.Tasks {
		for _, p := range t.BudgetCurve {
			if err := cw.Write([]string{t.Model, t.Dataset, t.Decoding, strconv.Itoa(p.Budget), csvNum(p.Accuracy.Estimate),
				csvNum(p.Accuracy.Low), csvNum(p.Accuracy.High), csvNum(p.MeanTokens), csvNum(p.Truncation.Rate), strconv.Itoa(p.Changed)}); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// BudgetsCSVHeader is the column list of the budgets report (one row per task and budget).
var BudgetsCSVHeader = []string{"model", "dataset", "decoding", "budget", "accuracy", "accuracy_lo", "accuracy_hi", "mean_tokens", "truncation_rate", "changed"}
