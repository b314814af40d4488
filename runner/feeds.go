package runner

import (
	"fmt"
	"slices"
)

// This file decides, from the graph's contract alone, what a step feeds besides input_ids,
// attention_mask, position_ids and the past, which graph a split pair runs, and which positions the
// logits output covers. Every stepper (session.go's, or one that binds I/O on a device) calls
// feedsFor and logitsRow, so that a graph is fed the same way whatever runs it.

// Extra input kinds: graph inputs outside the decoder's core contract that the runner feeds itself,
// each with the one value that is correct for a step.
const (
	// ExtraUseCacheBranch is optimum's merged decoder's bool use_cache_branch [1]: false for a step from
	// an empty cache (the graph's no-cache branch; the past inputs are then empty, [batch, kv_heads, 0,
	// head_dim]), true when there is a past.
	ExtraUseCacheBranch = "use_cache_branch"
	// ExtraLogitsToKeep is num_logits_to_keep / logits_to_keep, an int64 (or int32) scalar or [1]: how
	// many of the last positions fed get logits (transformers' semantics; 0 = all). The runner feeds the
	// fewest that cover the positions it reads: 1 for a decode step and for a prefill whose rows all end
	// at the last column; more for a right-padded GroupQueryAttention prefill whose rows end earlier.
	ExtraLogitsToKeep = "logits_to_keep"
	// ExtraCachePosition is transformers' cache_position, int64 [seq] (or [batch, seq]): the cache
	// columns of the positions fed, past..past+seq-1, from which such a graph builds its causal mask. The
	// scheduler aligns every row's new positions in the same columns, so one vector serves all rows; each
	// row's own positions go to position_ids (a cache_position graph must have them).
	ExtraCachePosition = "cache_position"
)

// extraNames maps graph input names to their kinds.
var extraNames = map[string]string{
	"use_cache_branch":   ExtraUseCacheBranch,
	"num_logits_to_keep": ExtraLogitsToKeep,
	"logits_to_keep":     ExtraLogitsToKeep,
	"cache_position":     ExtraCachePosition,
}

// ExtraInput is a graph input that the runner feeds with a value of its own (the Extra* kinds).
type ExtraInput struct {
	Name string  `json:"name"`
	Kind string  `json:"kind"`
	Type string  `json:"type"`
	Dims []int64 `json:"dims"`
}

// matchExtra checks a graph input against the extra inputs the runner knows: ok reports whether its
// name is one of them, and problem (when not "") why it cannot be fed as declared.
func matchExtra(t TensorInfo) (e ExtraInput, ok bool, problem string) {
	kind, ok := extraNames[t.Name]
	if !ok {
		return e, false, ""
	}
	e = ExtraInput{Name: t.Name, Kind: kind, Type: t.Type, Dims: t.Dims}
	oneOrScalar := len(t.Dims) == 0 || (len(t.Dims) == 1 && (t.Dims[0] == 1 || t.Dims[0] < 0))
	switch kind {
	case ExtraUseCacheBranch:
		if t.Type != "bool" || !oneOrScalar {
			return e, true, fmt.Sprintf("input %s: want bool [1] (optimum's use_cache_branch)", t)
		}
	case ExtraLogitsToKeep:
		if (t.Type != "int64" && t.Type != "int32") || !oneOrScalar {
			return e, true, fmt.Sprintf("input %s: want an int64 scalar or [1] (the number of last positions that get logits)", t)
		}
	case ExtraCachePosition:
		if (t.Type != "int64" && t.Type != "int32") || (len(t.Dims) != 1 && len(t.Dims) != 2) {
			return e, true, fmt.Sprintf("input %s: want int64 [seq] or [batch, seq] (the cache columns of the positions fed)", t)
		}
	}
	return e, true, ""
}

// stepFeeds is what one step feeds and reads besides input_ids, attention_mask, position_ids and the
// past.
type stepFeeds struct {
	// First: the step runs on the split pair's first-step graph (Contract.First, no past inputs).
	First bool
	// Inputs are the inputs of the graph that runs, in the graph's order.
	Inputs []TensorInfo
	// Extra holds the value of each extra input among them, by name.
	Extra map[string]extraValue
	// LogitsShape is the shape of the logits output for this step: [rows, Covered, vocab], or [rows,
	// vocab] for a graph whose logits have no sequence axis.
	LogitsShape []int64
	// Covered is how many of the step's last positions the logits hold: logits row j is position
	// seq-Covered+j of the positions fed.
	Covered int
}

// extraValue is one extra input's value: Type bool (Bool) or int64 / int32 (Int; a stepper converts
// to int32 for an int32 input).
type extraValue struct {
	Type  string
	Shape []int64
	Bool  []bool
	Int   []int64
}

// feedsFor decides a step of rows x seq new positions after a past of width columns (width 0: the
// first step, from an empty cache), whose logits are read at positions last[r] of the seq fed (nil:
// seq-1 in every row). It fails when the graph cannot give those logits (its logits cover only the
// last position).
func (c *Contract) feedsFor(rows, width, seq int, last []int) (stepFeeds, error) {
	f := stepFeeds{Inputs: c.Inputs, Covered: seq, Extra: map[string]extraValue{}}
	extras, lastOnly, rank := c.Extra, c.LogitsLastOnly, c.LogitsRank
	if width == 0 && c.First != nil {
		f.First, f.Inputs = true, c.First.Inputs
		extras, lastOnly, rank = c.First.Extra, c.First.LogitsLastOnly, c.First.LogitsRank
	}
	lo := seq - 1 // the earliest position read
	for _, p := range last {
		lo = min(lo, p)
	}
	if lo < 0 || (len(last) > 0 && slices.Max(last) >= seq) {
		return f, fmt.Errorf("logits asked at positions %v of a step of %d", last, seq)
	}
	hasKeep := false
	for _, e := range extras {
		v := extraValue{Type: e.Type}
		switch e.Kind {
		case ExtraUseCacheBranch:
			v.Bool = []bool{width > 0}
			v.Shape = shapeLike(e.Dims, 1)
		case ExtraLogitsToKeep:
			hasKeep = true
			f.Covered = seq - lo
			v.Int = []int64{int64(f.Covered)}
			v.Shape = shapeLike(e.Dims, 1)
		case ExtraCachePosition:
			cols := make([]int64, 0, seq)
			for j := range seq {
				cols = append(cols, int64(width+j))
			}
			if len(e.Dims) == 2 {
				v.Shape = []int64{int64(rows), int64(seq)}
				for range rows {
					v.Int = append(v.Int, cols...)
				}
			} else {
				v.Shape, v.Int = []int64{int64(seq)}, cols
			}
		}
		f.Extra[e.Name] = v
	}
	if lastOnly && !hasKeep {
		if lo != seq-1 {
			return f, fmt.Errorf("the graph's logits cover only the last position fed, but position %d of %d was asked: %w", lo, seq, errLastOnly)
		}
		f.Covered = 1
	}
	f.LogitsShape = []int64{int64(rows), int64(f.Covered), int64(c.Vocab)}
	if rank == 2 {
		f.LogitsShape = []int64{int64(rows), int64(c.Vocab)}
	}
	return f, nil
}

// errLastOnly marks a step that asked a last-position-only graph for an earlier position's logits
// (the scheduler never does: genConfig.lastLogitsOnly keeps such prefills to one row).
var errLastOnly = fmt.Errorf("a graph whose logits cover only the last position cannot give another position's")

// logitsRow is the row of the step's logits output that holds position pos of the seq fed.
func (f stepFeeds) logitsRow(pos, seq int) (int, error) {
	j := pos - (seq - f.Covered)
	if pos >= seq || j < 0 || j >= f.Covered {
		return 0, fmt.Errorf("logits of position %d asked, the step's logits cover positions %d..%d of %d", pos, seq-f.Covered, seq-1, seq)
	}
	return j, nil
}

// shapeLike is the shape of a value of n elements for an input declared with dims (a scalar for
// rank 0, [n] for rank 1).
func shapeLike(dims []int64, n int) []int64 {
	if len(dims) == 0 {
		return []int64{}
	}
	return []int64{int64(n)}
}

// lastOnly reports whether a graph the runner prefills with (the first-step graph of a split pair, or
// the main graph for later chunks) gives the logits of the last position only.
func (c *Contract) lastOnly() bool {
	return c.LogitsLastOnly || (c.First != nil && c.First.LogitsLastOnly)
}
