package runner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The generation loop, in one place. A batch of prompts is left-padded to a common length:
//
//	row 0:  pad pad  p0  p1  p2 | g0 g1 ...      mask 0 0 1 1 1 | 1 1 ...   positions 0 0 0 1 2 | 3 4 ...
//	row 1:   q0  q1  q2  q3  q4 | h0 h1 ...      mask 1 1 1 1 1 | 1 1 ...   positions 0 1 2 3 4 | 5 6 ...
//
// The first step (prefill) feeds every prompt token; each later step feeds one token per row. The mask
// grows by one column per step; a row's position is the number of ones in its mask so far minus one
// (cumsum(mask)-1, clipped at 0 for the pads, which the mask hides anyway). The KV cache the graph
// returns as "present" is fed back as "past" at the next step. A finished row keeps feeding the pad
// token (its outputs are ignored) until every row has finished.

// stepper runs one forward step of a decoder graph: the ONNX Runtime session behind a small interface,
// so that the loop can be tested with a fake.
type stepper interface {
	// begin prepares for a batch of `batch` rows whose total length (padded prompt + new tokens) is at
	// most maxLen, before its first step.
	begin(batch, maxLen int) error
	// step feeds ids and positions [batch, seq] and mask [batch, past+seq]; past is the cache the
	// previous step returned (nil at the first step). It returns the logits of each row's last position
	// [batch, vocab] (valid until the next call) and the present cache.
	step(ids, mask, positions []int64, batch, seq int, past kvCache) (logits []float32, present kvCache, err error)
}

// kvCache is the KV cache a step returns; the loop only carries it to the next step.
type kvCache interface {
	// length is the number of positions it holds (padded prompt + tokens fed so far).
	length() int
}

// Overflow policies: what Generate does when a prompt plus MaxNewTokens exceeds the model's context.
const (
	OverflowError    = "error"    // fail the call with a clear error
	OverflowTruncate = "truncate" // generate fewer new tokens; the Completion ends with FinishLength early
)

// genConfig is what the loop needs besides the requests and decoding settings.
type genConfig struct {
	tok           Tokenizer // for completion text and stop strings
	eosIDs        []int     // used when Decoding.EOSIDs is empty
	padID         int       // fed for padding and finished rows
	contextLength int       // 0 = unknown (no check)
	overflow      string    // OverflowError or OverflowTruncate
	keepSpecial   bool      // decode special tokens into Completion.Text
	// maxPrefillLogits bounds the logits one prefill step may return (batch × chunk × vocab elements, with
	// vocab the model's): longer prompts are prefilled in chunks of columns. 0 = no bound.
	maxPrefillLogits int
	vocab            int
	banned           idSet // logits ids the tokenizer cannot decode: never sampled (nil = none)
}

// ErrContextOverflow is returned when prompt + max new tokens exceed the model's context under
// OverflowError, or when a prompt alone does not fit.
var ErrContextOverflow = errors.New("context length exceeded")

// ErrEmptyPrompt is returned for a request without prompt ids.
var ErrEmptyPrompt = errors.New("empty prompt (a sequence needs at least one token, e.g. BOS)")

// stopTailTokens is how many prompt tokens are decoded in front of the completion when checking stop
// strings after each token (the final text always uses the whole prompt).
const stopTailTokens = 8

// row is the state of one sequence during generation.
type row struct {
	prompt   []int
	budget   int // max new tokens for this row (MaxNewTokens, or less when truncated to the context)
	out      []int
	mask     []int64 // this row's attention mask so far
	ones     int64   // number of ones in mask
	finished bool
	reason   string
	ttft     time.Duration
	total    time.Duration
	sampler  *sampler
}

// generate runs reqs as one left-padded batch on st.
func generate(ctx context.Context, st stepper, cfg genConfig, reqs []Request, dec Decoding) ([]Completion, error) {
	if len(reqs) == 0 {
		return nil, nil
	}
	if dec.MaxNewTokens <= 0 {
		return nil, fmt.Errorf("MaxNewTokens must be positive, got %d", dec.MaxNewTokens)
	}
	eos := dec.EOSIDs
	if len(eos) == 0 {
		eos = cfg.eosIDs
	}
	batch := len(reqs)
	rows := make([]*row, batch)
	padded, maxNew := 0, 0
	for i, r := range reqs {
		if len(r.PromptIDs) == 0 {
			return nil, fmt.Errorf("request %d: %w", i, ErrEmptyPrompt)
		}
		budget := dec.MaxNewTokens
		if c := cfg.contextLength; c > 0 && len(r.PromptIDs)+budget > c {
			if len(r.PromptIDs) >= c || cfg.overflow != OverflowTruncate {
				return nil, fmt.Errorf("request %d: prompt of %d tokens + %d new tokens > context length %d: %w (shorten the prompt or max new tokens, or allow truncation)",
					i, len(r.PromptIDs), budget, c, ErrContextOverflow)
			}
			budget = c - len(r.PromptIDs)
		}
		rows[i] = &row{prompt: r.PromptIDs, budget: budget, sampler: newSampler(dec, r.Seed, cfg.banned)}
		padded = max(padded, len(r.PromptIDs))
		maxNew = max(maxNew, budget)
	}
	if err := st.begin(batch, padded+maxNew); err != nil {
		return nil, err
	}

	// Prefill: left-padded prompts, their mask and positions.
	ids := make([]int64, batch*padded)
	positions := make([]int64, batch*padded)
	for i, r := range rows {
		pad := padded - len(r.prompt)
		r.mask = make([]int64, padded, padded+maxNew)
		for j := 0; j < padded; j++ {
			if j < pad {
				ids[i*padded+j] = int64(cfg.padID)
				continue
			}
			ids[i*padded+j] = int64(r.prompt[j-pad])
			r.mask[j] = 1
			r.ones++
			positions[i*padded+j] = r.ones - 1
		}
	}
	mask := make([]int64, 0, batch*(padded+maxNew))
	mask = flatMask(mask, rows)

	start := time.Now()
	logits, cache, err := prefill(st, cfg, ids, mask, positions, batch, padded)
	if err != nil {
		return nil, err
	}
	next := make([]int64, batch)
	for {
		vocab := len(logits) / batch
		now := time.Since(start)
		done := true
		for i, r := range rows {
			if r.finished {
				continue
			}
			tok := r.sampler.next(logits[i*vocab : (i+1)*vocab])
			r.out = append(r.out, tok)
			if len(r.out) == 1 {
				r.ttft = now
			}
			r.total = now
			switch {
			case slices.Contains(eos, tok):
				r.finished, r.reason = true, FinishStop
			case len(dec.StopStrings) > 0 && stopInNewest(cfg, r, dec.StopStrings):
				r.finished, r.reason = true, FinishStop
			case len(r.out) >= r.budget:
				r.finished, r.reason = true, FinishLength
			}
			done = done && r.finished
		}
		if done {
			break
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		// Decode step: one token per row; finished rows feed the pad token.
		for i, r := range rows {
			next[i] = int64(cfg.padID)
			if !r.finished {
				next[i] = int64(r.out[len(r.out)-1])
			}
			r.mask = append(r.mask, 1)
			r.ones++
			positions[i] = r.ones - 1
		}
		mask = flatMask(mask, rows)
		logits, cache, err = st.step(next, mask, positions[:batch], batch, 1, cache)
		if err != nil {
			return nil, err
		}
	}

	out := make([]Completion, batch)
	for i, r := range rows {
		text := completionText(cfg, r.prompt, r.out)
		if k := stopIndex(text, dec.StopStrings); k >= 0 {
			text = text[:k]
		}
		out[i] = Completion{PromptIDs: slices.Clone(r.prompt), IDs: r.out, Text: text, FinishReason: r.reason, TTFT: r.ttft, Total: r.total}
	}
	return out, nil
}

// prefill feeds the padded prompts [batch, padded], in one step or, when the logits of one step would
// exceed cfg.maxPrefillLogits, in chunks of columns (the cache carries the earlier chunks).
func prefill(st stepper, cfg genConfig, ids, mask, positions []int64, batch, padded int) ([]float32, kvCache, error) {
	chunk := padded
	if cfg.maxPrefillLogits > 0 && cfg.vocab > 0 {
		chunk = min(max(cfg.maxPrefillLogits/(batch*cfg.vocab), 1), padded)
	}
	if chunk == padded {
		return st.step(ids, mask, positions, batch, padded, nil)
	}
	var logits []float32
	var cache kvCache
	var err error
	subIDs, subPos := make([]int64, 0, batch*chunk), make([]int64, 0, batch*chunk)
	subMask := make([]int64, 0, batch*padded)
	for c0 := 0; c0 < padded; c0 += chunk {
		c1 := min(c0+chunk, padded)
		subIDs, subPos, subMask = subIDs[:0], subPos[:0], subMask[:0]
		for r := range batch {
			subIDs = append(subIDs, ids[r*padded+c0:r*padded+c1]...)
			subPos = append(subPos, positions[r*padded+c0:r*padded+c1]...)
			subMask = append(subMask, mask[r*padded:r*padded+c1]...)
		}
		if logits, cache, err = st.step(subIDs, subMask, subPos, batch, c1-c0, cache); err != nil {
			return nil, nil, err
		}
	}
	return logits, cache, nil
}

// flatMask lays out the rows' masks as one [batch, width] slice, reusing dst.
func flatMask(dst []int64, rows []*row) []int64 {
	dst = dst[:0]
	for _, r := range rows {
		dst = append(dst, r.mask...)
	}
	return dst
}

// completionText is decode(prompt+completion) minus decode(prompt): exactly the text the completion
// adds, so that prompt text + completion text is the decoded whole (a SentencePiece tokenizer does not
// lose the space before the first generated word). When the prompt's text is not a prefix of the whole
// (a tokenizer whose decoding is not concatenative), it falls back to decode(completion).
func completionText(cfg genConfig, prompt, completion []int) string {
	skip := !cfg.keepSpecial
	all := make([]int, 0, len(prompt)+len(completion))
	all = append(append(all, prompt...), completion...)
	whole := cfg.tok.Decode(all, skip)
	if p := cfg.tok.Decode(prompt, skip); strings.HasPrefix(whole, p) {
		return whole[len(p):]
	}
	return cfg.tok.Decode(completion, skip)
}

// stopInNewest reports whether a stop string occurs in the text of r's newest tokens. It is checked
// after every token, so a stop string first appears at the end: decoding the last len(stop)+
// stopTailTokens completion tokens (each token adds at least one byte of text, or completes a character
// begun by earlier ones) after stopTailTokens tokens of context finds it, at a cost that does not grow
// with the completion.
func stopInNewest(cfg genConfig, r *row, stops []string) bool {
	n := stopTailTokens
	for _, s := range stops {
		n = max(n, len(s)+stopTailTokens)
	}
	if len(r.out) <= n {
		return stopIndex(completionText(cfg, tail(r.prompt, stopTailTokens), r.out), stops) >= 0
	}
	newest := r.out[len(r.out)-n:]
	before := r.out[:len(r.out)-n]
	context := tail(before, stopTailTokens)
	if len(context) < stopTailTokens {
		context = append(slices.Clone(tail(r.prompt, stopTailTokens-len(context))), context...)
	}
	return stopIndex(completionText(cfg, context, newest), stops) >= 0
}

// stopIndex returns the end (exclusive) of the earliest stop string in text, or -1.
func stopIndex(text string, stops []string) int {
	best := -1
	for _, s := range stops {
		if s == "" {
			continue
		}
		if k := strings.Index(text, s); k >= 0 && (best < 0 || k+len(s) < best) {
			best = k + len(s)
		}
	}
	return best
}

func tail(ids []int, n int) []int { return ids[max(0, len(ids)-n):] }
