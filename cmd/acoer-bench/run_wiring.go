package main

import (
	"context"
	"path/filepath"
	"strings"

	"github.com/acoer/acoer-bench/bench"
	"github.com/acoer/acoer-bench/datasets"
	"github.com/acoer/acoer-bench/metrics"
	"github.com/acoer/acoer-bench/runner"
	"github.com/acoer/acoer-bench/runner/onnxbuild"
	"github.com/acoer/acoer-bench/runner/tokenizer"
)

// benchDeps connects bench.Run to the real runner, datasets and metrics packages.
func benchDeps(w runWiring) (bench.Deps, func(), error) {
	deps := bench.Deps{
		Open: func(ctx context.Context, m bench.ModelSpec) (bench.Generator, error) {
			mod, err := runner.Open(m.Path, modelOptions(m, w))
			if err != nil {
				return nil, err
			}
			return modelAdapter{Model: mod}, nil
		},
		Check: func(m bench.ModelSpec) (bench.CheckedModel, error) {
			c, err := runner.Check(m.Path, modelOptions(m, w))
			if err != nil {
				return nil, err
			}
			return checkedAdapter{c}, nil
		},
		ModelHashes: func(m bench.ModelSpec) (string, string, error) { return runner.ModelHashes(m.Path, m.Variant) },
		BuildSeeded: buildSeeded,
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

// buildSeeded builds a config's seeded test model into dir exactly as `build-model --out DIR --seed
// SEED --preset PRESET --eos-bias B` does (the built-in byte-level tokenizer, the preset's shape).
func buildSeeded(dir string, s bench.SeededModel) error {
	cfg, err := onnxbuild.Preset(s.Preset, len(onnxbuild.ByteTokenizerPieces()))
	if err != nil {
		return badInput(unprefixed(err))
	}
	return onnxbuild.WriteSeededModelDir(dir, cfg, s.Seed, float32(s.EOSBias), onnxbuild.DirOptions{})
}

// modelOptions are the runner options of a config's model entry: its provider, variant, intra-op
// threads and spinning, and its eos_token_id when set (replacing the model directory's EOS ids).
func modelOptions(m bench.ModelSpec, w runWiring) runner.Options {
	o := runner.Options{Provider: m.Provider, ORTLib: w.ORTLib, Log: w.Log, Variant: m.Variant,
		IntraOpThreads: m.Threads, Spinning: m.Spinning}
	if len(m.EOSTokenID) > 0 {
		o.EOSIDs, o.EOSFrom = m.EOSTokenID, "the benchmark config's eos_token_id"
	}
	return o
}

// promptModel is what encodeBenchPrompt needs: runner.Model and runner.Checked both have it.
type promptModel interface {
	EncodePrompt(text string, chat bool, system string) ([]int, error)
	HFTokenizer() *tokenizer.Tokenizer
	Tokenizer() runner.Tokenizer
}

// encodeBenchPrompt renders the model's chat template (with the system prompt and Qwen3's
// enable_thinking when set) or encodes raw text, by the rules runner.Model.EncodePrompt records.
func encodeBenchPrompt(m promptModel, text string, c bench.ChatOptions) ([]int, error) {
	if !c.Chat || c.EnableThinking == nil {
		return m.EncodePrompt(text, c.Chat, c.System)
	}
	if err := runner.ValidUTF8("the prompt", text); err != nil {
		return nil, err
	}
	var msgs []tokenizer.Message
	if c.System != "" {
		msgs = append(msgs, tokenizer.Message{Role: "system", Content: c.System})
	}
	msgs = append(msgs, tokenizer.Message{Role: "user", Content: text})
	s, err := m.HFTokenizer().ApplyChatTemplate(msgs, tokenizer.ChatOptions{AddGenerationPrompt: true, EnableThinking: c.EnableThinking})
	if err != nil {
		return nil, err
	}
	return m.Tokenizer().Encode(s, false), nil // as runner's chat path: the template carries BOS
}

// modelAdapter gives bench what it needs from a runner.Model.
type modelAdapter struct{ *runner.Model }

// EncodePrompt is encodeBenchPrompt.
func (a modelAdapter) EncodePrompt(text string, c bench.ChatOptions) ([]int, error) {
	return encodeBenchPrompt(a.Model, text, c)
}

// Info is the provenance bench records for the model.
func (a modelAdapter) Info() bench.ModelInfo { return benchModelInfo(a.Model.Info()) }

func benchModelInfo(i runner.Info) bench.ModelInfo {
	mi := bench.ModelInfo{Path: i.ModelDir, Layout: i.Layout, Variant: i.Variant, Graph: relGraph(i.ModelDir, i.ModelFile),
		SHA256: i.ModelSHA256, DataSHA256: i.DataSHA256, Tokenizer: i.TokenizerFile,
		ORTVersion: i.ORTVersion, Provider: i.Provider, ContextLength: i.ContextLength, BOSRule: i.BOSRule,
		EOSIDs: i.EOSIDs, EOSFrom: i.EOSFrom, MaskedIDs: i.MaskedIDs, Warnings: i.Warnings,
		KVCache: i.KVCache, IntraOpThreads: i.IntraOpThreads, Spinning: i.Spinning}
	if c := i.CUDA; c != nil {
		cc := *c
		mi.CUDA = &cc
	}
	for _, f := range i.DataFiles {
		if mi.DataFiles == nil {
			mi.DataFiles = map[string]string{}
		}
		mi.DataFiles[f.Location] = f.SHA256
	}
	return mi
}

// relGraph is the graph file's path relative to the model directory (slashes), or the path itself.
func relGraph(dir, file string) string {
	rel, err := filepath.Rel(dir, file)
	if err != nil || strings.HasPrefix(rel, "..") {
		return file
	}
	return filepath.ToSlash(rel)
}

// checkedAdapter gives bench what it checks before the work from a runner.Checked.
type checkedAdapter struct{ *runner.Checked }

func (a checkedAdapter) EncodePrompt(text string, c bench.ChatOptions) ([]int, error) {
	return encodeBenchPrompt(a.Checked, text, c)
}

func (a checkedAdapter) Context() (int, string) {
	i := a.Checked.Info()
	return i.ContextLength, i.ContextFrom
}

func (a checkedAdapter) Warnings() []string { return a.Checked.Info().Warnings }
