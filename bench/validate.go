package bench

import (
	"errors"
	"fmt"
	"strings"
)

// ErrBadPlan marks a run refused before any work because its plan is not valid (a PlanError).
var ErrBadPlan = errors.New("the plan is not valid")

// PlanError lists every problem found before the work started, one line each; nothing was written to
// the results directory.
type PlanError struct {
	Problems []string
}

func (e *PlanError) Error() string { return strings.Join(e.Problems, "\n") }

// Is makes a PlanError match ErrBadPlan.
func (e *PlanError) Is(target error) bool { return target == ErrBadPlan }

// validPlan is what validatePlan loaded: each dataset's planned problems and provenance.
type validPlan struct {
	plans map[string][]planned
	infos map[string]DatasetInfo
}

// firstLine keeps an error to one line; a longer one (a decoder contract listing the graph's inputs)
// points at inspect for the rest.
func firstLine(err error, model *ModelSpec) string {
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
		if model != nil {
			msg += fmt.Sprintf(" (acoer-bench inspect --model %s shows the rest)", model.Path)
		}
	}
	return msg
}

// validatePlan checks the whole plan before anything is written: every dataset loads and its planned
// problems render with the dataset's template, every model directory passes Deps.Check (its graph's
// contract, tokenizer, EOS and vocabulary, without loading weights), and each model encodes each
// dataset's first and longest prompt within its context length for every decoding's max_new_tokens.
// It returns every problem at once as a *PlanError.
func validatePlan(cfg *Config, models, dsets []string, opt RunOptions, deps Deps) (*validPlan, error) {
	vp := &validPlan{plans: map[string][]planned{}, infos: map[string]DatasetInfo{}}
	var problems []string
	fail := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }

	// Models first: each directory, without its weights.
	checked := map[string]CheckedModel{}
	for _, mname := range models {
		if deps.Check == nil {
			break
		}
		m, _ := cfg.Model(mname)
		cm, err := deps.Check(m)
		if err != nil {
			fail("model %q: %s", mname, firstLine(err, &m))
			continue
		}
		checked[mname] = cm
		if opt.Warn != nil {
			for _, w := range cm.Warnings() {
				fmt.Fprintf(opt.Warn, "warning: model %q: %s\n", mname, w)
			}
		}
	}

	// Datasets: load, select, render. rendered[name] holds the first and the longest prompt.
	type sample struct {
		id, text string
	}
	rendered := map[string][]sample{}
	for _, name := range dsets {
		d, _ := cfg.Dataset(name)
		idx := datasetIndex(cfg, name)
		all, info, err := deps.Problems(d)
		if err != nil {
			msg := firstLine(err, nil)
			if !strings.HasPrefix(msg, fmt.Sprintf("dataset %q", name)) {
				msg = fmt.Sprintf("dataset %q: %s", name, msg)
			}
			fail("%s", msg)
			continue
		}
		p, err := selectProblems(all, d, opt.Limit, opt.Shard)
		if err != nil {
			fail("%s", firstLine(err, nil))
			continue
		}
		var first, longest sample
		renderOK := true
		for i, pl := range p {
			text, err := deps.Render(d.Template, pl.Problem)
			if err != nil {
				where := fmt.Sprintf("%s: dataset %q: template %q", cfg.Where("datasets", idx, "template"), name, d.Template)
				if i > 0 { // it rendered others: this problem is the trouble
					where += fmt.Sprintf(": problem %q", pl.Problem.ID)
				}
				fail("%s: %s", where, firstLine(err, nil))
				renderOK = false
				break
			}
			s := sample{pl.Problem.ID, text}
			if i == 0 {
				first, longest = s, s
			} else if len(text) > len(longest.text) {
				longest = s
			}
		}
		if len(p) > 0 && renderOK {
			rendered[name] = []sample{first}
			if longest.id != first.id {
				rendered[name] = append(rendered[name], longest)
			}
		}
		vp.plans[name], vp.infos[name] = p, info
	}

	// Each model's prompts against its context.
	for _, mname := range models {
		cm := checked[mname]
		if cm == nil {
			continue
		}
		m, _ := cfg.Model(mname)
		ctxLen, ctxFrom := cm.Context()
		for _, dname := range dsets {
			d, _ := cfg.Dataset(dname)
			// The longest prompt decides the context check; the decodings whose max_new_tokens alone
			// fill the context are said once per model.
			longest, longID := 0, ""
			encOK := true
			for _, s := range rendered[dname] {
				text, chat := withSystem(s.text, m, d)
				ids, err := cm.EncodePrompt(text, chat)
				if err != nil {
					fail("model %q: dataset %q problem %q: encoding the prompt: %s", mname, dname, s.id, firstLine(err, nil))
					encOK = false
					break
				}
				if len(ids) > longest {
					longest, longID = len(ids), s.id
				}
			}
			if !encOK || ctxLen <= 0 || longID == "" {
				continue
			}
			for i, dec := range cfg.Decoding {
				if dec.MaxNewTokens >= ctxLen {
					continue // reported below, once
				}
				if longest+dec.MaxNewTokens > ctxLen {
					fail("%s: decoding %q: max_new_tokens %d + the %d-token prompt of dataset %q problem %q exceed model %q's context length %d (%s)",
						cfg.Where("decoding", i, "max_new_tokens"), dec.Name, dec.MaxNewTokens, longest, dname, longID, mname, ctxLen, ctxFrom)
				}
			}
		}
		if ctxLen > 0 {
			for i, dec := range cfg.Decoding {
				if dec.MaxNewTokens >= ctxLen {
					fail("%s: decoding %q: max_new_tokens %d leaves no room for a prompt in model %q's context length %d (%s)",
						cfg.Where("decoding", i, "max_new_tokens"), dec.Name, dec.MaxNewTokens, mname, ctxLen, ctxFrom)
				}
			}
		}
	}
	if len(problems) > 0 {
		return nil, &PlanError{Problems: problems}
	}
	return vp, nil
}

func datasetIndex(cfg *Config, name string) int {
	for i, d := range cfg.Datasets {
		if d.Name == name {
			return i
		}
	}
	return -1
}
