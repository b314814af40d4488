package bench

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/acoer/acoer-bench/metrics"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// ReportFormats are the formats WriteReport renders (html: WriteHTML).
var ReportFormats = []string{"table", "md", "csv", "json", "latex", "html", "budgets"}

// WriteReport renders results as a terminal table, GitHub Markdown, CSV, JSON, LaTeX or the budget
// curves as CSV (budgets: one row per task and budget).
func WriteReport(w io.Writer, r *Results, format, title string) error {
	switch format {
	case "table":
		return writeTable(w, r)
	case "md", "markdown":
		return writeMarkdown(w, r, title)
	case "csv":
		return writeCSV(w, r)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "latex":
		return writeLaTeX(w, r)
	case "budgets":
		return writeBudgetsCSV(w, r)
	case "html":
		return WriteHTML(w, r, nil, title)
	}
	return fmt.Errorf("unknown report format %q (want %s)", format, strings.Join(ReportFormats, ", "))
}

// noValue is what a report prints for a number that is not defined (no data).
const noValue = "–"

// pct formats a share (0..1) as percent with one decimal.
func pct(x float64) string { return unsignZero(strconv.FormatFloat(100*x, 'f', 1, 64), "") }

func num(x float64, prec int) string { return unsignZero(strconv.FormatFloat(x, 'f', prec, 64), "") }

func signed(x float64, prec int) string { return unsignZero(fmt.Sprintf("%+.*f", prec, x), "+") }

// unsignZero gives a number that prints as zero (-0, or a tiny negative such as -1e-17) the sign
// zero gets ("" or "+"), so tables never show "-0.0".
func unsignZero(s, zeroSign string) string {
	if strings.Trim(s, "+-0.") == "" && strings.HasPrefix(s, "-") {
		return zeroSign + s[1:]
	}
	return s
}

// ivPct formats an interval of a share as "62.5 [55.0, 70.0]" percent ("–" without data).
func ivPct(iv metrics.Interval) string {
	if iv.N == 0 {
		return noValue
	}
	return fmt.Sprintf("%s [%s, %s]", pct(iv.Estimate), pct(iv.Low), pct(iv.High))
}

// ivSigned formats an interval already in points/percent as "+1.2 [-0.5, +3.0]" ("–" without data).
func ivSigned(iv metrics.Interval, prec int) string {
	if iv.N == 0 {
		return noValue
	}
	return fmt.Sprintf("%s [%s, %s]", signed(iv.Estimate, prec), signed(iv.Low, prec), signed(iv.High, prec))
}

// reductionPct formats a token reduction (a share) as signed percent with its interval.
func reductionPct(r metrics.TokenReduction) string {
	iv := r.Reduction
	if r.BaseMean == 0 {
		return noValue
	}
	iv.Estimate, iv.Low, iv.High = 100*iv.Estimate, 100*iv.Low, 100*iv.High
	return ivSigned(iv, 1)
}

// relPct formats a relative change in percent (nil: undefined, the baseline was 0).
func relPct(p *float64) string {
	if p == nil {
		return noValue
	}
	return signed(*p, 1)
}

func pValue(c *Comparison) string {
	if c.Problems == 0 {
		return noValue
	}
	return num(c.Accuracy.Test.PValue, 3)
}

func aes(c *Comparison) string {
	if c.Problems == 0 {
		return noValue
	}
	return signed(c.AES, 3)
}

// ms formats one latency statistic in milliseconds ("–" when the summary has no data).
func ms(l metrics.LatencySummary, v float64) string {
	if l.N == 0 {
		return noValue
	}
	return num(v, 1)
}

// tokensPerSecond is the run's tokens/s when its wall time is known, else the mean per-sequence rate.
func tokensPerSecond(t metrics.ThroughputSummary) float64 {
	if t.WallSeconds > 0 {
		return t.TokensPerSecond
	}
	return t.PerSequenceMean
}

// lastAtK is the metric at the largest k reported (nil when none).
func lastAtK(xs []metrics.AtK) *metrics.AtK {
	if len(xs) == 0 {
		return nil
	}
	return &xs[len(xs)-1]
}

func hasK(r *Results) bool {
	for _, t := range r.Tasks {
		if t.K > 1 {
			return true
		}
	}
	return false
}

func hasBaseline(r *Results) bool {
	for _, t := range r.Tasks {
		if t.VsBaseline != nil {
			return true
		}
	}
	return false
}

func multiDecoding(r *Results) bool {
	for _, t := range r.Tasks {
		if t.Decoding != r.Tasks[0].Decoding {
			return true
		}
	}
	return false
}

// rows are the cells shared by the table, Markdown and LaTeX renderings.
func rows(r *Results) (header []string, body [][]string) {
	dec := multiDecoding(r)
	k := hasK(r)
	base := hasBaseline(r)
	header = []string{"Model", "Dataset"}
	if dec {
		header = append(header, "Decoding")
	}
	header = append(header, "n", "Accuracy % [95% CI]")
	if k {
		header = append(header, "pass@k %", "maj@k %")
	}
	header = append(header, "Mean tokens", "Median", "p99", "Max", "Correct / incorrect", "Truncated %")
	if base {
		header = append(header, "Token reduction % [CI]", "Δ accuracy pp [CI]", "p", "AES")
	}
	header = append(header, "TTFT p50 ms", "Latency p50 ms", "Tokens/s")
	for _, t := range r.Tasks {
		row := []string{t.Model, t.Dataset}
		if dec {
			row = append(row, t.Decoding)
		}
		n := strconv.Itoa(t.Problems)
		if t.K > 1 {
			n += fmt.Sprintf(" ×%d", t.K)
		}
		if !t.Complete {
			n += " (incomplete)"
		}
		row = append(row, n, ivPct(t.Accuracy))
		if k {
			pk, mk := noValue, noValue
			if a := lastAtK(t.PassAtK); a != nil && t.K > 1 {
				pk = fmt.Sprintf("%s (k=%d)", pct(a.Value.Estimate), a.K)
			}
			if a := lastAtK(t.MajAtK); a != nil && t.K > 1 {
				mk = fmt.Sprintf("%s (k=%d)", pct(a.Value.Estimate), a.K)
			}
			row = append(row, pk, mk)
		}
		row = append(row, num(t.Length.All.Mean, 1), num(t.Length.All.Median, 0), num(t.Length.All.P99, 0), num(t.Length.All.Max, 0),
			lengthMean(t.Length.Correct)+" / "+lengthMean(t.Length.Incorrect), pct(t.Truncation.Rate))
		if base {
			if c := t.VsBaseline; c != nil {
				row = append(row, reductionPct(c.Tokens), ivSigned(c.Accuracy.DeltaCI, 1), pValue(c), aes(c))
			} else if t.Model == r.Baseline {
				row = append(row, "baseline", "baseline", "", "")
			} else {
				row = append(row, noValue, noValue, noValue, noValue)
			}
		}
		row = append(row, ms(t.TTFT, t.TTFT.P50), ms(t.EndToEnd, t.EndToEnd.P50), num(tokensPerSecond(t.Throughput), 1))
		body = append(body, row)
	}
	return header, body
}

// lengthMean is a length summary's mean ("–" for no responses).
func lengthMean(l metrics.LengthSummary) string {
	if l.N == 0 {
		return noValue
	}
	return num(l.Mean, 1)
}

func writeTable(w io.Writer, r *Results) error {
	header, body := rows(r)
	if err := writeRowsTable(w, header, body); err != nil {
		return err
	}
	for _, sec := range analysisSections(r) {
		if _, err := fmt.Fprintf(w, "\n%s: %s\n", sec.Title, sec.Note); err != nil {
			return err
		}
		if err := writeRowsTable(w, sec.Header, sec.Body); err != nil {
			return err
		}
	}
	for _, n := range analysisNotes(r) {
		if _, err := fmt.Fprintf(w, "note: %s\n", n); err != nil {
			return err
		}
	}
	if _, err := io.WriteString(w, "\nEngine\n"); err != nil {
		return err
	}
	eh, eb := engineRows(r)
	return writeRowsTable(w, eh, eb)
}

func writeRowsTable(w io.Writer, header []string, body [][]string) error {
	t := tablewriter.NewTable(w, tablewriter.WithHeaderAutoFormat(tw.Off))
	h := make([]any, len(header))
	for i, s := range header {
		h[i] = s
	}
	t.Header(h...)
	for _, row := range body {
		if err := t.Append(row); err != nil {
			return err
		}
	}
	return t.Render()
}

// mdEscape escapes text for a Markdown table cell.
func mdEscape(s string) string {
	r := strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ", "<", "&lt;", ">", "&gt;", "`", "\\`", "*", `\*`, "_", `\_`)
	return r.Replace(s)
}

func writeMarkdown(w io.Writer, r *Results, title string) error {
	if title == "" {
		title = "acoer-bench results"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", mdEscape(title))
	header, body := rows(r)
	mdTable(&b, header, body)
	if len(r.Overall) > 0 && (len(r.Overall) > 1 || len(r.Tasks) > 1) {
		b.WriteString("\n## Overall (all datasets pooled)\n\n")
		oh, ob := overallRows(r)
		mdTable(&b, oh, ob)
	}
	for _, sec := range analysisSections(r) {
		fmt.Fprintf(&b, "\n## %s\n\n_%s._\n\n", mdEscape(sec.Title), mdEscape(sec.Note))
		mdTable(&b, sec.Header, sec.Body)
	}
	if notes := analysisNotes(r); len(notes) > 0 {
		b.WriteString("\n")
		for _, n := range notes {
			fmt.Fprintf(&b, "- note: %s\n", mdEscape(n))
		}
	}
	b.WriteString("\n## Engine\n\n")
	eh, eb := engineRows(r)
	mdTable(&b, eh, eb)
	b.WriteString("\n" + engineNote)
	b.WriteString("\n## Provenance\n\n")
	fmt.Fprintf(&b, "- git revision: `%s`; config sha256: `%s`; seed: %d\n", mdEscape(r.Provenance.Revision), short(r.Provenance.ConfigHash), r.Provenance.Seed)
	for _, name := range r.Models() {
		m := r.Provenance.Models[name]
		fmt.Fprintf(&b, "- model %s: `%s` (%s sha256 `%s`%s), provider %s, ONNX Runtime %s\n",
			mdEscape(name), mdEscape(m.Path), mdEscape(m.GraphLabel()), short(m.SHA256), mdEscape(m.LayoutNote()), mdEscape(m.Provider), mdEscape(m.ORTVersion))
	}
	for _, name := range sortedKeys(r.Provenance.Datasets) {
		d := r.Provenance.Datasets[name]
		fmt.Fprintf(&b, "- dataset %s: %s, template %s, grader %s, sha256 `%s`\n", mdEscape(name), mdEscape(d.Kind), mdEscape(d.Template), mdEscape(d.Grader), short(d.SHA256))
	}
	for _, d := range r.Provenance.Decoding {
		fmt.Fprintf(&b, "- decoding %s: %s\n", mdEscape(d.Name), mdEscape(decodingString(d)))
	}
	b.WriteString("\nIntervals are 95% percentile-bootstrap intervals over problems; p is the paired test against the baseline (exact McNemar for one sample per problem, a paired permutation test for more); " +
		"AES is the accuracy-efficiency score of Luo et al. 2025 (above 0: a better trade-off than the baseline); tokens/s is the whole run's rate (completion tokens / generation wall time; the mean per-sequence rate for samples recorded without batch timings).\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func decodingString(d DecodingSpec) string {
	s := "greedy"
	if d.Temperature > 0 {
		s = fmt.Sprintf("temperature %g, top_p %g, top_k %d, samples %d", d.Temperature, d.TopP, d.TopK, d.Samples)
	}
	return s + fmt.Sprintf(", max_new_tokens %d", d.MaxNewTokens)
}

func overallRows(r *Results) ([]string, [][]string) {
	h := []string{"Model", "Decoding", "n", "Accuracy % [95% CI]", "Mean tokens", "Token reduction % [CI]", "Δ accuracy pp [CI]", "p", "AES"}
	var body [][]string
	for _, o := range r.Overall {
		row := []string{o.Model, o.Decoding, strconv.Itoa(o.Problems), ivPct(o.Accuracy), num(o.Length.All.Mean, 1)}
		if c := o.VsBaseline; c != nil {
			row = append(row, reductionPct(c.Tokens), ivSigned(c.Accuracy.DeltaCI, 1), pValue(c), aes(c))
		} else {
			row = append(row, noValue, noValue, noValue, noValue)
		}
		body = append(body, row)
	}
	return h, body
}

func mdTable(b *strings.Builder, header []string, body [][]string) {
	b.WriteString("|")
	for _, h := range header {
		b.WriteString(" " + mdEscape(h) + " |")
	}
	b.WriteString("\n|")
	for _, h := range header {
		if h == "Model" || h == "Dataset" || h == "Decoding" || h == "Scope" {
			b.WriteString(" --- |")
		} else {
			b.WriteString(" ---: |")
		}
	}
	b.WriteString("\n")
	for _, row := range body {
		b.WriteString("|")
		for _, c := range row {
			b.WriteString(" " + mdEscape(c) + " |")
		}
		b.WriteString("\n")
	}
}

// CSVHeader is the stable column list of the CSV report (one row per model x dataset x decoding). New
// columns are only ever appended.
var CSVHeader = []string{"model", "dataset", "decoding", "benchmark", "n", "samples", "k", "complete",
	"accuracy", "accuracy_lo", "accuracy_hi", "pass_at_k", "maj_at_k",
	"mean_tokens", "median_tokens", "p90_tokens", "max_tokens", "mean_tokens_correct", "mean_tokens_incorrect",
	"truncation_rate", "think_unclosed_rate",
	"ttft_ms_p50", "ttft_ms_p90", "per_token_ms_p50", "total_ms_p50", "total_ms_p90", "tokens_per_second", "accuracy_per_1k_tokens",
	"baseline", "token_reduction", "token_reduction_lo", "token_reduction_hi",
	"accuracy_change_pp", "accuracy_change_pp_lo", "accuracy_change_pp_hi", "accuracy_change_rel_pct", "p_value",
	"latency_change_pct",
	// Added in schema 2.
	"accuracy_wilson_lo", "accuracy_wilson_hi", "ttft_ms_p95", "ttft_ms_p99", "per_token_ms_p90", "total_ms_p95", "total_ms_p99",
	"paired_test", "aes",
	// Added in schema 3.
	"p99_tokens", "accuracy_lenient", "accuracy_strict_think", "tokens_to_90pct", "tokens_to_95pct",
	"outcome_efficiency", "outcome_efficiency_xi", "redundant_token_share", "reflection_markers_per_1k",
	"reflection_markers_per_1k_correct", "reflection_markers_per_1k_incorrect", "mean_think_tokens", "mean_answer_tokens",
	"unclosed_think", "confirmatory", "corrective", "destructive", "unresolved", "answer_switches",
	"reduction_commonly_solved", "reduction_commonly_solved_lo", "reduction_commonly_solved_hi", "commonly_solved_problems",
	"correct_and_shorter", "equal_spend_k_star", "equal_spend_gain_pp",
	// Added with the scheduler (schema 3).
	"wall_seconds", "decode_steps", "prefill_tokens", "slots", "slot_utilization", "mean_live_rows",
}

func csvNum(x float64) string { return strconv.FormatFloat(x, 'g', 8, 64) }

// csvIf is csvNum(x) when ok, else an empty cell (no data).
func csvIf(ok bool, x float64) string {
	if !ok {
		return ""
	}
	return csvNum(x)
}

func writeCSV(w io.Writer, r *Results) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, t := range r.Tasks {
		pk, mk := "", ""
		if a := lastAtK(t.PassAtK); a != nil && t.K > 1 {
			pk = csvNum(a.Value.Estimate)
		}
		if a := lastAtK(t.MajAtK); a != nil && t.K > 1 {
			mk = csvNum(a.Value.Estimate)
		}
		l, tt, pt, e2e := t.Length, t.TTFT, t.PerToken, t.EndToEnd
		row := []string{t.Model, t.Dataset, t.Decoding, t.Benchmark, strconv.Itoa(t.Problems), strconv.Itoa(t.Samples),
			strconv.Itoa(t.K), strconv.FormatBool(t.Complete),
			csvNum(t.Accuracy.Estimate), csvNum(t.Accuracy.Low), csvNum(t.Accuracy.High), pk, mk,
			csvNum(l.All.Mean), csvNum(l.All.Median), csvNum(l.All.P90), csvNum(l.All.Max),
			csvIf(l.Correct.N > 0, l.Correct.Mean), csvIf(l.Incorrect.N > 0, l.Incorrect.Mean),
			csvNum(t.Truncation.Rate), csvNum(t.Think.UnclosedRate),
			csvIf(tt.N > 0, tt.P50), csvIf(tt.N > 0, tt.P90), csvIf(pt.N > 0, pt.P50),
			csvIf(e2e.N > 0, e2e.P50), csvIf(e2e.N > 0, e2e.P90), csvNum(tokensPerSecond(t.Throughput)), csvNum(t.AccuracyPer1kTokens)}
		tail := []string{csvNum(t.AccuracyWilson.Low), csvNum(t.AccuracyWilson.High), csvIf(tt.N > 0, tt.P95), csvIf(tt.N > 0, tt.P99),
			csvIf(pt.N > 0, pt.P90), csvIf(e2e.N > 0, e2e.P95), csvIf(e2e.N > 0, e2e.P99)}
		if c := t.VsBaseline; c != nil {
			ok := c.Problems > 0
			red, d := c.Tokens.Reduction, c.Accuracy.DeltaCI
			rel := ""
			if c.Accuracy.RelativePct != nil {
				rel = csvNum(*c.Accuracy.RelativePct)
			}
			okTok := ok && c.Tokens.BaseMean > 0
			row = append(row, c.Baseline, csvIf(okTok, red.Estimate), csvIf(okTok, red.Low), csvIf(okTok, red.High),
				csvIf(ok, d.Estimate), csvIf(ok, d.Low), csvIf(ok, d.High), rel, csvIf(ok, c.Accuracy.Test.PValue),
				csvIf(ok && c.Latency.BaseMean > 0, c.Latency.ChangePct.Estimate))
			tail = append(tail, c.Accuracy.Test.Method, csvIf(ok, c.AES))
		} else {
			row = append(row, "", "", "", "", "", "", "", "", "", "")
			tail = append(tail, "", "")
		}
		tail = append(tail, csvSchema3(t)...)
		tail = append(tail, engineCSV(t.Throughput)...)
		if err := cw.Write(append(row, tail...)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvSchema3 are the schema-3 columns of a task ("" where there is no data).
func csvSchema3(t TaskResult) []string {
	out := []string{csvNum(t.Length.All.P99)}
	if g := t.ThinkGrading; g != nil {
		out = append(out, csvNum(g.Lenient.Estimate), csvNum(g.Strict.Estimate))
	} else {
		out = append(out, "", "")
	}
	for _, share := range []float64{0.9, 0.95} {
		cell := ""
		for _, x := range t.BudgetToReach {
			if x.Share == share && x.Reached {
				cell = strconv.Itoa(x.Budget)
			}
		}
		out = append(out, cell)
	}
	iv := func(v *metrics.Interval) string {
		if v == nil || v.N == 0 {
			return ""
		}
		return csvNum(v.Estimate)
	}
	split := func(v *metrics.VerdictSplit, part int) string {
		if v == nil {
			return ""
		}
		return iv(&[]metrics.Interval{v.Overall, v.Correct, v.Incorrect}[part])
	}
	out = append(out, split(t.OutcomeEfficiency, 1), iv(t.OutcomeEfficiencyXi), split(t.RedundantTokenShare, 0),
		split(t.ReflectionMarkersPer1k, 0), split(t.ReflectionMarkersPer1k, 1), split(t.ReflectionMarkersPer1k, 2))
	if th := t.ThinkTokens; th != nil {
		out = append(out, csvIf(th.Closed.N > 0, th.Closed.MeanThinkTokens), csvIf(th.Closed.N > 0, th.Closed.MeanAnswerTokens), strconv.Itoa(th.Unclosed.N))
	} else {
		out = append(out, "", "", "")
	}
	if tr := t.Trajectories; tr != nil {
		out = append(out, csvNum(tr.Confirmatory.Rate), csvNum(tr.Corrective.Rate), csvNum(tr.Destructive.Rate), csvNum(tr.Unresolved.Rate), csvNum(tr.Switches))
	} else {
		out = append(out, "", "", "", "", "")
	}
	c := t.VsBaseline
	if c != nil && c.ReductionCommonlySolved != nil && c.ReductionCommonlySolved.AllCorrect.Problems > 0 {
		a := c.ReductionCommonlySolved.AllCorrect
		ok := a.Tokens.BaseMean > 0
		out = append(out, csvIf(ok, a.Tokens.Reduction.Estimate), csvIf(ok, a.Tokens.Reduction.Low), csvIf(ok, a.Tokens.Reduction.High), strconv.Itoa(a.Problems))
	} else {
		out = append(out, "", "", "", "")
	}
	if c != nil {
		out = append(out, iv(c.CorrectAndShorter))
	} else {
		out = append(out, "")
	}
	if c != nil && c.EqualSpend != nil && c.EqualSpend.GainPP.N > 0 {
		out = append(out, strconv.Itoa(c.EqualSpend.KStar), csvNum(c.EqualSpend.GainPP.Estimate))
	} else {
		out = append(out, "", "")
	}
	return out
}

// texEscape escapes LaTeX special characters.
func texEscape(s string) string {
	r := strings.NewReplacer(`\`, `\textbackslash{}`, "&", `\&`, "%", `\%`, "$", `\$`, "#", `\#`, "_", `\_`,
		"{", `\{`, "}", `\}`, "~", `\textasciitilde{}`, "^", `\textasciicircum{}`, "–", "--", "Δ", `$\Delta$`, "×", `$\times$`,
		"≤", `$\le$`, "−", "$-$", "ξ", `$\xi$`)
	return r.Replace(s)
}

func writeLaTeX(w io.Writer, r *Results) error {
	header, body := rows(r)
	var b strings.Builder
	b.WriteString("% Generated by acoer-bench; needs \\usepackage{booktabs}.\n")
	b.WriteString("\\begin{table}[t]\n\\centering\n\\small\n")
	b.WriteString("\\begin{tabular}{ll" + strings.Repeat("r", len(header)-2) + "}\n\\toprule\n")
	for i, h := range header {
		if i > 0 {
			b.WriteString(" & ")
		}
		b.WriteString(texEscape(h))
	}
	b.WriteString(" \\\\\n\\midrule\n")
	for _, row := range body {
		for i, c := range row {
			if i > 0 {
				b.WriteString(" & ")
			}
			b.WriteString(texEscape(c))
		}
		b.WriteString(" \\\\\n")
	}
	b.WriteString("\\bottomrule\n\\end{tabular}\n")
	b.WriteString("\\caption{Accuracy (95\\% bootstrap CI), completion tokens and latency per model and dataset")
	if r.Baseline != "" {
		b.WriteString("; token reduction and accuracy change against " + texEscape(r.Baseline))
	}
	b.WriteString(".}\n\\label{tab:acoer-bench}\n\\end{table}\n")
	for i, sec := range budgetSections(r) {
		if len(sec.Body) == 0 {
			continue
		}
		b.WriteString("\n\\begin{table}[t]\n\\centering\n\\small\n")
		b.WriteString("\\begin{tabular}{ll" + strings.Repeat("r", len(sec.Header)-2) + "}\n\\toprule\n")
		texRow(&b, sec.Header)
		b.WriteString("\\midrule\n")
		for _, row := range sec.Body {
			texRow(&b, row)
		}
		b.WriteString("\\bottomrule\n\\end{tabular}\n")
		fmt.Fprintf(&b, "\\caption{%s: %s.}\n\\label{tab:acoer-bench-budgets-%d}\n\\end{table}\n", texEscape(sec.Title), texEscape(sec.Note), i+1)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func texRow(b *strings.Builder, cells []string) {
	for i, c := range cells {
		if i > 0 {
			b.WriteString(" & ")
		}
		b.WriteString(texEscape(c))
	}
	b.WriteString(" \\\\\n")
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
