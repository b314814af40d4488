package runner

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

func TestArgmaxTiesAndNaN(t *testing.T) {
	nan := float32(math.NaN())
	for _, c := range []struct {
		l    []float32
		want int
	}{{[]float32{1, 3, 3, 2}, 1}, {[]float32{nan, 0, -1}, 1}, {[]float32{-5}, 0}} {
		if got := argmax(c.l); got != c.want {
			t.Errorf("argmax(%v) = %d, want %d", c.l, got, c.want)
		}
	}
}

func TestSamplerGreedyLimits(t *testing.T) {
	logits := []float32{0.1, 2, 1.9, -3, 0.5}
	for _, dec := range []Decoding{{}, {Temperature: 1, TopK: 1}, {Temperature: 1, TopP: 1e-9}} {
		s := newSampler(dec, 7, nil)
		for range 50 {
			if got := s.next(logits); got != 1 {
				t.Fatalf("%+v: got %d, want the argmax 1", dec, got)
			}
		}
	}
}

// Sampled frequencies follow softmax(logits/T) restricted by top-k / top-p.
func TestSamplerDistribution(t *testing.T) {
	logits := []float32{2, 1, 0, -1, 0.5}
	softmax := func(temp float64, keep []int) []float64 {
		p := make([]float64, len(logits))
		sum := 0.0
		for _, i := range keep {
			p[i] = math.Exp(float64(logits[i]) / temp)
			sum += p[i]
		}
		for i := range p {
			p[i] /= sum
		}
		return p
	}
	for _, c := range []struct {
		dec  Decoding
		want []float64
	}{
		{Decoding{Temperature: 1}, softmax(1, []int{0, 1, 2, 3, 4})},
		{Decoding{Temperature: 0.5}, softmax(0.5, []int{0, 1, 2, 3, 4})},
		{Decoding{Temperature: 1, TopK: 2}, softmax(1, []int{0, 1})},
		// softmax(1) = 0.563, 0.207, 0.076, 0.028, 0.126: sorted 0,1,4,2,3 with cumulative 0.563, 0.770,
		// 0.896: top-p 0.7 keeps {0,1}, 0.8 keeps {0,1,4} (the token that crosses p is kept).
		{Decoding{Temperature: 1, TopP: 0.7}, softmax(1, []int{0, 1})},
		{Decoding{Temperature: 1, TopP: 0.8}, softmax(1, []int{0, 1, 4})},
		{Decoding{Temperature: 1, TopP: 0.9, TopK: 2}, softmax(1, []int{0, 1})},
	} {
		s := newSampler(c.dec, 42, nil)
		const n = 100000
		counts := make([]float64, len(logits))
		for range n {
			counts[s.next(logits)]++
		}
		for i := range counts {
			got := counts[i] / n
			if math.Abs(got-c.want[i]) > 0.008 {
				t.Errorf("%+v: token %d frequency %.4f, want %.4f", c.dec, i, got, c.want[i])
			}
		}
	}
}

func TestSamplerSeeded(t *testing.T) {
	logits := make([]float32, 100)
	for i := range logits {
		logits[i] = float32(i%7) / 3
	}
	seq := func(seed uint64) []int {
		s := newSampler(Decoding{Temperature: 1, TopP: 0.95}, seed, nil)
		out := make([]int, 30)
		for i := range out {
			out[i] = s.next(logits)
		}
		return out
	}
	a, b, c := seq(1), seq(1), seq(2)
	same := func(x, y []int) bool {
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	}
	if !same(a, b) {
		t.Error("same seed, different samples")
	}
	if same(a, c) {
		t.Error("different seeds, same 30 samples")
	}
}

// referenceNext is the plain definition: sort every candidate by logit, cut to top-k, weigh, cut to top-p.
func referenceNext(dec Decoding, rng interface{ Float64() float64 }, logits []float32) int {
	ids := make([]int, len(logits))
	for i := range ids {
		ids[i] = i
	}
	topP := dec.TopP
	if topP <= 0 || topP > 1 {
		topP = 1
	}
	sorted := dec.TopK > 0 && dec.TopK < len(logits) || topP < 1
	if sorted {
		sort.SliceStable(ids, func(a, b int) bool { return logits[ids[a]] > logits[ids[b]] })
		if dec.TopK > 0 && dec.TopK < len(ids) {
			ids = ids[:dec.TopK]
		}
	}
	maxv := math.Inf(-1)
	for _, id := range ids {
		maxv = math.Max(maxv, float64(logits[id]))
	}
	w := make([]float64, len(ids))
	total := 0.0
	for i, id := range ids {
		w[i] = math.Exp((float64(logits[id]) - maxv) / dec.Temperature)
		total += w[i]
	}
	if topP < 1 {
		need, acc := topP*total, 0.0
		for i := range w {
			acc += w[i]
			if acc >= need {
				ids, w = ids[:i+1], w[:i+1]
				break
			}
		}
		total = acc
	}
	u := rng.Float64() * total
	for i := range w {
		u -= w[i]
		if u < 0 {
			return ids[i]
		}
	}
	return ids[len(ids)-1]
}

// The optimized sampler (heap top-k, thresholded nucleus) draws exactly what the plain definition draws.
func TestSamplerMatchesReference(t *testing.T) {
	gen := rand.New(rand.NewPCG(1, 2))
	for trial := range 40 {
		vocab := 50 + gen.IntN(3000)
		logits := make([]float32, vocab)
		peak := gen.Float64() * 30
		for i := range logits {
			logits[i] = float32(gen.NormFloat64() * 2)
			if gen.IntN(50) == 0 {
				logits[i] = float32(peak) // some ties and a peaked distribution
			}
		}
		dec := Decoding{Temperature: 0.3 + gen.Float64()*1.5}
		switch trial % 4 {
		case 1:
			dec.TopK = 1 + gen.IntN(100)
		case 2:
			dec.TopP = 0.5 + gen.Float64()*0.5
		case 3:
			dec.TopK, dec.TopP = 1+gen.IntN(200), 0.3+gen.Float64()*0.7
		}
		if trial == 0 {
			// The nucleus needs tokens far below the first threshold: the thresholded search must widen.
			for i := range logits {
				logits[i] = 0
			}
			logits[7] = 10
			dec = Decoding{Temperature: 1, TopP: 0.95}
		}
		s := newSampler(dec, uint64(trial), nil)
		ref := rand.New(rand.NewPCG(uint64(trial), pcgStream))
		for k := range 30 {
			if got, want := s.next(logits), referenceNext(dec, ref, logits); got != want {
				t.Fatalf("trial %d (%+v, vocab %d) draw %d: got %d, want %d", trial, dec, vocab, k, got, want)
			}
		}
	}
}

// A banned id (one the tokenizer cannot decode) is never returned, greedy or sampled, even when it has
// the largest logit; ids that are not banned are returned as without a ban.
func TestSamplerNeverReturnsBanned(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const vocab = 300
	logits := make([]float32, vocab)
	for trial := range 300 {
		for i := range logits {
			logits[i] = float32(r.NormFloat64() * 3)
		}
		var ban idSet
		switch trial % 4 {
		case 0: // the argmax and its neighbours
			best := argmax(logits)
			for id := max(best-3, 0); id < min(best+4, vocab); id++ {
				ban = ban.add(id)
			}
		case 1: // a padded tail, with the largest logit in it
			for id := 200; id < vocab; id++ {
				ban = ban.add(id)
			}
			logits[250] = 100
		case 2: // all but one
			for id := range vocab {
				if id != 17 {
					ban = ban.add(id)
				}
			}
		case 3: // random holes; some logits NaN or -Inf
			for id := range vocab {
				if r.IntN(3) == 0 {
					ban = ban.add(id)
				}
			}
			logits[r.IntN(vocab)] = float32(math.NaN())
			logits[r.IntN(vocab)] = float32(math.Inf(-1))
		}
		for _, dec := range []Decoding{{}, {Temperature: 0.7}, {Temperature: 1, TopK: 5}, {Temperature: 1.3, TopP: 0.9}, {Temperature: 2, TopK: 40, TopP: 0.5}} {
			s := newSampler(dec, uint64(trial), ban)
			for range 5 {
				if id := s.next(logits); ban.has(id) || id < 0 || id >= vocab {
					t.Fatalf("trial %d %+v: returned banned id %d", trial, dec, id)
				}
			}
		}
		if trial%4 == 2 {
			if id := newSampler(Decoding{}, 1, ban).next(logits); id != 17 {
				t.Fatalf("all but 17 banned: greedy gave %d", id)
			}
		}
	}
	// A NaN first allowed logit does not win over finite ones.
	nan := []float32{9, float32(math.NaN()), 1, 3}
	var ban0 idSet
	if id := newSampler(Decoding{}, 1, ban0.add(0)).next(nan); id != 3 {
		t.Errorf("NaN first: greedy gave %d, want 3", id)
	}
	// Without a ban, and with a ban that does not touch the winner, greedy is plain argmax.
	for i := range logits {
		logits[i] = float32(i % 97)
	}
	var far idSet
	far = far.add(0)
	if a, b := newSampler(Decoding{}, 1, nil).next(logits), newSampler(Decoding{}, 1, far).next(logits); a != argmax(logits) || b != a {
		t.Errorf("greedy %d / %d, argmax %d", a, b, argmax(logits))
	}
}
