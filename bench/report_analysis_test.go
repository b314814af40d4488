package bench

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReportAnalysisSections(t *testing.T) {
	res, _ := reportFixture(t)
	for _, format := range []string{"table", "md", "latex"} {
		var b bytes.Buffer
		if err := WriteReport(&b, res, format, ""); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		out := b.String()
		want := []string{"Accuracy at token budgets (sampled)", "90% of final at", "1500", "1k", "2k"} // 1500 is no whole thousand
		if format != "latex" {
			want = append(want, "Reasoning", "Fair length comparisons against base", "base pass rate", "Q5 (", "p99")
		}
		for _, w := range want {
			if format == "latex" {
				w = texEscape(w)
			}
			if !strings.Contains(out, w) {
				t.Errorf("%s report lacks %q", format, w)
			}
		}
	}
	// The budgets format: one CSV row per task and budget, the last of each task its accuracy.
	var b bytes.Buffer
	if err := WriteReport(&b, res, "budgets", ""); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, tr := range res.Tasks {
		n += len(tr.BudgetCurve)
	}
	if len(rows) != 1+n || strings.Join(rows[0], ",") != strings.Join(BudgetsCSVHeader, ",") || n != 2*9 { // 16 ... 1024, 1500, 2048
		t.Fatalf("budgets csv: %d rows for %d points: %v", len(rows), n, rows[0])
	}
	if last := rows[n/2]; last[3] != "2048" || last[4] != csvNum(res.Tasks[0].Accuracy.Estimate) {
		t.Errorf("budgets csv row at the limit %v, task accuracy %v", last, res.Tasks[0].Accuracy.Estimate)
	}
	// The main CSV has one cell per column, schema-3 columns included.
	b.Reset()
	if err := WriteReport(&b, res, "csv", ""); err != nil {
		t.Fatal(err)
	}
	rows, _ = csv.NewReader(&b).ReadAll()
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	trained := rows[2]
	if len(trained) != len(CSVHeader) || trained[col["outcome_efficiency"]] == "" || trained[col["reduction_commonly_solved"]] == "" ||
		trained[col["equal_spend_k_star"]] == "" || trained[col["tokens_to_95pct"]] == "" || rows[1][col["reduction_commonly_solved"]] != "" {
		t.Errorf("csv schema-3 cells: %v", trained)
	}
}

// A results.json of schema 2 is still read (gate and report use what it has); with the samples there,
// report and compare recompute it.
func TestReadResultsSchema2(t *testing.T) {
	dir := t.TempDir()
	res, _ := reportFixture(t)
	res.SchemaVersion = 2
	res.Tasks[0].BudgetCurve = nil
	if err := WriteResults(dir, res); err != nil {
		t.Fatal(err)
	}
	r, err := ReadResults(dir)
	if err != nil || r.SchemaVersion != 2 || len(r.Tasks) != 2 {
		t.Fatalf("schema 2: %v", err)
	}
	d, err := OpenDir(dir)
	if err != nil || d.Stale() {
		t.Fatalf("without samples a schema-2 directory is what it is: %v, stale %v", err, d != nil && d.Stale())
	}
	b, _ := json.Marshal(map[string]any{"schema_version": 9})
	os.WriteFile(filepath.Join(dir, ResultsFile), b, 0o644)
	if _, err := ReadResults(dir); err == nil || !strings.Contains(err.Error(), "schema_version 9, this binary reads 2 to 3") {
		t.Errorf("schema 9: %v", err)
	}
}

func TestCompareCarriesAnalyses(t *testing.T) {
	_, samples := reportFixture(t)
	cfg := mustConfig(t, "seed: 5\nmodels: [{name: base, path: /m/base}, {name: trained, path: /m/trained}]\n"+
		"datasets: [{name: math500, kind: jsonl, path: m.jsonl, grader: math}]\n"+
		"decoding: [{name: sampled, temperature: 0.6, top_p: 0.95, samples: 4, max_new_tokens: 2048}]\n")
	d := &Dir{Path: "mem", Manifest: newManifest(cfg, "r"), Samples: samples,
		Tokenizer: func(ModelSpec) (TextDecoder, error) { return byteTok{}, nil }}
	rows, err := Compare(CompareSide{Dir: d, Model: "base"}, CompareSide{Dir: d, Model: "trained"})
	if err != nil {
		t.Fatal(err)
	}
	r := rows[0]
	if r.TaskA == nil || len(r.TaskA.BudgetCurve) == 0 || r.TaskB.OutcomeEfficiency == nil || r.Change.ReductionCommonlySolved == nil ||
		r.Change.EqualSpend == nil || len(r.Change.ReductionByLevel) == 0 {
		t.Fatalf("compare row lacks analyses: %+v", r)
	}
	var b bytes.Buffer
	if err := WriteCompare(&b, rows, "md"); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"Reduction, commonly solved %", "### Accuracy at token budgets (sampled)", "### Fair length comparisons against base"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("compare md lacks %q", w)
		}
	}
}
