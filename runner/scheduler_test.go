package runner

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// workload is a long-tailed mix: prompts of 1 to 60 tokens, some repeated as k samples with their own
// seeds (k up to 9, more than most slot counts), in an order that puts long and short prompts side by
// side.
func workload() []Request {
	rng := rand.New(rand.NewPCG(7, 11))
	var reqs []Request
	for i := range 26 {
		n := 1 + rng.IntN(24)
		if i%6 == 3 {
			n = 40 + rng.IntN(21) // a prompt longer than any batch so far
		}
		p := make([]int, n)
		p[0] = 1
		for j := 1; j < n; j++ {
			p[j] = 3 + rng.IntN(40)
		}
		k := 1
		switch i % 7 {
		case 2:
			k = 3
		case 5:
			k = 9
		}
		for j := range k {
			reqs = append(reqs, Request{PromptIDs: p, Seed: uint64(1000*i + j)})
		}
	}
	return reqs
}

// placeStep records which batch row every prompt cache is copied into: a prefill cache is what a step
// from an empty cache returns, and what later chunks make of it.
type placeStep struct {
	*recordStep
	placed  map[int]int // batch row -> placements
	prefill map[*kv]bool
}

func (p *placeStep) step(past *kv, ids, mask, positions []int64, seq int, last []int) ([]float32, *kv, error) {
	fromPrefill := past.width == 0 || p.prefill[past]
	lg, c, err := p.recordStep.step(past, ids, mask, positions, seq, last)
	if err == nil {
		p.prefill[c] = fromPrefill
	}
	return lg, c, err
}

func (p *placeStep) alloc(rows, width int) *kv {
	c := p.recordStep.alloc(rows, width)
	p.prefill[c] = false // pooled: it may have been a prefill cache before
	return c
}

func (p *placeStep) copyCols(dst *kv, dr, dc int, src *kv, sr, sc, n int) {
	if p.prefill[src] && !p.prefill[dst] {
		p.placed[dr]++
	}
	p.recordStep.copyCols(dst, dr, dc, src, sr, sc, n)
}

// Every request gets exactly the completion it gets alone at batch 1, whatever the slots, for both
// layouts, greedy, sampled and with stop strings; rows finish at every length from the first token on,
// every slot is refilled, equal prompts are prefilled once, and the batch never carries many columns
// that no row uses.
func TestSchedulerEqualsAlone(t *testing.T) {
	reqs := workload()
	distinct := map[string]bool{}
	for _, r := range reqs {
		distinct[fmt.Sprint(r.PromptIDs)] = true
	}
	for _, gqa := range []bool{false, true} {
		cfg := testCfg()
		cfg.leftAligned = gqa
		for _, dec := range []Decoding{
			{MaxNewTokens: 30},
			{MaxNewTokens: 30, Temperature: 0.8, TopP: 0.9, TopK: 12},
			{MaxNewTokens: 40, Temperature: 1.1, StopStrings: []string{"STOP", "q "}},
		} {
			name := fmt.Sprintf("gqa=%v/T%g_stops%d", gqa, dec.Temperature, len(dec.StopStrings))
			alone := make([]Completion, len(reqs))
			for i, r := range reqs {
				out, _, _ := runAll(t, newFakeStep(48, 2, 6, gqa), cfg, []Request{r}, dec, 1)
				alone[i] = out[0]
			}
			lengths := map[int]bool{}
			for _, c := range alone {
				lengths[len(c.IDs)] = true
			}
			if !lengths[1] || !lengths[2] || len(lengths) < 10 {
				t.Fatalf("%s: the workload's completion lengths %v do not cover finishing at the first, second and many other steps", name, slices.Sorted(mapsKeys(lengths)))
			}
			for _, slots := range []int{1, 2, 3, 5, 8, 16, len(reqs)} {
				rs := &placeStep{recordStep: &recordStep{fakeStep: newFakeStep(48, 2, 6, gqa)}, placed: map[int]int{}, prefill: map[*kv]bool{}}
				out, stats, _ := runAll(t, rs, cfg, reqs, dec, slots)
				for i := range reqs {
					if !sameResult(out[i], alone[i]) {
						t.Errorf("%s slots %d: request %d: batched %v %q %s, alone %v %q %s", name, slots, i,
							out[i].IDs, out[i].Text, out[i].FinishReason, alone[i].IDs, alone[i].Text, alone[i].FinishReason)
					}
				}
				if stats.Prefills != len(distinct) {
					t.Errorf("%s slots %d: %d prefills for %d distinct prompts", name, slots, stats.Prefills, len(distinct))
				}
				if slots <= 8 { // with more slots, some rows hold one long request until the queue is empty
					for b := range slots {
						if rs.placed[b] < 2 {
							t.Errorf("%s slots %d: batch row %d was filled %d times, never refilled", name, slots, b, rs.placed[b])
						}
					}
				}
				checkShares(t, name, out, stats)
				checkDeadColumns(t, name, rs.recordStep, gqa)
			}
		}
	}
}

func mapsKeys(m map[int]bool) func(func(int) bool) {
	return func(yield func(int) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// checkShares: the sequences' shares add up to the call's decode steps, prefill tokens and (at most)
// wall time, and Generated counts every token.
func checkShares(t *testing.T, name string, out []Completion, st Stats) {
	t.Helper()
	var steps, prefill float64
	var wall time.Duration
	gen := 0
	for _, c := range out {
		steps += c.Share.DecodeSteps
		prefill += c.Share.PrefillTokens
		wall += c.Share.Wall
		gen += len(c.IDs)
	}
	if math.Abs(steps-float64(st.DecodeSteps)) > 1e-6 || math.Abs(prefill-float64(st.PrefillTokens)) > 1e-6 {
		t.Errorf("%s: shares add to %g steps and %g prefill tokens, the call had %d and %d", name, steps, prefill, st.DecodeSteps, st.PrefillTokens)
	}
	if wall > st.Wall || wall <= 0 {
		t.Errorf("%s: wall shares %v, call %v", name, wall, st.Wall)
	}
	if gen != st.Generated || len(st.StepTimes) != st.DecodeSteps {
		t.Errorf("%s: generated %d, stats %d; %d step times for %d steps", name, gen, st.Generated, len(st.StepTimes), st.DecodeSteps)
	}
	if u := st.SlotUtilization(); u <= 0 || u > 1 || u != float64(gen-len(out))/float64(st.DecodeSteps*st.Slots) {
		t.Errorf("%s: slot utilization %g", name, u)
	}
}

// checkDeadColumns: at every decode step, the columns that no row uses (on the left when right-aligned,
// on the right when left-aligned) are fewer than a quarter of the width (or 16).
func checkDeadColumns(t *testing.T, name string, rs *recordStep, gqa bool) {
	t.Helper()
	for s, ids := range rs.ids {
		rows, width := rs.rows[s], rs.widths[s]
		if len(ids) != rows || width == 0 { // a prefill
			continue
		}
		dead := width
		for r := range rows {
			m := rs.mask[s][r*(width+1) : (r+1)*(width+1)]
			unused := 0
			if gqa {
				for j := width - 1; j >= 0 && m[j] == 0; j-- {
					unused++
				}
			} else {
				for j := 0; j < width && m[j] == 0; j++ {
					unused++
				}
			}
			dead = min(dead, unused)
		}
		if dead >= max(16, width/4) {
			t.Fatalf("%s: step %d carries %d dead columns of %d", name, s, dead, width)
		}
	}
}

// With a context limit, the batch is compacted before a step would exceed it: rows of very different
// ages run side by side in a context barely larger than the longest of them.
func TestSchedulerStaysInContext(t *testing.T) {
	reqs := []Request{{PromptIDs: make([]int, 20)}, {PromptIDs: []int{1, 4}}, {PromptIDs: make([]int, 5)}, {PromptIDs: []int{1, 9, 9}}}
	for i := range reqs[0].PromptIDs {
		reqs[0].PromptIDs[i] = 3 + i
	}
	for i := range reqs[2].PromptIDs {
		reqs[2].PromptIDs[i] = 5 + i
	}
	for _, gqa := range []bool{false, true} {
		cfg := testCfg()
		cfg.leftAligned, cfg.contextLength, cfg.overflow = gqa, 30, OverflowTruncate
		dec := Decoding{MaxNewTokens: 40, EOSIDs: []int{-1}}
		alone := make([]Completion, len(reqs))
		for i, r := range reqs {
			f := newFakeStep(48, 2, 0, gqa)
			f.maxWidth = 30
			out, _, _ := runAll(t, f, cfg, []Request{r}, dec, 1)
			alone[i] = out[0]
		}
		f := newFakeStep(48, 2, 0, gqa)
		f.maxWidth = 30
		out, _, _ := runAll(t, f, cfg, reqs, dec, 2)
		for i := range reqs {
			if !sameResult(out[i], alone[i]) || len(out[i].IDs) != 30-len(reqs[i].PromptIDs) {
				t.Errorf("gqa %v request %d: %d ids %v, alone %v", gqa, i, len(out[i].IDs), out[i].IDs, alone[i].IDs)
			}
		}
	}
}

// Requests finish in the order their lengths dictate and are emitted as they finish, not at the end.
func TestSchedulerEmitsAsRowsFinish(t *testing.T) {
	f := newFakeStep(48, 2, 0, false)
	reqs := []Request{{PromptIDs: []int{1, 3}}, {PromptIDs: []int{1, 4}}, {PromptIDs: []int{1, 5}}}
	var stepsAt []int
	_, err := generate(t.Context(), f, testCfg(), reqs, Decoding{MaxNewTokens: 5, StopStrings: nil}, 2, func(i int, c Completion) error {
		stepsAt = append(stepsAt, f.steps)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Two rows run 4 decode steps after their (one) prefill; the third is prefilled when they finish.
	if want := []int{5, 5, 10}; !slices.Equal(stepsAt, want) {
		t.Errorf("emitted after steps %v, want %v", stepsAt, want)
	}
}
