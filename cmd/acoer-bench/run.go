package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/acoer/acoer-bench/datasets"
	"github.com/acoer/acoer-bench/runner"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/acoer/acoer-bench/bench"
)

const runExamples = `  # the embedded default (its two seeded test models are built into the user cache on first use)
  acoer-bench run --out results/default

  # a real config, two models only, first 50 problems of each dataset
  acoer-bench run --config my-bench.yaml --out results/exp1 --models base,trained --limit 50

  # shard 2 of 8 (writes results/exp1/shard-2-of-8); merge the shards afterwards
  acoer-bench run --config my-bench.yaml --out results/exp1 --shard 2/8
  acoer-bench merge --out results/exp1-all results/exp1

  # inside a Kubernetes Indexed Job (JOB_COMPLETION_INDEX) or a Slurm array (SLURM_ARRAY_TASK_ID)
  acoer-bench run --config my-bench.yaml --out /data/exp1 --shard auto/8`

// cmdRun runs a benchmark config: generate, grade, store, then results.json, report.md, report.html.
func cmdRun(ctx context.Context, e env) error {
	fs := newFlags("run", "[--config FILE] [--out DIR] [--limit N] [--models a,b] [--datasets x,y] [--shard i/n|auto[/n]] [--force]", runExamples, e.stderr)
	config := fs.String("config", "benchmarks.yaml", "benchmark config; when the default is absent, the copy built into the binary is used")
	out := fs.String("out", "results", "results directory (created; an existing one is resumed)")
	limit := fs.Int("limit", 0, "at most N problems per dataset (a prefix of the config's selection; 0 = all)")
	models := fs.String("models", "", "comma-separated model names to run (default: all in the config)")
	dsets := fs.String("datasets", "", "comma-separated dataset names to run (default: all in the config)")
	shard := fs.String("shard", "", "run problems i, i+n, i+2n, ... only: i/n, or auto[/n] (index from JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID, count from /n, ACOER_SHARDS or SLURM_ARRAY_TASK_COUNT); writes OUT/shard-i-of-n")
	force := fs.Bool("force", false, "discard samples written with a different config or model file instead of refusing")
	ortLib := fs.String("ort-lib", "", "ONNX Runtime library (default: ACOER_ORT_LIB, then the one make setup installed)")
	printConfig := fs.Bool("print-default-config", false, "print the embedded default config and exit")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return badInputf("unexpected arguments %q", fs.Args())
	}
	if *printConfig {
		_, err := e.stdout.Write(bench.DefaultConfigYAML())
		return err
	}
	configSet := false
	fs.Visit(func(f *flag.Flag) { configSet = configSet || f.Name == "config" })

	sh, err := bench.ParseShard(*shard, os.Getenv)
	if err != nil {
		return badInput(err)
	}
	var cfg *bench.Config
	if _, statErr := os.Stat(*config); statErr != nil && !configSet && errors.Is(statErr, os.ErrNotExist) {
		wd, err := os.Getwd()
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stderr, "acoer-bench run: no benchmarks.yaml here: using the embedded default (acoer-bench run --print-default-config shows it)")
		cfg, err = bench.LoadDefaultConfig(wd, *out)
		if err != nil {
			return badInput(err)
		}
	} else {
		cfg, err = bench.LoadConfig(*config)
		if err != nil {
			return badInput(err)
		}
	}
	deps, closeDeps, err := benchDeps(runWiring{ORTLib: *ortLib, Log: e.stderr})
	if err != nil {
		return err
	}
	defer closeDeps()
	deps.Revision = revision()
	opt := bench.RunOptions{Out: *out, Limit: *limit, Models: benchSplitList(*models), Datasets: benchSplitList(*dsets), Shard: sh, Force: *force,
		Warn: prefixWriter{w: e.stderr, prefix: "acoer-bench run: "}}
	if !*quiet {
		opt.Progress = e.stderr
		opt.Terminal = benchIsTerminal(e.stderr)
	}
	sum, err := bench.Run(ctx, cfg, opt, deps)
	var pe *bench.PlanError
	if errors.As(err, &pe) && len(pe.Problems) > 1 {
		// Every problem on its own line; the last line says how many and that nothing was written.
		for _, p := range pe.Problems {
			fmt.Fprintf(e.stderr, "acoer-bench run: %s\n", p)
		}
		return badInputf("%d problems found before any work; nothing was written to %s", len(pe.Problems), *out)
	}
	if err != nil {
		switch {
		case errors.Is(err, bench.ErrConfigChanged), errors.Is(err, bench.ErrBadPlan):
			return badInput(err)
		case errors.Is(err, bench.ErrInterrupted):
			return err
		}
		if errors.Is(err, bench.ErrBadOption) || runBadInput(err) {
			return badInput(err)
		}
		return err
	}
	if err := bench.WriteReport(e.stdout, sum.Results, "table", ""); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\n%d samples generated, %d already there\nresults: %s\nreport:  %s\n         %s\n",
		sum.Generated, sum.Skipped, filepath.Join(sum.Dir, bench.ResultsFile), filepath.Join(sum.Dir, "report.html"), filepath.Join(sum.Dir, "report.md"))
	if sh.Count > 1 {
		fmt.Fprintf(e.stdout, "this was shard %s: when all shards are done, run  acoer-bench merge --out DIR %s\n", sh, *out)
	}
	return nil
}

// runWiring carries the CLI's options into benchDeps.
type runWiring struct {
	ORTLib string
	Log    io.Writer
}

// prefixWriter writes each Write (one line) with a prefix.
type prefixWriter struct {
	w      io.Writer
	prefix string
}

func (p prefixWriter) Write(b []byte) (int, error) {
	if _, err := io.WriteString(p.w, p.prefix); err != nil {
		return 0, err
	}
	return p.w.Write(b)
}

func benchSplitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// isTerminal reports whether w is a character device (a terminal), without golang.org/x/term.
func benchIsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// runBadInput reports whether a run failed on something the user gave (a model directory, a provider
// name, a dataset file or spec) rather than at run time: exit 2, as generate and datasets show do.
func runBadInput(err error) bool {
	var pe *datasets.ParseError
	return errors.Is(err, runner.ErrBadModelDir) || errors.Is(err, runner.ErrBadProvider) ||
		errors.As(err, &pe) || errors.Is(err, datasets.ErrUnknown) || errors.Is(err, datasets.ErrBadSpec) ||
		errors.Is(err, datasets.ErrNotCached) || errors.Is(err, iofs.ErrNotExist)
}
