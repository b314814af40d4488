package main

import (
	"context"
	"os"

	"github.com/acoer/acoer-bench/bench"
)

const compareExamples = `  # two models of one results directory: trained against base
  acoer-bench compare --results results/exp1 base trained

  # the same model (or each dir's only model) across two results directories: B against A
  acoer-bench compare results/before results/after
  acoer-bench compare --a-model base --b-model trained results/run1 results/run2 --format md`

// cmdCompare compares B against A per dataset: accuracy change, token reduction, latency change.
func cmdCompare(ctx context.Context, e env) error {
	fs := newFlags("compare", "[--results DIR] [--format table|md|json] A B   (A, B: two results dirs, or two model names in --results)", compareExamples, e.stderr)
	dir := fs.String("results", "results", "results directory when A and B are model names")
	aModel := fs.String("a-model", "", "model of results dir A (default: its only model)")
	bModel := fs.String("b-model", "", "model of results dir B (default: its only model, else A's model)")
	format := fs.String("format", "table", "table, md or json")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return badInputf("want two arguments: A B (results dirs or model names)")
	}
	a, b := fs.Arg(0), fs.Arg(1)
	var sa, sb bench.CompareSide
	if benchIsDir(a) && benchIsDir(b) {
		da, err := bench.OpenDir(a)
		if err != nil {
			return badInput(err)
		}
		db, err := bench.OpenDir(b)
		if err != nil {
			return badInput(err)
		}
		mb := *bModel
		if mb == "" && *aModel != "" {
			mb = *aModel
		}
		sa, sb = bench.CompareSide{Dir: da, Model: *aModel}, bench.CompareSide{Dir: db, Model: mb}
	} else {
		d, err := bench.OpenDir(*dir)
		if err != nil {
			return badInput(err)
		}
		sa, sb = bench.CompareSide{Dir: d, Model: a}, bench.CompareSide{Dir: d, Model: b}
	}
	rows, err := bench.Compare(sa, sb)
	if err != nil {
		return badInput(err)
	}
	if err := bench.WriteCompare(e.stdout, rows, *format); err != nil {
		return badInput(err)
	}
	return nil
}

func benchIsDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
