package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/acoer/acoer-bench/metrics"
)

// CompareRow is one dataset x decoding of a comparison of B against A.
type CompareRow struct {
	Dataset  string `json:"dataset"`
	Decoding string `json:"decoding"`
	A        string `json:"a"`
	B        string `json:"b"`
	// AccuracyA and AccuracyB are each side's accuracy (avg@k) over all its problems, TokensA and TokensB
	// its mean completion tokens; Change compares the problems both have.
	AccuracyA metrics.Interval `json:"accuracy_a"`
	AccuracyB metrics.Interval `json:"accuracy_b"`
	TokensA   float64          `json:"mean_tokens_a"`
	TokensB   float64          `json:"mean_tokens_b"`
	Change    *Comparison      `json:"change"`
	// TaskA and TaskB are each side's full task results (budget curves, overthinking, ...).
	TaskA *TaskResult `json:"task_a,omitempty"`
	TaskB *TaskResult `json:"task_b,omitempty"`
}

// CompareSide names one side of a comparison: a results directory and a model in it ("" = its only
// model, or its baseline when it has several and the other side names the rest).
type CompareSide struct {
	Dir   *Dir
	Model string
}

// Compare compares side b against side a on every dataset x decoding both have, pairing problems by id:
// accuracy change (points), token reduction and latency change, with paired bootstrap intervals
// (metrics.Aggregate and metrics.CompareRecords).
func Compare(a, b CompareSide) ([]CompareRow, error) {
	for _, s := range []*CompareSide{&a, &b} {
		if !s.Dir.HasSamples() {
			return nil, fmt.Errorf("%s: no samples (compare pairs problems, it needs the samples/ directory)", s.Dir.Path)
		}
		if s.Model == "" {
			models := modelsOf(s.Dir)
			if len(models) != 1 {
				return nil, fmt.Errorf("%s has models %s: say which one", s.Dir.Path, strings.Join(models, ", "))
			}
			s.Model = models[0]
		}
		if !contains(modelsOf(s.Dir), s.Model) {
			return nil, fmt.Errorf("%s: no samples of model %q (models: %s)", s.Dir.Path, s.Model, strings.Join(modelsOf(s.Dir), ", "))
		}
	}
	cfg := a.Dir.Manifest.Config
	anA := newAnalyzer(cfg, nil, a.Dir.Tokenizer)
	cfgB := b.Dir.Manifest.Config
	anB := anA
	if b.Dir.Path != a.Dir.Path {
		anB = newAnalyzer(cfgB, nil, b.Dir.Tokenizer)
	}
	var rows []CompareRow
	for _, d := range cfg.Datasets {
		for _, dec := range cfg.Decoding {
			sa := a.Dir.Samples[TaskKey{a.Model, d.Name, dec.Name}]
			sb := b.Dir.Samples[TaskKey{b.Model, d.Name, dec.Name}]
			if len(sa) == 0 || len(sb) == 0 {
				continue
			}
			la, lb := a.Model, b.Model
			if a.Dir.Path != b.Dir.Path {
				la, lb = a.Dir.Path+":"+a.Model, b.Dir.Path+":"+b.Model
			}
			ta, err := taskResult(TaskKey{a.Model, d.Name, dec.Name}, d, dec, sa, cfg, anA)
			if err != nil {
				return nil, err
			}
			// B's own dataset and decoding entries (same names), in case its directory's differ.
			db, decB := d, dec
			if x, ok := cfgB.Dataset(d.Name); ok {
				db = x
			}
			if x, ok := cfgB.DecodingByName(dec.Name); ok {
				decB = x
			}
			bcfg := *cfgB
			bcfg.Seed, bcfg.StrictThink = cfg.Seed, cfg.StrictThink // one seed and one think grading for both sides
			tb, err := taskResult(TaskKey{b.Model, d.Name, dec.Name}, db, decB, sb, &bcfg, anB)
			if err != nil {
				return nil, err
			}
			change, err := compareSamples(la, sa, sb, cfg, b.Model+"/"+d.Name+"/"+dec.Name) // the label the report uses: the same intervals
			if err != nil {
				return nil, fmt.Errorf("%s/%s: %w", d.Name, dec.Name, err)
			}
			rows = append(rows, CompareRow{Dataset: d.Name, Decoding: dec.Name, A: la, B: lb,
				AccuracyA: ta.Accuracy, AccuracyB: tb.Accuracy, TokensA: ta.Length.All.Mean, TokensB: tb.Length.All.Mean,
				Change: change, TaskA: &ta, TaskB: &tb})
		}
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("no dataset x decoding in common between %s and %s", a.Model, b.Model)
	}
	return rows, nil
}

func modelsOf(d *Dir) []string {
	var out []string
	for _, m := range d.Manifest.Config.Models {
		for k := range d.Samples {
			if k.Model == m.Name {
				out = append(out, m.Name)
				break
			}
		}
	}
	return out
}

// WriteCompare renders comparison rows as a table, md or json.
func WriteCompare(w io.Writer, rows []CompareRow, format string) error {
	header := []string{"Dataset", "Decoding", "Paired n", "Accuracy A %", "Accuracy B %", "Δ accuracy pp [95% CI]", "Relative %",
		"Tokens A", "Tokens B", "Token reduction % [CI]", "Reduction, commonly solved %", "Correct & shorter %", "Latency change % [CI]", "p", "Test", "AES"}
	var body [][]string
	for _, r := range rows {
		c := r.Change
		common, shorter := noValue, ivPctShort(c.CorrectAndShorter)
		if c.ReductionCommonlySolved != nil {
			common = reductionCell(c.ReductionCommonlySolved.AllCorrect)
		}
		body = append(body, []string{r.Dataset, r.Decoding, strconv.Itoa(c.Problems), ivPct(r.AccuracyA), ivPct(r.AccuracyB),
			ivSigned(c.Accuracy.DeltaCI, 1), relPct(c.Accuracy.RelativePct), num(r.TokensA, 1), num(r.TokensB, 1),
			reductionPct(c.Tokens), common, shorter, ivSigned(c.Latency.ChangePct, 1), pValue(c), c.Accuracy.Test.Method, aes(c)})
	}
	eh := append([]string{"Dataset", "Decoding", "Side"}, engineHeader...)
	var eb [][]string
	for _, r := range rows {
		if r.TaskA != nil && r.TaskB != nil {
			eb = append(eb, append([]string{r.Dataset, r.Decoding, "A"}, engineCells(r.TaskA.Throughput)...),
				append([]string{r.Dataset, r.Decoding, "B"}, engineCells(r.TaskB.Throughput)...))
		}
	}
	sides := compareResults(rows)
	switch format {
	case "table", "":
		fmt.Fprintf(w, "B = %s against A = %s\n", rows[0].B, rows[0].A)
		if err := writeRowsTable(w, header, body); err != nil {
			return err
		}
		for _, sec := range analysisSections(sides) {
			fmt.Fprintf(w, "\n%s: %s\n", sec.Title, sec.Note)
			if err := writeRowsTable(w, sec.Header, sec.Body); err != nil {
				return err
			}
		}
		fmt.Fprintf(w, "\nEngine\n")
		return writeRowsTable(w, eh, eb)
	case "md", "markdown":
		var b strings.Builder
		fmt.Fprintf(&b, "**B** = %s against **A** = %s\n\n", mdEscape(rows[0].B), mdEscape(rows[0].A))
		mdTable(&b, header, body)
		for _, sec := range analysisSections(sides) {
			fmt.Fprintf(&b, "\n### %s\n\n_%s._\n\n", mdEscape(sec.Title), mdEscape(sec.Note))
			mdTable(&b, sec.Header, sec.Body)
		}
		b.WriteString("\n### Engine\n\n")
		mdTable(&b, eh, eb)
		b.WriteString("\n" + engineNote)
		_, err := io.WriteString(w, b.String())
		return err
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	return fmt.Errorf("unknown compare format %q (want table, md or json)", format)
}

// compareResults lays comparison rows out as results with A as the baseline (tasks labelled with each
// side's name, B's carrying the comparison), so the analysis sections of the report render them.
func compareResults(rows []CompareRow) *Results {
	r := &Results{Baseline: rows[0].A}
	for _, row := range rows {
		if row.TaskA == nil || row.TaskB == nil {
			continue
		}
		a, b := *row.TaskA, *row.TaskB
		a.Model, b.Model = row.A, row.B
		a.VsBaseline, b.VsBaseline = nil, row.Change
		r.Tasks = append(r.Tasks, a, b)
	}
	return r
}
