package main

import (
	"context"

	"github.com/acoer/acoer-bench/bench"
	"github.com/acoer/acoer-bench/datasets"
	"github.com/acoer/acoer-bench/metrics"
	"github.com/acoer/acoer-bench/runner"
	"github.com/acoer/acoer-bench/runner/tokenizer"
)

// benchDeps connects bench.Run to the real runner, datasets and metrics packages.
func benchDeps(w runWiring) (bench.Deps, func(), error) {
	deps := bench.Deps{
		Open: func(ctx context.Context, m bench.ModelSpec) (bench.Generator, error) {
			mod, err := runner.Open(m.Path, runner.Options{Provider: m.Provider, ORTLib: w.ORTLib, Log: w.Log})
			if err != nil {
				return nil, err
			}
			return modelAdapter{Model: mod}, nil
		},
		ModelHashes: func(m bench.ModelSpec) (string, string, error) { return runner.ModelHashes(m.Path) },
		Problems: func(d bench.DatasetSpec) ([]datasets.Problem, bench.DatasetInfo, error) {
			spec := datasets.Spec{Name: d.Name, Kind: d.Kind, Path: d.Path}
			if f := d.Fields; f != nil {
				spec.Fields = datasets.FieldMap{Question: f.Question, Answer: f.Answer, ID: f.ID, Meta: f.Meta, Extract: f.Extract}
			}
			ps, info, err := datasets.Load(spec)
			return ps, bench.DatasetInfo{Path: info.Path, SHA256: info.SHA256, Count: info.Count, Source: info.Source}, err
		},
		Render: func(name string, p datasets.Problem) (string, error) {
			t, err := datasets.Template(name)
			if err != nil {
				return "", err
			}
			return t.Render(p)
		},
		Grade: metrics.Grade,
	}
	return deps, func() {}, nil
}

// modelAdapter gives bench what it needs from a runner.Model.
type modelAdapter struct{ *runner.Model }

// EncodePrompt renders the model's chat template (with the system prompt and Qwen3's enable_thinking
// when set) or encodes raw text, by the rules runner.Model.EncodePrompt records.
func (a modelAdapter) EncodePrompt(text string, c bench.ChatOptions) ([]int, error) {
	if !c.Chat || c.EnableThinking == nil {
		return a.Model.EncodePrompt(text, c.Chat, c.System)
	}
	var msgs []tokenizer.Message
	if c.System != "" {
		msgs = append(msgs, tokenizer.Message{Role: "system", Content: c.System})
	}
	msgs = append(msgs, tokenizer.Message{Role: "user", Content: text})
	s, err := a.HFTokenizer().ApplyChatTemplate(msgs, tokenizer.ChatOptions{AddGenerationPrompt: true, EnableThinking: c.EnableThinking})
	if err != nil {
		return nil, err
	}
	return a.Model.Tokenizer().Encode(s, false), nil // as runner's chat path: the template carries BOS
}

// Info is the provenance bench records for the model.
func (a modelAdapter) Info() bench.ModelInfo {
	i := a.Model.Info()
	return bench.ModelInfo{Path: i.ModelDir, SHA256: i.ModelSHA256, DataSHA256: i.DataSHA256, Tokenizer: i.TokenizerFile,
		ORTVersion: i.ORTVersion, Provider: i.Provider, ContextLength: i.ContextLength, BOSRule: i.BOSRule}
}
