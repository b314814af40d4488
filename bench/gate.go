package bench

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
)

// ErrNoGates is returned when neither the config nor the flags define a gate.
var ErrNoGates = errors.New("no gates defined (set gates: in the config, or --max-token-increase / --max-accuracy-drop)")

// GateCheck is one gate's outcome.
type GateCheck struct {
	Candidate string `json:"candidate"`
	Decoding  string `json:"decoding"`
	// Scope is "overall" or a dataset name.
	Scope string `json:"scope"`
	// Metric is "token_increase_pct" or "accuracy_drop_pp".
	Metric string  `json:"metric"`
	Value  float64 `json:"value"`
	Limit  float64 `json:"limit"`
	Pass   bool    `json:"pass"`
	// Interval is the value's 95% interval (informational: the verdict uses the point estimate).
	Lo, Hi float64 `json:"-"`
	Note   string  `json:"note,omitempty"`
}

// GateInputError marks bad gate input (exit 2): unknown models, no comparison possible.
type GateInputError struct{ Msg string }

func (e *GateInputError) Error() string { return e.Msg }

// EvaluateGates checks every gate of g for each candidate against the baseline in r (whose comparisons
// must be against that baseline: use Dir.Recompute for another one). candidates "" = g.Candidates, else
// every model but the baseline.
func EvaluateGates(r *Results, g *Gates, candidates []string) ([]GateCheck, error) {
	if g == nil || (g.Overall == nil && g.PerDataset == nil && len(g.Datasets) == 0) {
		return nil, ErrNoGates
	}
	if r.Baseline == "" {
		return nil, &GateInputError{"the results have no baseline (set baseline: in the config or pass --baseline)"}
	}
	models := r.Models()
	if !contains(models, r.Baseline) {
		return nil, &GateInputError{fmt.Sprintf("baseline %q has no results (models: %s)", r.Baseline, strings.Join(models, ", "))}
	}
	if len(candidates) == 0 {
		candidates = g.Candidates
	}
	if len(candidates) == 0 {
		for _, m := range models {
			if m != r.Baseline {
				candidates = append(candidates, m)
			}
		}
	}
	if len(candidates) == 0 {
		return nil, &GateInputError{"no candidate model besides the baseline"}
	}
	var out []GateCheck
	for _, c := range candidates {
		if c == r.Baseline {
			return nil, &GateInputError{fmt.Sprintf("candidate %q is the baseline", c)}
		}
		if !contains(models, c) {
			return nil, &GateInputError{fmt.Sprintf("candidate %q has no results (models: %s)", c, strings.Join(models, ", "))}
		}
		if g.Overall != nil {
			found := false
			for _, o := range r.Overall {
				if o.Model != c {
					continue
				}
				found = true
				if o.VsBaseline == nil {
					return nil, &GateInputError{fmt.Sprintf("candidate %q (%s): no comparison with the baseline", c, o.Decoding)}
				}
				out = append(out, limitChecks(c, o.Decoding, "overall", o.VsBaseline, *g.Overall)...)
			}
			if !found {
				return nil, &GateInputError{fmt.Sprintf("candidate %q has no overall results", c)}
			}
		}
		for _, t := range r.Tasks {
			if t.Model != c {
				continue
			}
			l := g.PerDataset
			if dl, ok := g.Datasets[t.Dataset]; ok {
				l = &dl
			}
			if l == nil {
				continue
			}
			if t.VsBaseline == nil {
				return nil, &GateInputError{fmt.Sprintf("candidate %q dataset %q: no comparison with the baseline", c, t.Dataset)}
			}
			checks := limitChecks(c, t.Decoding, t.Dataset, t.VsBaseline, *l)
			if b, ok := r.Task(r.Baseline, t.Dataset, t.Decoding); !t.Complete || (ok && !b.Complete) {
				for i := range checks {
					checks[i].Note = strings.TrimPrefix(checks[i].Note+"; incomplete run", "; ")
				}
			}
			out = append(out, checks...)
		}
	}
	for name := range g.Datasets {
		found := false
		for _, t := range r.Tasks {
			found = found || t.Dataset == name
		}
		if !found {
			return nil, &GateInputError{fmt.Sprintf("gate dataset %q has no results", name)}
		}
	}
	return out, nil
}

func limitChecks(cand, dec, scope string, c *Comparison, l GateLimits) []GateCheck {
	var out []GateCheck
	if p := l.MaxTokenIncreasePct; p != nil {
		// The token increase in percent is -100 x the token reduction (1 - L/L_base).
		r := c.Tokens.Reduction
		g := GateCheck{Candidate: cand, Decoding: dec, Scope: scope, Metric: "token_increase_pct", Value: -100 * r.Estimate, Limit: *p,
			Lo: -100 * r.High, Hi: -100 * r.Low}
		if c.Problems == 0 || c.Tokens.BaseMean == 0 {
			g.Value, g.Lo, g.Hi = math.NaN(), math.NaN(), math.NaN()
			g.Note = "no paired problems or zero baseline tokens"
		}
		g.Pass = !math.IsNaN(g.Value) && g.Value <= *p
		out = append(out, g)
	}
	if p := l.MaxAccuracyDropPP; p != nil {
		d := c.Accuracy.DeltaCI
		g := GateCheck{Candidate: cand, Decoding: dec, Scope: scope, Metric: "accuracy_drop_pp", Value: -c.Accuracy.DeltaPP, Limit: *p,
			Lo: -d.High, Hi: -d.Low}
		if c.Problems == 0 {
			g.Value, g.Lo, g.Hi = math.NaN(), math.NaN(), math.NaN()
			g.Note = "no paired problems"
		}
		g.Pass = !math.IsNaN(g.Value) && g.Value <= *p
		out = append(out, g)
	}
	return out
}

// GatesPass reports whether every check passed.
func GatesPass(checks []GateCheck) bool {
	for _, c := range checks {
		if !c.Pass {
			return false
		}
	}
	return len(checks) > 0
}

// WriteGates prints the checks as text or Markdown (for a CI job summary).
func WriteGates(w io.Writer, checks []GateCheck, baseline, format string) error {
	verdict := func(p bool) string {
		if p {
			return "PASS"
		}
		return "FAIL"
	}
	var b strings.Builder
	switch format {
	case "md", "markdown":
		status := "all gates hold"
		if !GatesPass(checks) {
			status = "a gate failed"
		}
		fmt.Fprintf(&b, "### acoer-bench gates vs %s: %s\n\n", mdEscape(baseline), status)
		b.WriteString("| Candidate | Decoding | Scope | Metric | Value | 95% CI | Limit | Verdict |\n| --- | --- | --- | --- | ---: | ---: | ---: | --- |\n")
		for _, c := range checks {
			v := verdict(c.Pass)
			if c.Pass {
				v = "✅ " + v
			} else {
				v = "❌ " + v
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | [%s, %s] | ≤ %s | %s |\n", mdEscape(c.Candidate), mdEscape(c.Decoding), mdEscape(c.Scope),
				c.Metric, fnum(c.Value), fnum(c.Lo), fnum(c.Hi), fnum(c.Limit), v)
		}
	case "text", "":
		wName, wScope := 0, 8
		for _, c := range checks {
			wName = max(wName, len(c.Candidate)+1+len(c.Decoding))
			wScope = max(wScope, len(c.Scope))
		}
		for _, c := range checks {
			fmt.Fprintf(&b, "%s  %-*s %-*s %-18s value %8s  (95%% CI %s..%s)  limit <= %s", verdict(c.Pass), wName, c.Candidate+"/"+c.Decoding,
				wScope, c.Scope, c.Metric, fnum(c.Value), fnum(c.Lo), fnum(c.Hi), fnum(c.Limit))
			if c.Note != "" {
				b.WriteString("  (" + c.Note + ")")
			}
			b.WriteString("\n")
		}
		if GatesPass(checks) {
			fmt.Fprintf(&b, "all %d gate checks hold (baseline %s)\n", len(checks), baseline)
		} else {
			n := 0
			for _, c := range checks {
				if !c.Pass {
					n++
				}
			}
			fmt.Fprintf(&b, "%d of %d gate checks failed (baseline %s)\n", n, len(checks), baseline)
		}
	default:
		return fmt.Errorf("unknown gate format %q (want text or md)", format)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func fnum(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	s := fmt.Sprintf("%.2f", v)
	if s == "-0.00" { // -0 or a tiny negative: no sign on a value that prints as zero
		s = "0.00"
	}
	return s
}
