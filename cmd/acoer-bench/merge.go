package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/acoer/acoer-bench/bench"
)

const mergeExamples = `  # shards written by run --shard i/3 --out results/exp1 (results/exp1/shard-{0,1,2}-of-3)
  acoer-bench merge --out results/exp1-merged results/exp1
  acoer-bench merge --out merged /data/exp1/shard-0-of-2 /data/exp1/shard-1-of-2`

// cmdMerge merges shard outputs into one results directory equal to an unsharded run.
func cmdMerge(ctx context.Context, e env) error {
	fs := newFlags("merge", "--out DIR [--allow-partial] DIR...", mergeExamples, e.stderr)
	out := fs.String("out", "", "new results directory to write (required)")
	partial := fs.Bool("allow-partial", false, "merge even when shards are missing (the results say which are there)")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() == 0 {
		return badInputf("usage: acoer-bench merge --out DIR DIR...")
	}
	res, err := bench.Merge(*out, fs.Args(), bench.MergeOptions{AllowPartial: *partial, Revision: revision()})
	if err != nil {
		return badInput(err)
	}
	if err := bench.WriteReport(e.stdout, res, "table", ""); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\nmerged %d shard(s) into %s\nreport: %s\n", len(res.Provenance.Shards), *out, filepath.Join(*out, "report.html"))
	return nil
}
