package runner

import (
	"cmp"
	"container/heap"
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
	rng               *rand.Rand
	cand              []int32   // scratch: candidate ids
	prob              []float64 // scratch: their weights
	h                 topHeap   // scratch: top-k selection
}

// pcgStream is the second PCG seed word; fixed so that a sequence's stream depends on its Seed only.
const pcgStream = 0x9e3779b97f4a7c15

func newSampler(dec Decoding, seed uint64) *sampler {
	s := &sampler{temperature: dec.Temperature, topP: dec.TopP, topK: dec.TopK}
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

// next returns the token to emit after logits (one row, [vocab]).
func (s *sampler) next(logits []float32) int {
	if s.rng == nil {
		return argmax(logits)
	}
	// Candidates, sorted by logit descending (id ascending on ties) whenever top-k or top-p needs an order.
	s.cand = s.cand[:0]
	switch {
	case s.topK > 0 && s.topK < len(logits):
		s.h = s.h[:0]
		for i, v := range logits {
			if len(s.h) < s.topK {
				heap.Push(&s.h, scored{int32(i), v})
			} else if better(scored{int32(i), v}, s.h[0]) {
				s.h[0] = scored{int32(i), v}
				heap.Fix(&s.h, 0)
			}
		}
		for _, x := range s.h {
			s.cand = append(s.cand, x.id)
		}
		s.sortCand(logits)
	default:
		for i := range logits {
			s.cand = append(s.cand, int32(i))
		}
		if s.topP < 1 {
			s.sortCand(logits)
		}
	}
	// Softmax with temperature over the candidates (float64, max-subtracted).
	maxv := math.Inf(-1)
	for _, id := range s.cand {
		maxv = math.Max(maxv, float64(logits[id]))
	}
	s.prob = s.prob[:0]
	total := 0.0
	for _, id := range s.cand {
		p := math.Exp((float64(logits[id]) - maxv) / s.temperature)
		s.prob = append(s.prob, p)
		total += p
	}
	// Top-p: the smallest prefix whose probability reaches topP.
	if s.topP < 1 {
		acc := 0.0
		for i, p := range s.prob {
			acc += p
			if acc >= s.topP*total {
				s.prob, s.cand = s.prob[:i+1], s.cand[:i+1]
				total = acc
				break
			}
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

func (s *sampler) sortCand(logits []float32) {
	slices.SortFunc(s.cand, func(a, b int32) int {
		if c := cmp.Compare(logits[b], logits[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
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

func (h topHeap) Len() int           { return len(h) }
func (h topHeap) Less(i, j int) bool { return better(h[j], h[i]) }
func (h topHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *topHeap) Push(x any)        { *h = append(*h, x.(scored)) }
func (h *topHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
