package runner

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
)

// sampler picks the next token of one sequence from its logits: greedy (argmax, lowest id on ties) when
// the temperature is 0, else seeded sampling after temperature, top-k and top-p (in that order, as
// Hugging Face does). Each sequence owns its sampler, seeded from its Request.Seed, and draws exactly one
// random number per sampled token, so its result does not depend on the other sequences of a batch.
type sampler struct {
	temperature, topP float64
	topK              int
	ban               idSet // ids never returned (nil = none)
	rng               *rand.Rand
	cand              []int32    // scratch: candidate ids
	prob              []float64  // scratch: their weights
	h                 topHeap    // scratch: top-k selection
	sel               []weighted // scratch: nucleus candidates
}

// pcgStream is the second PCG seed word; fixed so that a sequence's stream depends on its Seed only.
const pcgStream = 0x9e3779b97f4a7c15

// newSampler returns the sampler of one sequence; it never returns an id in ban (the logits ids the
// tokenizer cannot decode).
func newSampler(dec Decoding, seed uint64, ban idSet) *sampler {
	s := &sampler{temperature: dec.Temperature, topP: dec.TopP, topK: dec.TopK, ban: ban}
	if s.topP <= 0 || s.topP > 1 {
		s.topP = 1
	}
	if dec.Temperature > 0 {
		s.rng = rand.New(rand.NewPCG(seed, pcgStream))
	}
	return s
}

// argmax returns the index of the largest logit (the lowest index on ties; NaN never wins).
func argmax(logits []float32) int {
	best, bv := 0, float32(math.Inf(-1))
	for i, v := range logits {
		if v > bv {
			best, bv = i, v
		}
	}
	return best
}

// argmaxAllowed is argmax over the ids not in ban (the lowest allowed id when every allowed logit is
// NaN or -Inf).
func argmaxAllowed(logits []float32, ban idSet) int {
	best, first, bv := -1, -1, float32(math.Inf(-1))
	for i, v := range logits {
		if ban.has(i) {
			continue
		}
		if first < 0 {
			first = i
		}
		if v > bv {
			best, bv = i, v
		}
	}
	if best < 0 {
		return max(first, 0)
	}
	return best
}

// next returns the token to emit after logits (one row, [vocab]).
func (s *sampler) next(logits []float32) int {
	if s.rng == nil {
		best := argmax(logits)
		if s.ban.has(best) { // only then does the mask cost a second pass
			best = argmaxAllowed(logits, s.ban)
		}
		return best
	}
	// Candidates: the top k (any order), or every allowed token.
	s.cand = s.cand[:0]
	if s.topK > 0 && s.topK < len(logits) {
		s.h = s.h[:0]
		for i, v := range logits {
			if v != v || (s.ban != nil && s.ban.has(i)) { // NaN never wins, a banned id never comes
				continue
			}
			c := scored{int32(i), v}
			if len(s.h) < s.topK {
				s.h.push(c)
			} else if better(c, s.h[0]) {
				s.h[0] = c
				s.h.down(0)
			}
		}
		for _, x := range s.h {
			s.cand = append(s.cand, x.id)
		}
	} else {
		for i, v := range logits {
			if v != v || (s.ban != nil && s.ban.has(i)) {
				continue
			}
			s.cand = append(s.cand, int32(i))
		}
	}
	// Weights exp((logit-max)/T) (float64; the largest is 1) and their total.
	maxv := math.Inf(-1)
	for _, id := range s.cand {
		maxv = math.Max(maxv, float64(logits[id]))
	}
	if math.IsInf(maxv, -1) { // no candidate with a finite logit (a broken model): no draw, greedy's pick
		return argmaxAllowed(logits, s.ban)
	}
	s.prob = s.prob[:0]
	total := 0.0
	for _, id := range s.cand {
		p := math.Exp((float64(logits[id]) - maxv) / s.temperature)
		s.prob = append(s.prob, p)
		total += p
	}
	if s.topP < 1 {
		total = s.nucleus(logits, total)
	} else if s.topK > 0 && s.topK < len(logits) {
		// A fixed order (and sum), so that the draw does not depend on the heap's layout.
		s.sortCand(logits)
		total = 0
		for _, p := range s.prob {
			total += p
		}
	}
	u := s.rng.Float64() * total
	for i, p := range s.prob {
		u -= p
		if u < 0 {
			return int(s.cand[i])
		}
	}
	return int(s.cand[len(s.cand)-1])
}

// nucleus keeps, in s.cand/s.prob, the smallest prefix of the candidates sorted by logit (descending,
// id ascending on ties) whose weight reaches topP of total, and returns that prefix's weight. Only the
// candidates that can be in it are sorted: those whose weight is at least a threshold, lowered until
// their sum reaches topP (they are then a prefix of the sorted order that contains the nucleus).
func (s *sampler) nucleus(logits []float32, total float64) float64 {
	need := s.topP * total
	for t := 1e-3; ; t /= 64 {
		s.sel = s.sel[:0]
		sum := 0.0
		for j, p := range s.prob {
			if p >= t || t < 1e-300 {
				s.sel = append(s.sel, weighted{s.cand[j], p})
				sum += p
			}
		}
		if sum < need && t >= 1e-300 {
			continue
		}
		slices.SortFunc(s.sel, func(a, b weighted) int {
			if c := cmp.Compare(logits[b.id], logits[a.id]); c != 0 {
				return c
			}
			return cmp.Compare(a.id, b.id)
		})
		s.cand, s.prob = s.cand[:0], s.prob[:0]
		acc := 0.0
		for _, x := range s.sel {
			s.cand = append(s.cand, x.id)
			s.prob = append(s.prob, x.w)
			acc += x.w
			if acc >= need {
				break
			}
		}
		return acc
	}
}

func (s *sampler) sortCand(logits []float32) {
	s.sel = s.sel[:0]
	for j, id := range s.cand {
		s.sel = append(s.sel, weighted{id, s.prob[j]})
	}
	slices.SortFunc(s.sel, func(a, b weighted) int {
		if c := cmp.Compare(logits[b.id], logits[a.id]); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	for j, x := range s.sel {
		s.cand[j], s.prob[j] = x.id, x.w
	}
}

// weighted is a candidate with its weight.
type weighted struct {
	id int32
	w  float64
}

// scored is a candidate for top-k selection.
type scored struct {
	id int32
	v  float32
}

// better orders candidates: higher logit first, lower id on ties.
func better(a, b scored) bool { return a.v > b.v || (a.v == b.v && a.id < b.id) }

// topHeap is a min-heap (worst candidate on top) for top-k selection.
type topHeap []scored

func (h *topHeap) push(c scored) {
	*h = append(*h, c)
	for i := len(*h) - 1; i > 0; {
		p := (i - 1) / 2
		if !better((*h)[p], (*h)[i]) {
			break
		}
		(*h)[p], (*h)[i] = (*h)[i], (*h)[p]
		i = p
	}
}

// down moves h[i] down while one of its children ranks worse than it.
func (h topHeap) down(i int) {
	for {
		w := i
		for _, c := range []int{2*i + 1, 2*i + 2} {
			if c < len(h) && better(h[w], h[c]) {
				w = c
			}
		}
		if w == i {
			return
		}
		h[i], h[w] = h[w], h[i]
		i = w
	}
}

// idSet is a set of token ids, as a bitset (nil = empty).
type idSet []uint64

func (s idSet) has(id int) bool {
	w := id >> 6
	return id >= 0 && w < len(s) && s[w]&(1<<(uint(id)&63)) != 0
}

// add returns s with id added.
func (s idSet) add(id int) idSet {
	for len(s) <= id>>6 {
		s = append(s, 0)
	}
	s[id>>6] |= 1 << (uint(id) & 63)
	return s
}
