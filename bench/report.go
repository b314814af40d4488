package bench

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// ReportFormats are the formats WriteReport renders (html: WriteHTML).
var ReportFormats = []string{"table", "md", "csv", "json", "latex", "html"}

// WriteReport renders results as a terminal table, GitHub Markdown, CSV, JSON or LaTeX.
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
	case "html":
		return WriteHTML(w, r, nil, title)
	}
	return fmt.Errorf("unknown report format %q (want %s)", format, strings.Join(ReportFormats, ", "))
}

func pct(f Float) string {
	if !f.OK() {
		return "–"
	}
	return strconv.FormatFloat(100*float64(f), 'f', 1, 64)
}

func num(f Float, prec int) string {
	if !f.OK() {
		return "–"
	}
	return strconv.FormatFloat(float64(f), 'f', prec, 64)
}

func signed(f Float, prec int) string {
	if !f.OK() {
		return "–"
	}
	return fmt.Sprintf("%+.*f", prec, float64(f))
}

// estPct formats an estimate of a share as "62.5 [55.0, 70.0]" percent.
func estPct(e Estimate) string {
	if !e.Value.OK() {
		return "–"
	}
	if !e.Lo.OK() || !e.Hi.OK() {
		return pct(e.Value)
	}
	return fmt.Sprintf("%s [%s, %s]", pct(e.Value), pct(e.Lo), pct(e.Hi))
}

// estSigned formats an estimate already in points/percent as "+1.2 [-0.5, +3.0]".
func estSigned(e Estimate, prec int) string {
	if !e.Value.OK() {
		return "–"
	}
	if !e.Lo.OK() || !e.Hi.OK() {
		return signed(e.Value, prec)
	}
	return fmt.Sprintf("%s [%s, %s]", signed(e.Value, prec), signed(e.Lo, prec), signed(e.Hi, prec))
}

// reductionPct formats a token reduction estimate (a share) as signed percent.
func reductionPct(e Estimate) string {
	s := Estimate{Value: e.Value * 100, Lo: e.Lo * 100, Hi: e.Hi * 100}
	return estSigned(s, 1)
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
	header = append(header, "Mean tokens", "Median", "Correct / incorrect", "Truncated %")
	if base {
		header = append(header, "Token reduction % [CI]", "Δ accuracy pp [CI]", "p")
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
		row = append(row, n, estPct(t.Accuracy))
		if k {
			pk, mk := "–", "–"
			if len(t.PassAtK) > 0 {
				last := t.PassAtK[len(t.PassAtK)-1]
				pk = fmt.Sprintf("%s (k=%d)", pct(last.Value), last.K)
			}
			if t.MajAtK != nil {
				mk = pct(*t.MajAtK)
			}
			row = append(row, pk, mk)
		}
		row = append(row, num(t.Length.Overall.Mean, 1), num(t.Length.Overall.Median, 0),
			num(t.Length.Correct.Mean, 1)+" / "+num(t.Length.Incorrect.Mean, 1), pct(t.TruncationRate))
		if base {
			if c := t.VsBaseline; c != nil {
				row = append(row, reductionPct(c.TokenReduction), estSigned(c.AccuracyChangePP, 1), num(c.PValue, 3))
			} else if t.Model == r.Baseline {
				row = append(row, "baseline", "baseline", "")
			} else {
				row = append(row, "–", "–", "–")
			}
		}
		row = append(row, num(t.Latency.TTFTMs.P50, 1), num(t.Latency.TotalMs.P50, 1), num(t.TokensPerSecond, 1))
		body = append(body, row)
	}
	return header, body
}

func writeTable(w io.Writer, r *Results) error {
	header, body := rows(r)
	return writeRowsTable(w, header, body)
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
	b.WriteString("\n## Provenance\n\n")
	fmt.Fprintf(&b, "- git revision: `%s`; config sha256: `%s`; seed: %d\n", mdEscape(r.Provenance.Revision), short(r.Provenance.ConfigHash), r.Provenance.Seed)
	for _, name := range r.Models() {
		m := r.Provenance.Models[name]
		fmt.Fprintf(&b, "- model %s: `%s` (model.onnx sha256 `%s`), provider %s, ONNX Runtime %s\n",
			mdEscape(name), mdEscape(m.Path), short(m.SHA256), mdEscape(m.Provider), mdEscape(m.ORTVersion))
	}
	for _, name := range sortedKeys(r.Provenance.Datasets) {
		d := r.Provenance.Datasets[name]
		fmt.Fprintf(&b, "- dataset %s: %s, template %s, grader %s, sha256 `%s`\n", mdEscape(name), mdEscape(d.Kind), mdEscape(d.Template), mdEscape(d.Grader), short(d.SHA256))
	}
	for _, d := range r.Provenance.Decoding {
		fmt.Fprintf(&b, "- decoding %s: %s\n", mdEscape(d.Name), mdEscape(decodingString(d)))
	}
	b.WriteString("\nIntervals are 95% percentile-bootstrap intervals over problems; p is the paired test against the baseline (exact McNemar for one sample per problem).\n")
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
	h := []string{"Model", "Decoding", "n", "Accuracy % [95% CI]", "Mean tokens", "Token reduction % [CI]", "Δ accuracy pp [CI]", "p"}
	var body [][]string
	for _, o := range r.Overall {
		row := []string{o.Model, o.Decoding, strconv.Itoa(o.Problems), estPct(o.Accuracy), num(o.MeanTokens, 1)}
		if c := o.VsBaseline; c != nil {
			row = append(row, reductionPct(c.TokenReduction), estSigned(c.AccuracyChangePP, 1), num(c.PValue, 3))
		} else {
			row = append(row, "–", "–", "–")
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

// CSVHeader is the stable column list of the CSV report (one row per model x dataset x decoding).
var CSVHeader = []string{"model", "dataset", "decoding", "benchmark", "n", "samples", "k", "complete",
	"accuracy", "accuracy_lo", "accuracy_hi", "pass_at_k", "maj_at_k",
	"mean_tokens", "median_tokens", "p90_tokens", "max_tokens", "mean_tokens_correct", "mean_tokens_incorrect",
	"truncation_rate", "think_unclosed_rate",
	"ttft_ms_p50", "ttft_ms_p90", "per_token_ms_p50", "total_ms_p50", "total_ms_p90", "tokens_per_second", "accuracy_per_1k_tokens",
	"baseline", "token_reduction", "token_reduction_lo", "token_reduction_hi",
	"accuracy_change_pp", "accuracy_change_pp_lo", "accuracy_change_pp_hi", "accuracy_change_rel_pct", "p_value",
	"latency_change_pct"}

func csvNum(f Float) string {
	if !f.OK() {
		return ""
	}
	return strconv.FormatFloat(float64(f), 'g', 8, 64)
}

func writeCSV(w io.Writer, r *Results) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, t := range r.Tasks {
		pk, mk := "", ""
		if len(t.PassAtK) > 0 {
			pk = csvNum(t.PassAtK[len(t.PassAtK)-1].Value)
		}
		if t.MajAtK != nil {
			mk = csvNum(*t.MajAtK)
		}
		row := []string{t.Model, t.Dataset, t.Decoding, t.Benchmark, strconv.Itoa(t.Problems), strconv.Itoa(t.Samples),
			strconv.Itoa(t.K), strconv.FormatBool(t.Complete),
			csvNum(t.Accuracy.Value), csvNum(t.Accuracy.Lo), csvNum(t.Accuracy.Hi), pk, mk,
			csvNum(t.Length.Overall.Mean), csvNum(t.Length.Overall.Median), csvNum(t.Length.Overall.P90), csvNum(t.Length.Overall.Max),
			csvNum(t.Length.Correct.Mean), csvNum(t.Length.Incorrect.Mean),
			csvNum(t.TruncationRate), csvNum(t.ThinkUnclosedRate),
			csvNum(t.Latency.TTFTMs.P50), csvNum(t.Latency.TTFTMs.P90), csvNum(t.Latency.PerTokenMs.P50),
			csvNum(t.Latency.TotalMs.P50), csvNum(t.Latency.TotalMs.P90), csvNum(t.TokensPerSecond), csvNum(t.AccuracyPer1kTokens)}
		if c := t.VsBaseline; c != nil {
			row = append(row, c.Baseline, csvNum(c.TokenReduction.Value), csvNum(c.TokenReduction.Lo), csvNum(c.TokenReduction.Hi),
				csvNum(c.AccuracyChangePP.Value), csvNum(c.AccuracyChangePP.Lo), csvNum(c.AccuracyChangePP.Hi),
				csvNum(c.AccuracyChangeRelPct), csvNum(c.PValue), csvNum(c.LatencyChangePct.Value))
		} else {
			row = append(row, "", "", "", "", "", "", "", "", "", "")
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// texEscape escapes LaTeX special characters.
func texEscape(s string) string {
	r := strings.NewReplacer(`\`, `\textbackslash{}`, "&", `\&`, "%", `\%`, "$", `\$`, "#", `\#`, "_", `\_`,
		"{", `\{`, "}", `\}`, "~", `\textasciitilde{}`, "^", `\textasciicircum{}`, "–", "--", "Δ", `$\Delta$`, "×", `$\times$`)
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
	_, err := io.WriteString(w, b.String())
	return err
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
