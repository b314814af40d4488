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

func newFake() *fakeStep { return newFakeStep(48, 2, 9, false) }

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

// runAll runs reqs on st with the given slots and returns the completions in request order, the call's
// statistics and the order in which requests finished.
func runAll(t testing.TB, st stepper, cfg genConfig, reqs []Request, dec Decoding, slots int) ([]Completion, Stats, []int) {
	t.Helper()
	out := make([]Completion, len(reqs))
	seen := make([]bool, len(reqs))
	var order []int
	stats, err := generate(context.Background(), st, cfg, reqs, dec, slots, func(i int, c Completion) error {
		if seen[i] {
			t.Fatalf("request %d emitted twice", i)
		}
		seen[i] = true
		out[i] = c
		order = append(order, i)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(order) != len(reqs) {
		t.Fatalf("%d of %d requests emitted", len(order), len(reqs))
	}
	return out, stats, order
}

func mustGen(t *testing.T, reqs []Request, dec Decoding) []Completion {
	t.Helper()
	out, _, _ := runAll(t, newFake(), testCfg(), reqs, dec, 0)
	return out
}

// genErr runs reqs and returns only the error.
func genErr(st stepper, cfg genConfig, reqs []Request, dec Decoding) error {
	_, err := generate(context.Background(), st, cfg, reqs, dec, 0, func(int, Completion) error { return nil })
	return err
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
	*fakeStep
	ids, mask, pos [][]int64
	widths         []int // past width of every step
	rows           []int // rows of every step
}

func (r *recordStep) step(past *kv, ids, mask, positions []int64, seq int, last []int) ([]float32, *kv, error) {
	r.ids = append(r.ids, append([]int64(nil), ids...))
	r.mask = append(r.mask, append([]int64(nil), mask...))
	r.pos = append(r.pos, append([]int64(nil), positions...))
	r.widths = append(r.widths, past.width)
	r.rows = append(r.rows, past.rows)
	return r.fakeStep.step(past, ids, mask, positions, seq, last)
}

// The exact feeds of two prompts of different lengths: each prefilled alone, then decoded together,
// right-aligned with position_ids, left-aligned without.
func TestGenerateFeedsMaskAndPositions(t *testing.T) {
	reqs := []Request{{PromptIDs: []int{1, 5, 6}}, {PromptIDs: []int{1, 7, 8, 9, 10}}}
	for _, gqa := range []bool{false, true} {
		rs := &recordStep{fakeStep: newFakeStep(48, 2, 0, gqa)}
		cfg := testCfg()
		cfg.leftAligned = gqa
		runAll(t, rs, cfg, reqs, Decoding{MaxNewTokens: 3}, 0)
		if len(rs.ids) != 3 {
			t.Fatalf("gqa %v: %d steps, want 3 (one prefill of both prompts, longest first, + 2)", gqa, len(rs.ids))
		}
		want := []struct{ ids, mask, pos []int64 }{
			{[]int64{1, 7, 8, 9, 10, 0, 0, 1, 5, 6}, []int64{1, 1, 1, 1, 1, 0, 0, 1, 1, 1}, []int64{0, 1, 2, 3, 4, 0, 0, 0, 1, 2}},
			{nil, []int64{0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, []int64{3, 5}},
			{nil, []int64{0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, []int64{4, 6}},
		}
		if gqa {
			// Right-padded prefill; left-aligned rows.
			want[0].ids = []int64{1, 7, 8, 9, 10, 1, 5, 6, 0, 0}
			want[0].mask = []int64{1, 1, 1, 1, 1, 1, 1, 1, 0, 0}
			want[0].pos = []int64{0, 1, 2, 3, 4, 0, 1, 2, 0, 0}
			want[1].mask = []int64{1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1}
			want[2].mask = []int64{1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1}
		}
		for s, w := range want {
			if w.ids != nil && !reflect.DeepEqual(rs.ids[s], w.ids) {
				t.Errorf("gqa %v step %d ids %v, want %v", gqa, s, rs.ids[s], w.ids)
			}
			if !reflect.DeepEqual(rs.mask[s], w.mask) {
				t.Errorf("gqa %v step %d mask %v, want %v", gqa, s, rs.mask[s], w.mask)
			}
			if !reflect.DeepEqual(rs.pos[s], w.pos) {
				t.Errorf("gqa %v step %d positions %v, want %v", gqa, s, rs.pos[s], w.pos)
			}
		}
	}
}

func TestGenerateFinishReasons(t *testing.T) {
	// EOS: with eosEvery 1 the first token is EOS.
	f := newFakeStep(48, 2, 1, false)
	out, _, _ := runAll(t, f, testCfg(), []Request{{PromptIDs: []int{1, 3}}}, Decoding{MaxNewTokens: 5}, 0)
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
	f = newFakeStep(48, 2, 0, false)
	out, _, _ = runAll(t, f, testCfg(), []Request{{PromptIDs: []int{1, 3}}, {PromptIDs: []int{1}}}, Decoding{MaxNewTokens: 7}, 0)
	for _, c := range out {
		if c.FinishReason != FinishLength || len(c.IDs) != 7 {
			t.Errorf("length: %s %d ids", c.FinishReason, len(c.IDs))
		}
		if c.TTFT <= 0 || c.Total < c.TTFT {
			t.Errorf("timings: ttft %v total %v", c.TTFT, c.Total)
		}
	}
	if f.steps != 8 {
		t.Errorf("%d steps for 7 tokens of two prompts, want 8 (two prefills, 6 decode steps, none after the last token)", f.steps)
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
	err := genErr(newFake(), cfg, reqs, Decoding{MaxNewTokens: 6})
	if !errors.Is(err, ErrContextOverflow) || !strings.Contains(err.Error(), "context length 10") {
		t.Fatalf("want a context overflow error, got %v", err)
	}
	cfg.overflow = OverflowTruncate
	f := newFakeStep(48, 2, 0, false)
	f.maxWidth = 10
	out, _, _ := runAll(t, f, cfg, reqs, Decoding{MaxNewTokens: 6}, 0)
	if len(out[0].IDs) != 4 || out[0].FinishReason != FinishLength || len(out[1].IDs) != 6 {
		t.Errorf("truncate: %d ids (%s), %d ids", len(out[0].IDs), out[0].FinishReason, len(out[1].IDs))
	}
	err = genErr(newFake(), cfg, []Request{{PromptIDs: make([]int, 10)}}, Decoding{MaxNewTokens: 1})
	if !errors.Is(err, ErrContextOverflow) {
		t.Errorf("a prompt that fills the context must fail even with truncation: %v", err)
	}
}

func TestGenerateBadInputAndErrors(t *testing.T) {
	if err := genErr(newFake(), testCfg(), []Request{{PromptIDs: []int{1}}, {}}, Decoding{MaxNewTokens: 1}); !errors.Is(err, ErrEmptyPrompt) || !strings.Contains(err.Error(), "request 1") {
		t.Errorf("empty prompt: %v", err)
	}
	if err := genErr(newFake(), testCfg(), []Request{{PromptIDs: []int{1}}}, Decoding{}); err == nil {
		t.Error("MaxNewTokens 0 accepted")
	}
	boom := errors.New("boom")
	f := newFake()
	f.err = boom
	if err := genErr(f, testCfg(), []Request{{PromptIDs: []int{1}}}, Decoding{MaxNewTokens: 3}); !errors.Is(err, boom) {
		t.Errorf("step error not returned: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := generate(ctx, newFake(), testCfg(), []Request{{PromptIDs: []int{1}}}, Decoding{MaxNewTokens: 3}, 0, func(int, Completion) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
	// An emit error stops the call: nothing is emitted after it.
	n := 0
	_, err := generate(context.Background(), newFake(), testCfg(), reqsOf(testPrompts, 0), Decoding{MaxNewTokens: 20}, 2, func(int, Completion) error {
		n++
		return boom
	})
	if !errors.Is(err, boom) || n != 1 {
		t.Errorf("emit error: %v after %d emits", err, n)
	}
	// A bad request is found before any step.
	f = newFake()
	if err := genErr(f, testCfg(), []Request{{PromptIDs: []int{1}}, {PromptIDs: []int{1, 2}}, {}}, Decoding{MaxNewTokens: 3}); err == nil || f.steps != 0 {
		t.Errorf("bad third request: %v after %d steps", err, f.steps)
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
			st := &constStep{kvPool: kvPool{shape: kvShape{tensors: 1, heads: 1, headDim: 1, elem: 1}}, logits: make([]float32, batch*vocab)}
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
				if _, err := generate(context.Background(), st, cfg, reqs, bc.dec, 0, func(int, Completion) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch*bc.dec.MaxNewTokens), "ns/token")
		})
	}
}

// constStep returns the same logits every step.
type constStep struct {
	kvPool
	logits []float32
}

func (s *constStep) begin(slots, maxLen int)   {}
func (s *constStep) alloc(rows, width int) *kv { return s.get(rows, width) }
func (s *constStep) release(c *kv)             { s.put(c) }
func (s *constStep) step(past *kv, ids, mask, positions []int64, seq int, last []int) ([]float32, *kv, error) {
	present := s.get(past.rows, past.width+seq)
	s.put(past)
	return s.logits[:past.rows*len(s.logits)/8], present, nil
}

// Chunked prefill (bounded logits) feeds each prompt in pieces of columns and gives the same results,
// for both layouts.
func TestGenerateChunkedPrefill(t *testing.T) {
	dec := Decoding{MaxNewTokens: 12}
	for _, gqa := range []bool{false, true} {
		cfg := testCfg()
		cfg.leftAligned = gqa
		whole, _, _ := runAll(t, newFakeStep(48, 2, 9, gqa), cfg, reqsOf(testPrompts, 0), dec, 3)
		for _, maxLogits := range []int{1, 48 * 3, 48 * 4} {
			cfg.vocab, cfg.maxPrefillLogits = 48, maxLogits
			rs := &recordStep{fakeStep: newFakeStep(48, 2, 9, gqa)}
			out, _, _ := runAll(t, rs, cfg, reqsOf(testPrompts, 0), dec, 3)
			for i := range out {
				if !sameResult(out[i], whole[i]) {
					t.Errorf("gqa %v max logits %d, row %d: chunked %v, whole %v", gqa, maxLogits, i, out[i].IDs, whole[i].IDs)
				}
			}
			if chunk := max(maxLogits/48, 1); rs.widths[0] != 0 || len(rs.ids[0]) > chunk*rs.rows[0] {
				t.Errorf("gqa %v max logits %d: the first step fed %d ids for %d rows, want chunks of at most %d", gqa, maxLogits, len(rs.ids[0]), rs.rows[0], chunk)
			}
		}
	}
}
