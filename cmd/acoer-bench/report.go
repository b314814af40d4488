package main

import (
	"context"
	"os"
	"strings"

	"github.com/acoer/acoer-bench/bench"
)

const reportExamples = `  acoer-bench report --results results/default                  # terminal table
  acoer-bench report --results results/exp1 --format md >> "$GITHUB_STEP_SUMMARY"
  acoer-bench report --results results/exp1 --format latex > table.tex   # \usepackage{booktabs}
  acoer-bench report --results results/exp1 --format csv > results.csv
  acoer-bench report --results results/exp1 --format html --baseline trained > report.html`

// cmdReport renders a results directory.
func cmdReport(ctx context.Context, e env) error {
	fs := newFlags("report", "[--results DIR] [--format table|md|csv|json|latex|html] [--baseline NAME] [--o FILE]", reportExamples, e.stderr)
	dir := fs.String("results", "results", "results directory (or its results.json)")
	format := fs.String("format", "table", "output format: "+strings.Join(bench.ReportFormats, ", "))
	baseline := fs.String("baseline", "", "compare against this model instead of the config's baseline (needs the samples)")
	title := fs.String("title", "", "report title (md, html)")
	outFile := fs.String("o", "", "write to FILE instead of stdout")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return badInputf("unexpected arguments %q", fs.Args())
	}
	if !benchContains(bench.ReportFormats, *format) && *format != "markdown" {
		return badInputf("--format %q: want %s", *format, strings.Join(bench.ReportFormats, ", "))
	}
	var res *bench.Results
	var samples map[bench.TaskKey][]bench.Sample
	if st, err := os.Stat(*dir); err == nil && !st.IsDir() {
		// A bare results.json: no samples.
		if *baseline != "" {
			return badInputf("--baseline needs the results directory with its samples, not %s", *dir)
		}
		if res, err = bench.ReadResults(*dir); err != nil {
			return badInput(err)
		}
	} else {
		d, err := bench.OpenDir(*dir)
		if err != nil {
			return badInput(err)
		}
		if d.Results != nil && *baseline == "" && !d.Stale() {
			res = d.Results // as the run wrote it (recomputing regrades the budget curves)
		} else if res, err = d.Recompute(*baseline); err != nil {
			return badInput(err)
		}
		samples = d.Samples
	}
	w := e.stdout
	if *outFile != "" {
		f, err := os.Create(*outFile)
		if err != nil {
			return badInput(err)
		}
		defer f.Close()
		w = f
	}
	if *format == "html" {
		return bench.WriteHTML(w, res, samples, *title)
	}
	return bench.WriteReport(w, res, *format, *title)
}

func benchContains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
