package main

import (
	"context"
	"errors"
	"flag"
	"strconv"

	"github.com/acoer/acoer-bench/bench"
)

const gateExamples = `  # the gates of the config the results were run with
  acoer-bench gate --results results/exp1

  # explicit limits (replace the config's gates): no more tokens, at most 1 point of accuracy lost
  acoer-bench gate --results results/exp1 --baseline base --candidate trained \
      --max-token-increase 0 --max-accuracy-drop 1

  # the gates of another config file, as Markdown for a GitHub job summary
  acoer-bench gate --results results/exp1 --config ci-gates.yaml --format md >> "$GITHUB_STEP_SUMMARY"`

// cmdGate checks token and accuracy gates: exit 0 when all hold, 1 when one fails, 2 on bad input.
func cmdGate(ctx context.Context, e env) error {
	fs := newFlags("gate", "[--results DIR] [--baseline NAME] [--candidate NAME[,NAME]] [--max-token-increase PCT] [--max-accuracy-drop PP] [--per-dataset] [--config FILE] [--format text|md]", gateExamples, e.stderr)
	dir := fs.String("results", "results", "results directory")
	baseline := fs.String("baseline", "", "baseline model (default: the config's baseline)")
	candidate := fs.String("candidate", "", "candidate model(s), comma-separated (default: the gates' candidates, else every other model)")
	maxTok := fs.String("max-token-increase", "", "limit on (mean tokens / baseline mean tokens - 1) * 100; negative demands a reduction, e.g. -20")
	maxDrop := fs.String("max-accuracy-drop", "", "limit on baseline accuracy - candidate accuracy, in percentage points")
	perDataset := fs.Bool("per-dataset", false, "apply --max-token-increase / --max-accuracy-drop to every dataset as well as overall")
	config := fs.String("config", "", "take the gates (and baseline) from this config file instead of the results' config")
	format := fs.String("format", "text", "text or md (Markdown, for a CI job summary)")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return badInputf("unexpected arguments %q", fs.Args())
	}
	if *format != "text" && *format != "md" {
		return badInputf("--format %q: want text or md", *format)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	d, err := bench.OpenDir(*dir)
	if err != nil {
		return badInput(err)
	}
	gates := (*bench.Gates)(nil)
	base := *baseline
	if d.Results != nil {
		gates = d.Results.Gates
	} else if d.Manifest != nil {
		gates = d.Manifest.Config.Gates
	}
	if *config != "" {
		cfg, err := bench.LoadConfig(*config)
		if err != nil {
			return badInput(err)
		}
		gates = cfg.Gates
		if base == "" {
			base = cfg.Baseline
		}
	}
	if set["max-token-increase"] || set["max-accuracy-drop"] {
		l := bench.GateLimits{}
		for name, dst := range map[string]**float64{"max-token-increase": &l.MaxTokenIncreasePct, "max-accuracy-drop": &l.MaxAccuracyDropPP} {
			if !set[name] {
				continue
			}
			s := *maxTok
			if name == "max-accuracy-drop" {
				s = *maxDrop
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || v != v {
				return badInputf("--%s %q: want a number", name, s)
			}
			*dst = &v
		}
		gates = &bench.Gates{Overall: &l}
		if *perDataset {
			gates.PerDataset = &l
		}
	} else if *perDataset {
		return badInputf("--per-dataset goes with --max-token-increase / --max-accuracy-drop")
	}
	res, err := d.Recompute(base)
	if err != nil {
		return badInput(err)
	}
	checks, err := bench.EvaluateGates(res, gates, benchSplitList(*candidate))
	if err != nil {
		var ge *bench.GateInputError
		if errors.As(err, &ge) || errors.Is(err, bench.ErrNoGates) {
			return badInput(err)
		}
		return err
	}
	if err := bench.WriteGates(e.stdout, checks, res.Baseline, *format); err != nil {
		return err
	}
	if !bench.GatesPass(checks) {
		return errGateFailed
	}
	return nil
}
