package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/acoer/acoer-bench/datasets"
	"github.com/acoer/acoer-bench/runner"
)

// ErrInterrupted wraps the error of a run stopped by its context; the samples written so far are kept.
var ErrInterrupted = errors.New("interrupted")

// interrupted words a stopped run for its user: "interrupted (samples so far are kept; ...)", without
// "context canceled" (a Ctrl-C or SIGTERM); another cause (a deadline) is named.
func interrupted(cause error) error {
	const keep = "samples so far are kept; run again with the same --out to resume"
	if errors.Is(cause, context.Canceled) {
		return fmt.Errorf("%w (%s)", ErrInterrupted, keep)
	}
	return fmt.Errorf("%w: %v (%s)", ErrInterrupted, cause, keep)
}

// ErrBadOption marks a run option that does not fit the config (an unknown model or dataset name).
var ErrBadOption = errors.New("bad option")

// buildSeeded builds each planned seeded model (ModelSpec.Seeded) whose directory is missing, saying so
// on opt.Warn. A model directory that another run built meanwhile is used as it is.
func buildSeeded(cfg *Config, models []string, opt RunOptions, deps Deps) error {
	for _, name := range models {
		m, _ := cfg.Model(name)
		if m.Seeded == nil || deps.BuildSeeded == nil {
			continue
		}
		if _, err := os.Stat(m.Path); err == nil || !errors.Is(err, os.ErrNotExist) {
			continue
		}
		s := m.Seeded
		if opt.Warn != nil {
			bias := ""
			if s.EOSBias != 0 {
				bias = fmt.Sprintf(", EOS bias %g", s.EOSBias)
			}
			fmt.Fprintf(opt.Warn, "model %q: building its seeded test model (preset %s, seed %d%s: random weights, it shows the harness working and does not reason) into %s (first use)\n",
				name, s.Preset, s.Seed, bias, m.Path)
		}
		if err := deps.BuildSeeded(m.Path, *s); err != nil {
			if _, serr := os.Stat(m.Path); serr == nil {
				continue // built by a concurrent run (another shard) in the meantime
			}
			return fmt.Errorf("model %q: building its seeded test model into %s: %w", name, m.Path, err)
		}
	}
	return nil
}

// RunSummary says what a run did.
type RunSummary struct {
	// Dir is the results directory written (the shard's subdirectory when sharded).
	Dir       string
	Generated int
	Skipped   int
	Results   *Results
}

// Run generates, grades and stores every planned sample that the results directory does not have yet,
// then writes results.json, report.md and report.html there. A run stopped by ctx (or killed) resumes
// from the samples on disk when run again with the same options.
func Run(ctx context.Context, cfg *Config, opt RunOptions, deps Deps) (*RunSummary, error) {
	if deps.Open == nil || deps.Problems == nil || deps.Render == nil || deps.Grade == nil {
		return nil, errors.New("bench.Run: Deps.Open, Problems, Render and Grade are required")
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Host == "" {
		deps.Host, _ = os.Hostname()
	}
	models, err := pick("model", cfg.ModelNames(), opt.Models)
	if err != nil {
		return nil, err
	}
	var dnames []string
	for _, d := range cfg.Datasets {
		dnames = append(dnames, d.Name)
	}
	dsets, err := pick("dataset", dnames, opt.Datasets)
	if err != nil {
		return nil, err
	}
	if opt.Out == "" {
		return nil, errors.New("no output directory")
	}
	if err := buildSeeded(cfg, models, opt, deps); err != nil {
		return nil, err
	}
	// Everything that can be checked before the work is checked before anything is written: a broken
	// second model or an unknown template must not cost the first model's workload, nor leave a
	// manifest behind that makes the corrected run refuse.
	vp, err := validatePlan(cfg, models, dsets, opt, deps)
	if err != nil {
		return nil, err
	}
	dir := opt.Out
	if sd := opt.Shard.Dir(); sd != "" {
		dir = filepath.Join(opt.Out, sd)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	defer unlock()

	man := newManifest(cfg, deps.Revision)
	if old, err := ReadManifest(dir); err == nil {
		man, err = reconcile(dir, old, cfg, deps.Revision, opt.Force)
		if err != nil {
			return nil, err
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if s := opt.Shard.String(); s != "" && !contains(man.Shards, s) {
		man.Shards = append(man.Shards, s)
	}

	// The datasets' files against the manifest's record.
	plans := vp.plans
	for _, name := range dsets {
		if _, err := man.checkDataset(dir, name, vp.infos[name], cfg.ModelNames(), opt.Force); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "samples"), 0o755); err != nil {
		return nil, err
	}
	if err := man.write(dir); err != nil {
		return nil, err
	}
	prog := newProgress(opt.Progress, opt.Terminal, deps.Now)
	sum := &RunSummary{Dir: dir}
	expected := map[TaskKey]int{}
	for _, mname := range models {
		m, _ := cfg.Model(mname)
		if err := ctx.Err(); err != nil {
			return sum, interrupted(err)
		}
		// Count the work first so an already complete model is not even loaded.
		todo := 0
		existing := map[TaskKey][]Sample{}
		for _, dname := range dsets {
			for _, dec := range cfg.Decoding {
				k := TaskKey{mname, dname, dec.Name}
				s, err := ReadSamplesFile(SamplesPath(dir, k))
				if err != nil {
					return sum, err
				}
				existing[k] = s
				done := map[pairKey]bool{}
				for _, x := range s {
					done[x.key()] = true
				}
				for _, p := range plans[dname] {
					for j := 0; j < dec.Samples; j++ {
						expected[k]++
						if !done[pairKey{p.Problem.ID, j}] {
							todo++
						}
					}
				}
			}
		}
		// A complete model is not loaded, but a changed model file must still be caught.
		if rec, ok := man.Models[mname]; todo == 0 && ok && deps.ModelHashes != nil {
			h, data, err := deps.ModelHashes(m)
			if err != nil {
				return sum, fmt.Errorf("model %q: %w", mname, err)
			}
			if h != rec.SHA256 || (rec.DataSHA256 != "" && data != rec.DataSHA256) {
				todo = -1 // open it: checkModel refuses it, or with --force discards its samples
			}
		}
		if todo == 0 {
			for _, s := range existing {
				sum.Skipped += len(s)
			}
			continue
		}
		gen, err := deps.Open(ctx, m)
		if err != nil {
			return sum, fmt.Errorf("model %q: %w", mname, err)
		}
		changed, err := man.checkModel(dir, mname, gen.Info(), opt.Force)
		if err == nil && changed {
			err = man.write(dir)
		}
		if err == nil {
			for _, dname := range dsets {
				d, _ := cfg.Dataset(dname)
				for _, dec := range cfg.Decoding {
					var n, skipped int
					n, skipped, err = runTask(ctx, dir, cfg, m, d, dec, plans[dname], gen, deps, prog)
					sum.Generated += n
					sum.Skipped += skipped
					if err != nil {
						break
					}
				}
				if err != nil {
					break
				}
			}
		}
		cerr := gen.Close()
		if err != nil {
			if ctx.Err() != nil {
				return sum, interrupted(ctx.Err())
			}
			return sum, err
		}
		if cerr != nil {
			return sum, fmt.Errorf("model %q: close: %w", mname, cerr)
		}
	}

	// Results over this invocation's plan.
	samples := map[TaskKey][]Sample{}
	for _, mname := range models {
		for _, dname := range dsets {
			inPlan := map[string]bool{}
			for _, p := range plans[dname] {
				inPlan[p.Problem.ID] = true
			}
			for _, dec := range cfg.Decoding {
				k := TaskKey{mname, dname, dec.Name}
				// A run killed between a task's last sample and its sort (or during it) left the file
				// in finishing order (or a temp file); a model with nothing left to run is not opened,
				// so its files are tidied here.
				if err := tidySamplesFile(SamplesPath(dir, k)); err != nil {
					return sum, err
				}
				s, err := ReadSamplesFile(SamplesPath(dir, k))
				if err != nil {
					return sum, err
				}
				var keep []Sample
				for _, x := range s {
					if inPlan[x.ProblemID] && x.Sample < dec.Samples {
						keep = append(keep, x)
					}
				}
				sortSamples(keep)
				if len(keep) > 0 {
					samples[k] = keep
				}
			}
		}
	}
	res, err := aggregate(aggInput{Manifest: man, Samples: samples, Expected: expected,
		Revision: deps.Revision, Host: deps.Host, Created: deps.Now().UTC().Format(time.RFC3339), Shards: man.Shards,
		Tokenizer: deps.Tokenizer, Grade: deps.Grade})
	if err != nil {
		return sum, err
	}
	res.Provenance.RunLimit = opt.Limit
	sum.Results = res
	if err := writeOutputs(dir, res, samples); err != nil {
		return sum, err
	}
	return sum, nil
}

// writeOutputs writes results.json, report.md and report.html.
func writeOutputs(dir string, res *Results, samples map[TaskKey][]Sample) error {
	if err := WriteResults(dir, res); err != nil {
		return err
	}
	var md strings.Builder
	if err := WriteReport(&md, res, "md", ""); err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(dir, "report.md"), []byte(md.String())); err != nil {
		return err
	}
	var h strings.Builder
	if err := WriteHTML(&h, res, samples, ""); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, "report.html"), []byte(h.String()))
}

func pick(what string, all, want []string) ([]string, error) {
	if len(want) == 0 {
		return all, nil
	}
	var out []string
	for _, w := range want {
		if !contains(all, w) {
			return nil, fmt.Errorf("%w: --%ss: unknown %s %q (config has %s)", ErrBadOption, what, what, w, strings.Join(all, ", "))
		}
		if !contains(out, w) {
			out = append(out, w)
		}
	}
	// Keep config order.
	var ordered []string
	for _, a := range all {
		if contains(out, a) {
			ordered = append(ordered, a)
		}
	}
	return ordered, nil
}

// work is one (problem, sample) pair to generate.
type work struct {
	p      planned
	sample int
	seed   uint64
}

// runTask generates the missing samples of one model x dataset x decoding.
func runTask(ctx context.Context, dir string, cfg *Config, m ModelSpec, d DatasetSpec, dec DecodingSpec,
	plan []planned, gen Generator, deps Deps, prog *progress) (generated, skipped int, err error) {
	k := TaskKey{m.Name, d.Name, dec.Name}
	app, existing, err := openAppender(SamplesPath(dir, k))
	if err != nil {
		return 0, 0, err
	}
	defer app.close()
	done := make(map[pairKey]bool, len(existing))
	for _, s := range existing {
		done[s.key()] = true
	}
	seed := cfg.DecodingSeed(dec)
	var todo []work
	total := 0
	for _, p := range plan {
		for j := 0; j < dec.Samples; j++ {
			total++
			if done[pairKey{p.Problem.ID, j}] {
				skipped++
				continue
			}
			todo = append(todo, work{p: p, sample: j, seed: SampleSeed(seed, d.Name, p.Problem.ID, j)})
		}
	}
	prog.start(k.String(), skipped, total)
	if len(todo) == 0 {
		prog.finish()
		// A run stopped after its last sample but before the sort leaves the file in finishing order.
		if err := app.close(); err != nil {
			return 0, skipped, err
		}
		return 0, skipped, sortFile(app.path)
	}
	rdec := runner.Decoding{Temperature: dec.Temperature, TopP: dec.TopP, TopK: dec.TopK,
		MaxNewTokens: dec.MaxNewTokens, StopStrings: taskStops(dec, d)}
	// Every prompt is rendered and encoded before any generation: a template or encoding error stops the
	// task before its first sample.
	type prompt struct {
		text string
		ids  []int
	}
	prompts := map[string]prompt{}
	reqs := make([]runner.Request, len(todo))
	for i, w := range todo {
		pr, ok := prompts[w.p.Problem.ID]
		if !ok {
			text, chat, err := renderPrompt(deps, m, d, w.p.Problem)
			if err != nil {
				return generated, skipped, fmt.Errorf("dataset %q problem %q: template %q: %w", d.Name, w.p.Problem.ID, d.Template, err)
			}
			ids, err := gen.EncodePrompt(text, chat)
			if err != nil {
				return generated, skipped, fmt.Errorf("model %q: encoding problem %q: %w", m.Name, w.p.Problem.ID, err)
			}
			pr = prompt{text, ids}
			prompts[w.p.Problem.ID] = pr
		}
		reqs[i] = runner.Request{PromptIDs: pr.ids, Seed: w.seed}
	}
	// The scheduler keeps batch_size rows decoding; each sample is graded and appended as it finishes.
	emitted := make([]bool, len(todo))
	_, err = gen.Stream(ctx, reqs, rdec, dec.BatchSize, func(i int, c runner.Completion) error {
		if i < 0 || i >= len(todo) || emitted[i] {
			return fmt.Errorf("model %q: generate returned request %d twice or out of range", m.Name, i)
		}
		emitted[i] = true
		w := todo[i]
		if err := app.append([]Sample{makeSample(k, w, prompts[w.p.Problem.ID].text, c, d.Grader, deps)}); err != nil {
			return err
		}
		generated++
		prog.add(1)
		return nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return generated, skipped, ctx.Err()
		}
		return generated, skipped, fmt.Errorf("model %q dataset %q: generate: %w", m.Name, d.Name, err)
	}
	if generated != len(todo) {
		return generated, skipped, fmt.Errorf("model %q: generate returned %d completions for %d requests", m.Name, generated, len(todo))
	}
	if err := app.close(); err != nil {
		return generated, skipped, err
	}
	if err := sortFile(app.path); err != nil {
		return generated, skipped, err
	}
	prog.finish()
	return generated, skipped, nil
}

func makeSample(k TaskKey, w work, prompt string, c runner.Completion, grader string, deps Deps) Sample {
	v := deps.Grade(grader, c.Text, w.p.Problem.Gold)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	return Sample{
		Model: k.Model, Dataset: k.Dataset, Decoding: k.Decoding,
		ProblemID: w.p.Problem.ID, Index: w.p.Index, Sample: w.sample, Seed: w.seed,
		Level: w.p.Problem.Meta["level"], Subject: w.p.Problem.Meta["subject"],
		Prompt: prompt, Completion: c.Text, PromptTokens: len(c.PromptIDs), CompletionTokens: len(c.IDs),
		FinishReason: c.FinishReason, Gold: w.p.Problem.Gold,
		Extracted: v.Extracted, Correct: v.Correct, Rule: v.Rule, Reason: v.Reason,
		ThinkOpened: v.ThinkOpened, ThinkClosed: v.ThinkClosed,
		PromptIDs: c.PromptIDs, CompletionIDs: c.IDs,
		TTFTMs: ms(c.TTFT), TotalMs: ms(c.Total), PerTokenMs: ms(c.PerToken()),
		ShareWallMs: ms(c.Share.Wall), ShareDecodeSteps: c.Share.DecodeSteps, SharePrefillTokens: c.Share.PrefillTokens,
	}
}

// templateExtras are a built-in template's own system turn and stop strings (none for another name).
func templateExtras(name string) (system string, stop []string) {
	t, err := datasets.Template(name)
	if err != nil {
		return "", nil
	}
	return t.System, t.Stop
}

// taskStops are a task's stop strings: the decoding's, then its dataset template's own (gsm8k's "Q:").
func taskStops(dec DecodingSpec, d DatasetSpec) []string {
	_, stop := templateExtras(d.Template)
	out := slices.Clone(dec.Stop)
	for _, x := range stop {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// renderPrompt renders problem p for model m with dataset d's template (withSystem).
func renderPrompt(deps Deps, m ModelSpec, d DatasetSpec, p datasets.Problem) (string, ChatOptions, error) {
	text, err := deps.Render(d.Template, p)
	if err != nil {
		return "", ChatOptions{}, err
	}
	text, chat := withSystem(text, m, d)
	return text, chat, nil
}

// withSystem says how to encode a rendered prompt for model m. The template's own system turn is used
// when the model entry has none: as the chat template's system turn for a chat model, in front of the
// text (a blank line between) for a plain one.
func withSystem(text string, m ModelSpec, d DatasetSpec) (string, ChatOptions) {
	chat := ChatOptions{Chat: m.Chat, System: m.System, EnableThinking: m.EnableThinking}
	if chat.System != "" {
		return text, chat
	}
	system, _ := templateExtras(d.Template)
	switch {
	case system == "":
	case m.Chat:
		chat.System = system
	case !strings.HasPrefix(text, system): // a plain template's rendering already starts with it
		text = system + "\n\n" + text
	}
	return text, chat
}
