package runner

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func testCfg() genConfig {
	return genConfig{tok: fakeTok{vocab: 48}, eosIDs: []int{2}, padID: 0, overflow: OverflowError}
}

func newFake() *fakeStep { return &fakeStep{vocab: 48, eos: 2, eosEvery: 9} }

var testPrompts = [][]int{
	{1, 10, 11, 12},
	{1},
	{1, 5, 6, 7, 8, 9, 10, 11, 12, 13},
	{1, 20, 29, 21},
	{1, 3, 3, 3, 3, 3, 3},
}

func reqsOf(prompts [][]int, seed uint64) []Request {
	r := make([]Request, len(prompts))
	for i, p := range prompts {
		r[i] = Request{PromptIDs: p, Seed: seed + uint64(i)}
	}
	return r
}

func mustGen(t *testing.T, reqs []Request, dec Decoding) []Completion {
	t.Helper()
	out, err := generate(context.Background(), newFake(), testCfg(), reqs, dec)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameResult(a, b Completion) bool {
	return reflect.DeepEqual(a.IDs, b.IDs) && a.Text == b.Text && a.FinishReason == b.FinishReason && reflect.DeepEqual(a.PromptIDs, b.PromptIDs)
}

// Greedy and seeded sampling give each sequence the same result alone, in any batch, in any order, with
// any amount of left padding.
func TestGenerateBatchIndependent(t *testing.T) {
	for _, dec := range []Decoding{
		{MaxNewTokens: 24},
		{MaxNewTokens: 24, Temperature: 0.8, TopP: 0.9, TopK: 12},
		{MaxNewTokens: 24, Temperature: 1.3},
		{MaxNewTokens: 24, Temperature: 0.7, TopP: 0.5},
	} {
		t.Run(fmt.Sprintf("T%g_p%g_k%d", dec.Temperature, dec.TopP, dec.TopK), func(t *testing.T) {
			single := make([]Completion, len(testPrompts))
			for i, p := range testPrompts {
				single[i] = mustGen(t, []Request{{PromptIDs: p, Seed: 100 + uint64(i)}}, dec)[0]
			}
			stops := 0
			for _, c := range single {
				if c.FinishReason == FinishStop {
					stops++
				}
			}
			if stops == 0 || stops == len(single) {
				t.Logf("note: %d of %d sequences stopped on EOS", stops, len(single))
			}
			batch := mustGen(t, reqsOf(testPrompts, 100), dec)
			for i := range batch {
				if !sameResult(batch[i], single[i]) {
					t.Errorf("row %d: batch %v %q %s, alone %v %q %s", i, batch[i].IDs, batch[i].Text, batch[i].FinishReason, single[i].IDs, single[i].Text, single[i].FinishReason)
				}
			}
			// Reversed order and a pair.
			rev := reqsOf(testPrompts, 100)
			for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
				rev[i], rev[j] = rev[j], rev[i]
			}
			for i, c := range mustGen(t, rev, dec) {
				if k := len(rev) - 1 - i; !sameResult(c, single[k]) {
					t.Errorf("reversed row %d differs from alone", k)
				}
			}
			pair := mustGen(t, []Request{{PromptIDs: testPrompts[2], Seed: 102}, {PromptIDs: testPrompts[1], Seed: 101}}, dec)
			if !sameResult(pair[0], single[2]) || !sameResult(pair[1], single[1]) {
				t.Errorf("pair differs from alone")
			}
		})
	}
}

// The fake is sensitive enough that a padding bug would show: feeding the pads with mask 1 changes the
// result.
func TestFakeDetectsPaddingBugs(t *testing.T) {
	dec := Decoding{MaxNewTokens: 8}
	alone := mustGen(t, []Request{{PromptIDs: []int{1, 4}}}, dec)[0]
	leaky := mustGen(t, []Request{{PromptIDs: []int{0, 0, 0, 1, 4}}}, dec)[0] // pads as real tokens
	if reflect.DeepEqual(alone.IDs, leaky.IDs) {
		t.Fatal("fake decoder ignores visible pad tokens; the batch test would not catch padding bugs")
	}
}

// recordStep records what the loop feeds.
type recordStep struct {
	fakeStep
	ids, mask, pos [][]int64
}

func (r *recordStep) step(ids, mask, positions []int64, batch, seq int, past kvCache) ([]float32, kvCache, error) {
	r.ids = append(r.ids, append([]int64(nil), ids...))
	r.mask = append(r.mask, append([]int64(nil), mask...))
	r.pos = append(r.pos, append([]int64(nil), positions...))
	return r.fakeStep.step(ids, mask, positions, batch, seq, past)
}

func TestGenerateFeedsMaskAndPositions(t *testing.T) {
	rs := &recordStep{fakeStep: fakeStep{vocab: 48, eos: 2}}
	_, err := generate(context.Background(), rs, testCfg(), []Request{{PromptIDs: []int{1, 5, 6}}, {PromptIDs: []int{1, 7, 8, 9, 10}}}, Decoding{MaxNewTokens: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs.ids) != 3 {
		t.Fatalf("%d steps, want 3 (prefill + 2)", len(rs.ids))
	}
	want := []struct{ ids, mask, pos []int64 }{
		{[]int64{0, 0, 1, 5, 6, 1, 7, 8, 9, 10}, []int64{0, 0, 1, 1, 1, 1, 1, 1, 1, 1}, []int64{0, 0, 0, 1, 2, 0, 1, 2, 3, 4}},
		{nil, []int64{0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, []int64{3, 5}},
		{nil, []int64{0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, []int64{4, 6}},
	}
	for s, w := range want {
		if w.ids != nil && !reflect.DeepEqual(rs.ids[s], w.ids) {
			t.Errorf("step %d ids %v, want %v", s, rs.ids[s], w.ids)
		}
		if !reflect.DeepEqual(rs.mask[s], w.mask) {
			t.Errorf("step %d mask %v, want %v", s, rs.mask[s], w.mask)
		}
		if !reflect.DeepEqual(rs.pos[s], w.pos) {
			t.Errorf("step %d positions %v, want %v", s, rs.pos[s], w.pos)
		}
	}
}

func TestGenerateFinishReasons(t *testing.T) {
	// EOS: with eosEvery 1 the first token is EOS.
	f := &fakeStep{vocab: 48, eos: 2, eosEvery: 1}
	out, err := generate(context.Background(), f, testCfg(), []Request{{PromptIDs: []int{1, 3}}}, Decoding{MaxNewTokens: 5})
	if err != nil {
		t.Fatal(err)
	}
	if c := out[0]; c.FinishReason != FinishStop || !reflect.DeepEqual(c.IDs, []int{2}) || c.Text != "" {
		t.Errorf("EOS: %+v", c)
	}
	// Custom EOS ids override the model's.
	out = mustGen(t, []Request{{PromptIDs: []int{1, 3}}}, Decoding{MaxNewTokens: 30})
	first := out[0].IDs[0]
	out = mustGen(t, []Request{{PromptIDs: []int{1, 3}}}, Decoding{MaxNewTokens: 30, EOSIDs: []int{first}})
	if c := out[0]; c.FinishReason != FinishStop || len(c.IDs) != 1 {
		t.Errorf("custom EOS: %+v", c)
	}
	// Length.
	f = &fakeStep{vocab: 48, eos: 2}
	out, err = generate(context.Background(), f, testCfg(), []Request{{PromptIDs: []int{1, 3}}, {PromptIDs: []int{1}}}, Decoding{MaxNewTokens: 7})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range out {
		if c.FinishReason != FinishLength || len(c.IDs) != 7 {
			t.Errorf("length: %s %d ids", c.FinishReason, len(c.IDs))
		}
		if c.TTFT <= 0 || c.Total < c.TTFT {
			t.Errorf("timings: ttft %v total %v", c.TTFT, c.Total)
		}
	}
	if f.steps != 7 {
		t.Errorf("%d steps for 7 tokens, want 7 (no step after the last token)", f.steps)
	}
}

func TestGenerateStopStrings(t *testing.T) {
	dec := Decoding{MaxNewTokens: 40}
	free := mustGen(t, []Request{{PromptIDs: []int{1, 3, 4}}}, dec)[0]
	if len(free.Text) < 6 {
		t.Skipf("fake completion too short to test stop strings: %q", free.Text)
	}
	stop := free.Text[3:5]
	k := strings.Index(free.Text, stop)
	dec.StopStrings = []string{"never-there", stop}
	c := mustGen(t, []Request{{PromptIDs: []int{1, 3, 4}}}, dec)[0]
	if c.FinishReason != FinishStop || c.Text != free.Text[:k+len(stop)] {
		t.Errorf("stop %q: got %q (%s), want %q", stop, c.Text, c.FinishReason, free.Text[:k+len(stop)])
	}
	if !reflect.DeepEqual(c.IDs, free.IDs[:len(c.IDs)]) || len(c.IDs) >= len(free.IDs) && free.FinishReason == FinishLength && len(free.IDs) == 40 {
		t.Errorf("stop ids %v not a proper prefix of %v", c.IDs, free.IDs)
	}
}

// Stop strings are found wherever they first end, also late in a long completion (where only the newest
// tokens are decoded): for a stop string taken from every position of a free completion, generation ends
// exactly at its first occurrence, as if the whole text were searched.
func TestGenerateStopStringsLate(t *testing.T) {
	dec := Decoding{MaxNewTokens: 40, EOSIDs: []int{-1}} // no EOS: a 40-token completion
	free := mustGen(t, []Request{{PromptIDs: []int{1, 3, 4}}}, dec)[0]
	if len(free.IDs) < 30 {
		t.Skipf("fake completion too short: %d tokens", len(free.IDs))
	}
	for j := 0; j+3 <= len(free.Text); j++ {
		stop := free.Text[j : j+3]
		k := strings.Index(free.Text, stop)
		dec.StopStrings = []string{stop}
		c := mustGen(t, []Request{{PromptIDs: []int{1, 3, 4}}}, dec)[0]
		if want := free.Text[:k+len(stop)]; c.FinishReason != FinishStop || c.Text != want {
			t.Fatalf("stop %q (first at byte %d of %d): got %q (%s), want %q", stop, k, len(free.Text), c.Text, c.FinishReason, want)
		}
	}
}

// The completion text is decode(prompt+completion) - decode(prompt): with SentencePiece-style decoding the
// space that starts the completion survives.
func TestCompletionTextKeepsLeadingSpace(t *testing.T) {
	cfg := genConfig{tok: fakeTok{vocab: 48, spStrip: true}}
	prompt := []int{1, 29, 3} // "<s> a" decodes to "a"
	comp := []int{29, 4, 2}   // " b</s>"
	if got := completionText(cfg, prompt, comp); got != " b" {
		t.Errorf("completionText = %q, want %q", got, " b")
	}
	if got := cfg.tok.Decode(comp, true); got != "b" {
		t.Fatalf("fake SentencePiece decode of the completion alone = %q (the test needs it to drop the space)", got)
	}
	cfg.keepSpecial = true
	if got := completionText(cfg, prompt, comp); got != " b</s>" {
		t.Errorf("keepSpecial: %q", got)
	}
}

func TestGenerateContextOverflow(t *testing.T) {
	cfg := testCfg()
	cfg.contextLength = 10
	reqs := []Request{{PromptIDs: []int{1, 3, 4, 5, 6, 7}}, {PromptIDs: []int{1}}}
	_, err := generate(context.Background(), newFake(), cfg, reqs, Decoding{MaxNewTokens: 6})
	if !errors.Is(err, ErrContextOverflow) || !strings.Contains(err.Error(), "context length 10") {
		t.Fatalf("want a context overflow error, got %v", err)
	}
	cfg.overflow = OverflowTruncate
	out, err := generate(context.Background(), &fakeStep{vocab: 48, eos: 2}, cfg, reqs, Decoding{MaxNewTokens: 6})
	if err != nil {
		t.Fatal(err)
	}
	if len(out[0].IDs) != 4 || out[0].FinishReason != FinishLength || len(out[1].IDs) != 6 {
		t.Errorf("truncate: %d ids (%s), %d ids", len(out[0].IDs), out[0].FinishReason, len(out[1].IDs))
	}
	_, err = generate(context.Background(), newFake(), cfg, []Request{{PromptIDs: make([]int, 10)}}, Decoding{MaxNewTokens: 1})
	if !errors.Is(err, ErrContextOverflow) {
		t.Errorf("a prompt that fills the context must fail even with truncation: %v", err)
	}
}

func TestGenerateBadInputAndErrors(t *testing.T) {
	if _, err := generate(context.Background(), newFake(), testCfg(), []Request{{}}, Decoding{MaxNewTokens: 1}); err == nil {
		t.Error("empty prompt accepted")
	}
	if _, err := generate(context.Background(), newFake(), testCfg(), []Request{{PromptIDs: []int{1}}}, Decoding{}); err == nil {
		t.Error("MaxNewTokens 0 accepted")
	}
	boom := errors.New("boom")
	if _, err := generate(context.Background(), &fakeStep{vocab: 48, err: boom}, testCfg(), []Request{{PromptIDs: []int{1}}}, Decoding{MaxNewTokens: 3}); !errors.Is(err, boom) {
		t.Errorf("step error not returned: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := generate(ctx, &fakeStep{vocab: 48, eos: 2}, testCfg(), []Request{{PromptIDs: []int{1}}}, Decoding{MaxNewTokens: 3}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

// BenchmarkGenerate measures the loop's own overhead (sampling, masks, bookkeeping) around a trivial step.
func BenchmarkGenerate(b *testing.B) {
	for _, bc := range []struct {
		name string
		dec  Decoding
	}{
		{"greedy", Decoding{MaxNewTokens: 64}},
		{"sampled_topk50", Decoding{MaxNewTokens: 64, Temperature: 0.7, TopK: 50}},
		{"sampled_topp0.95", Decoding{MaxNewTokens: 64, Temperature: 0.7, TopP: 0.95}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			const batch, vocab = 8, 32000
			st := &constStep{logits: make([]float32, batch*vocab)}
			for i := range st.logits {
				st.logits[i] = float32(mix(uint64(i))>>40) / 1e4
			}
			reqs := make([]Request, batch)
			for i := range reqs {
				reqs[i] = Request{PromptIDs: make([]int, 16+i), Seed: uint64(i)}
			}
			cfg := genConfig{tok: fakeTok{vocab: vocab}, eosIDs: []int{-1}}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := generate(context.Background(), st, cfg, reqs, bc.dec); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch*bc.dec.MaxNewTokens), "ns/token")
		})
	}
}

// constStep returns the same logits every step.
type constStep struct {
	logits []float32
	n      int
}

type constCache int

func (c constCache) length() int { return int(c) }

func (s *constStep) begin(batch, maxLen int) error { s.n = 0; return nil }
func (s *constStep) step(ids, mask, positions []int64, batch, seq int, past kvCache) ([]float32, kvCache, error) {
	s.n += seq
	return s.logits, constCache(s.n), nil
}

// Chunked prefill (bounded logits) feeds the prompt columns in pieces and gives the same results.
func TestGenerateChunkedPrefill(t *testing.T) {
	dec := Decoding{MaxNewTokens: 12}
	whole := mustGen(t, reqsOf(testPrompts, 0), dec)
	for _, maxLogits := range []int{1, 48 * 5 * 3, 48 * 5 * 4} {
		cfg := testCfg()
		cfg.vocab, cfg.maxPrefillLogits = 48, maxLogits
		rs := &recordStep{fakeStep: fakeStep{vocab: 48, eos: 2, eosEvery: 9}}
		out, err := generate(context.Background(), rs, cfg, reqsOf(testPrompts, 0), dec)
		if err != nil {
			t.Fatal(err)
		}
		for i := range out {
			if !sameResult(out[i], whole[i]) {
				t.Errorf("max logits %d, row %d: chunked %v, whole %v", maxLogits, i, out[i].IDs, whole[i].IDs)
			}
		}
		chunk := min(max(maxLogits/(5*48), 1), 10)
		if want := (10 + chunk - 1) / chunk; len(rs.ids) < want || len(rs.ids[0]) != 5*chunk {
			t.Errorf("max logits %d: first step fed %d ids, want %d; %d steps", maxLogits, len(rs.ids[0]), 5*chunk, len(rs.ids))
		}
	}
}
