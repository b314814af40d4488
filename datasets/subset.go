package datasets

import "sort"

// Select returns at most limit problems of ps (all of them when limit <= 0 or limit >= len(ps)).
//
// With seed == nil it takes the first limit problems in file order. With a seed it shuffles the
// indices 0..len(ps)-1 with a Fisher-Yates shuffle driven by SplitMix64(*seed) (j = next() % (i+1)
// for i from len-1 down to 1; fully specified here, so the choice is the same on every platform and Go
// version), takes the first limit of them, and returns those problems in file order. The same seed
// and file always give the same subset, and a larger limit with the same seed gives a superset.
//
// The returned slice is new; the problems are shared with ps (copy Meta before changing it).
func Select(ps []Problem, limit int, seed *uint64) []Problem {
	if limit <= 0 || limit >= len(ps) {
		return append([]Problem(nil), ps...)
	}
	if seed == nil {
		return append([]Problem(nil), ps[:limit]...)
	}
	idx := make([]int, len(ps))
	for i := range idx {
		idx[i] = i
	}
	rng := splitMix64{state: *seed}
	for i := len(idx) - 1; i > 0; i-- {
		j := int(rng.next() % uint64(i+1))
		idx[i], idx[j] = idx[j], idx[i]
	}
	pick := idx[:limit]
	sort.Ints(pick)
	out := make([]Problem, limit)
	for k, i := range pick {
		out[k] = ps[i]
	}
	return out
}

// splitMix64 is Steele, Lea and Flood's SplitMix64 generator (the seeding generator of xoshiro).
type splitMix64 struct{ state uint64 }

func (s *splitMix64) next() uint64 {
	s.state += 0x9e3779b97f4a7c15
	z := s.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
