package bench

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/acoer/acoer-bench/datasets"
	"github.com/acoer/acoer-bench/metrics"
	"github.com/acoer/acoer-bench/runner"
)

// fakeGen is a deterministic Generator: each completion depends only on the model, the prompt and the
// request seed (never on the batch), like the real runner promises.
type fakeGen struct {
	name  string
	calls *int
	// failAt makes the n-th completion (1-based, counted over the whole run) fail before it is emitted:
	// panic or cancel.
	failAt int
	mode   string // "panic" or "cancel"
	cancel context.CancelFunc
}

func fhash(parts ...any) uint64 {
	h := sha256.Sum256([]byte(fmt.Sprint(parts...)))
	return binary.LittleEndian.Uint64(h[:8])
}

func (g *fakeGen) EncodePrompt(text string, chat ChatOptions) ([]int, error) {
	if chat.Chat {
		text = "<|user|>" + text
	}
	ids := make([]int, len(text))
	for i := range text {
		ids[i] = int(text[i])
	}
	return ids, nil
}

var goldRE = regexp.MustCompile(`gold=(\S+)`)

// Stream emits the completions in the order a scheduler finishes them: shortest first within each group
// of `slots` requests, so that the file order differs from the plan order.
func (g *fakeGen) Stream(ctx context.Context, reqs []runner.Request, dec runner.Decoding, slots int, emit func(int, runner.Completion) error) (runner.Stats, error) {
	out := make([]runner.Completion, len(reqs))
	for i, r := range reqs {
		prompt := make([]byte, len(r.PromptIDs))
		for j, id := range r.PromptIDs {
			prompt[j] = byte(id)
		}
		gold := "0"
		if m := goldRE.FindSubmatch(prompt); m != nil {
			gold = string(m[1])
		}
		seed := r.Seed
		if dec.Temperature == 0 {
			seed = 0
		}
		h := fhash(g.name, string(prompt), seed)
		n := 20 + int(h%60)
		if g.name == "candidate" {
			n = n * 2 / 3
		}
		answer := gold
		if h%4 == 0 {
			answer = "999"
		}
		text := strings.Repeat("step ", n/2) + "<script>alert(1)</script> The answer is " + answer
		if h%10 == 1 {
			text = "<think>" + text
		}
		ids := make([]int, n)
		fin := runner.FinishStop
		if n >= dec.MaxNewTokens {
			ids = ids[:dec.MaxNewTokens]
			fin = runner.FinishLength
		}
		ttft := time.Duration(5+h%7) * time.Millisecond
		out[i] = runner.Completion{PromptIDs: r.PromptIDs, IDs: ids, Text: text, FinishReason: fin,
			TTFT: ttft, Total: ttft + time.Duration(len(ids))*time.Millisecond,
			Share: runner.Share{Wall: time.Duration(len(ids)) * time.Millisecond / 4, DecodeSteps: float64(len(ids)-1) / 4, PrefillTokens: float64(len(r.PromptIDs))}}
	}
	slots = max(slots, 1)
	var st runner.Stats
	for lo := 0; lo < len(reqs); lo += slots {
		idx := make([]int, 0, slots)
		for i := lo; i < min(lo+slots, len(reqs)); i++ {
			idx = append(idx, i)
		}
		sort.SliceStable(idx, func(a, b int) bool { return len(out[idx[a]].IDs) < len(out[idx[b]].IDs) })
		for _, i := range idx {
			*g.calls++
			if g.failAt > 0 && *g.calls == g.failAt {
				switch g.mode {
				case "panic":
					panic("fake crash")
				case "cancel":
					g.cancel()
				}
			}
			if err := ctx.Err(); err != nil {
				return st, err
			}
			if err := emit(i, out[i]); err != nil {
				return st, err
			}
			st.Generated += len(out[i].IDs)
		}
	}
	return st, nil
}

func (g *fakeGen) Info() ModelInfo {
	return ModelInfo{Path: "/models/" + g.name, SHA256: fmt.Sprintf("%064x", fhash("model", g.name)), ORTVersion: "1.29.0", Provider: "cpu", Tokenizer: "fake"}
}

func (g *fakeGen) Close() error { return nil }

var lastNumRE = regexp.MustCompile(`-?\d+`)

func fakeGrade(benchmark, response, gold string) metrics.Verdict {
	v := metrics.Verdict{Rule: "last_number", ThinkOpened: strings.Contains(response, "<think>"), ThinkClosed: strings.Contains(response, "</think>")}
	m := lastNumRE.FindAllString(response, -1)
	if len(m) == 0 {
		v.Rule = "none"
		return v
	}
	v.Extracted = m[len(m)-1]
	v.Correct = v.Extracted == gold
	return v
}

func fakeProblems(n int) []datasets.Problem {
	var ps []datasets.Problem
	for i := 0; i < n; i++ {
		ps = append(ps, datasets.Problem{ID: fmt.Sprintf("p%03d", i), Question: fmt.Sprintf("What is %d+%d?", i, i+1),
			Gold: fmt.Sprint(2*i + 1), Meta: map[string]string{"level": fmt.Sprintf("Level %d", 1+i%3)}})
	}
	return ps
}

// fakeDeps returns deps whose generators share a call counter; failAt/mode/cancel make one call fail.
func fakeDeps(failAt int, mode string, cancel context.CancelFunc) (Deps, *int) {
	calls := new(int)
	return Deps{
		Open: func(ctx context.Context, m ModelSpec) (Generator, error) {
			return &fakeGen{name: m.Name, calls: calls, failAt: failAt, mode: mode, cancel: cancel}, nil
		},
		Problems: func(d DatasetSpec) ([]datasets.Problem, DatasetInfo, error) {
			n := 13
			if d.Name == "beta" {
				n = 7
			}
			return fakeProblems(n), DatasetInfo{SHA256: fmt.Sprintf("%064x", fhash("data", d.Name)), Count: n, Source: "fake"}, nil
		},
		Render: func(t string, p datasets.Problem) (string, error) {
			return "Question: " + p.Question + " gold=" + p.Gold, nil
		},
		Grade:    fakeGrade,
		Revision: "test-rev",
		Host:     "test-host",
		Now:      func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) },
	}, calls
}

const testConfig = `seed: 7
models:
  - name: baseline
    path: models/baseline
  - name: candidate
    path: models/candidate
    chat: true
    system: "Be brief."
datasets:
  - name: alpha
    kind: jsonl
    path: data/alpha.jsonl
    grader: gsm8k
  - name: beta
    kind: jsonl
    path: data/beta.jsonl
    grader: math
decoding:
  - name: greedy
    max_new_tokens: 70
    batch_size: 4
  - name: sampled
    temperature: 0.7
    top_p: 0.95
    samples: 3
    max_new_tokens: 70
    batch_size: 5
baseline: baseline
gates:
  overall:
    max_token_increase_pct: 0
    max_accuracy_drop_pp: 50
  datasets:
    beta:
      max_accuracy_drop_pp: 60
`

func mustConfig(t testing.TB, text string) *Config {
	t.Helper()
	cfg, err := ParseConfig([]byte(text), "test.yaml", "/cfgdir")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// canonical reads every samples file of a results dir, sorted, as one string per task.
func canonical(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(filepath.Join(dir, "samples"), func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		s, err := ReadSamplesFile(p)
		if err != nil {
			return err
		}
		sortSamples(s)
		var b strings.Builder
		for _, x := range s {
			fmt.Fprintf(&b, "%+v\n", x)
		}
		rel, _ := filepath.Rel(dir, p)
		out[rel] = b.String()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
