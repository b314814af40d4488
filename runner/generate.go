package runner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unsafe"
)

// The generation loop, in one place: an in-flight batching scheduler.
//
// A call takes all of a task's requests and keeps up to `slots` of them decoding at once. Each distinct
// prompt is prefilled once, when its first request is about to get a row: the k samples of a problem
// share that prefill and each takes a copy of its cache. The prompts admitted together are prefilled
// together, in batches of similar lengths (padded as below; in chunks of columns when the logits would
// be too large). A new row's first token comes from its prefill's logits; its cache is then copied into
// a row of the batch cache, and every decode step feeds one token per live row. A row that finishes (EOS, a stop string, its token budget)
// is emitted at once; the next waiting request takes its place, or, when none waits, the row is
// dropped, so no step computes a finished row.
//
// Rows have different lengths. The batch cache is [rows, kv_heads, width, head_dim]; row b keeps its
// n_b positions in one run of columns, placed so that its mask and positions are exactly those it has
// alone (the other columns are masked out):
//
//	graphs with position_ids: right-aligned, pads on the left (n_0 = 4, n_1 = 6, width 6)
//	  row 0:  .  .  p0 p1 p2 g0 | g1     mask 0 0 1 1 1 1 | 1    position of g1: 4
//	  row 1:  q0 q1 q2 q3 q4 h0 | h1     mask 1 1 1 1 1 1 | 1    position of h1: 6
//
//	graphs without position_ids (onnxruntime-genai's GroupQueryAttention): left-aligned, each row's
//	keys are its first seqlens_k+1 columns, with seqlens_k = sum(mask)-1 computed by the graph, which
//	writes the new key at column n_b and derives the position n_b itself
//	  row 0:  p0 p1 p2 g0 .  .  | g1     mask 1 1 1 1 1 0 0
//	  row 1:  q0 q1 q2 q3 q4 h0 | h1     mask 1 1 1 1 1 1 1
//
// The width grows by one per step. Columns that no live row uses (right-aligned: on the left, once
// the longest row is gone; left-aligned: on the right) are dropped by copying the rows into a narrower
// cache when they reach a quarter of the width, so the past stays about as long as the longest live
// row. A prompt longer than the current width widens the cache the same way.

// stepper runs the decoder graph and moves its KV cache: the ONNX Runtime session behind a small
// interface, so that the loop can be tested with a fake.
type stepper interface {
	// begin says how many rows the batch of the next call will reach and how long its longest row can
	// grow (prompt + max new tokens), for buffer sizing.
	begin(slots, maxLen int)
	// alloc returns a cache of rows x width positions with undefined (finite) contents.
	alloc(rows, width int) *kv
	// release gives a cache back for reuse (nil is ignored).
	release(c *kv)
	// fits reports whether c can take the shape rows x width in place, keeping each row's columns where
	// they are (a new width only when rows are left-aligned and the stepper's buffers allow it); reshape
	// then changes its shape (new rows undefined).
	fits(c *kv, rows, width int) bool
	reshape(c *kv, rows, width int)
	// copyCols copies n positions of every cache tensor from src row sr, column sc, to dst row dr,
	// column dc.
	copyCols(dst *kv, dr, dc int, src *kv, sr, sc, n int)
	// step feeds ids and positions [rows, seq] and mask [rows, width+seq] after the past cache (rows x
	// width). It consumes past and returns the logits [rows, vocab] of each row's position last[r] of the
	// seq fed (nil: the last, seq-1), valid until the next call, and the present cache (rows x
	// width+seq).
	step(past *kv, ids, mask, positions []int64, seq int, last []int) (logits []float32, present *kv, err error)
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
	padID         int       // fed as the id of masked columns (never seen by a row)
	contextLength int       // 0 = unknown (no check)
	overflow      string    // OverflowError or OverflowTruncate
	keepSpecial   bool      // decode special tokens into Completion.Text
	// leftAligned lays rows out for graphs without position_ids (see above).
	leftAligned bool
	// lastLogitsOnly: the graph's logits cover only the last position fed, so a prefill whose rows end
	// at different columns (right-padded, left-aligned rows) cannot read each row's last logits: such
	// prefills are made of one row.
	lastLogitsOnly bool
	// maxPrefillLogits bounds the logits one prefill step may return (chunk × vocab elements, with vocab
	// the model's): longer prompts are prefilled in chunks of columns. 0 = no bound.
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

// seqState is one request while it runs.
type seqState struct {
	req     int // index into the call's requests
	prompt  []int
	budget  int // max new tokens (MaxNewTokens, or less when truncated to the context)
	out     []int
	n       int // positions in the cache: prompt + generated tokens fed back
	sampler *sampler
	reason  string
	// start is its admission minus the duration of the prefill that gave its prompt's cache (shared by
	// the requests with that prompt, and by the prompts prefilled in the same batch): TTFT counts that
	// prefill as its own, not the wait before it. first and last are when its first and last tokens came.
	start, first, last time.Time
}

// prefix is a prefilled prompt waiting for the requests that share it: its n positions are row `row`
// of a prefill batch's cache, from column off.
type prefix struct {
	pb       *prefillBatch
	row, off int
	logits   []float32 // its last position's logits [vocab]
	dur      time.Duration
	pending  int // requests with this prompt not yet admitted
}

// prefillBatch is the cache of prompts prefilled together, kept while one of them is wanted.
type prefillBatch struct {
	cache *kv
	users int // prompts of the batch still wanted
}

// scheduler is the state of one generate call.
type scheduler struct {
	st    stepper
	cfg   genConfig
	dec   Decoding
	eos   []int
	slots int
	reqs  []Request
	seqs  []*seqState // per request, made at validation
	emit  func(int, Completion) error

	next   int                // the next request to admit
	rows   []*seqState        // live rows; rows[b] is batch row b
	cache  *kv                // the batch cache (nil when no row is live)
	keys   []string           // per request: its prompt's key in prefix
	prefix map[string]*prefix // prefilled prompts still wanted
	group  map[string]int     // requests per prompt

	shares []Share // per request
	mark   time.Time
	stats  Stats

	// scratch for decode steps
	ids, mask, positions []int64
}

// generate runs reqs with at most slots rows decoding at once (slots <= 0: all at once) and calls emit
// with each request's index and completion as soon as it finishes. It returns the call's statistics.
func generate(ctx context.Context, st stepper, cfg genConfig, reqs []Request, dec Decoding, slots int, emit func(int, Completion) error) (Stats, error) {
	s := &scheduler{st: st, cfg: cfg, dec: dec, eos: dec.EOSIDs, reqs: reqs, emit: emit,
		prefix: map[string]*prefix{}, group: map[string]int{}}
	if len(s.eos) == 0 {
		s.eos = cfg.eosIDs
	}
	if err := s.validate(); err != nil || len(reqs) == 0 {
		return Stats{}, err
	}
	s.slots = len(reqs)
	if slots > 0 {
		s.slots = min(slots, len(reqs))
	}
	s.stats.Slots, s.stats.Sequences = s.slots, len(reqs)
	maxLen := 0
	for _, q := range s.seqs {
		maxLen = max(maxLen, len(q.prompt)+q.budget)
	}
	st.begin(s.slots, maxLen)
	t0 := time.Now()
	s.mark = t0
	err := s.run(ctx)
	s.stats.Wall = time.Since(t0)
	for k := range s.prefix {
		s.drop(k)
	}
	st.release(s.cache)
	s.cache = nil
	return s.stats, err
}

// validate checks every request before any work, sizes its budget and groups equal prompts.
func (s *scheduler) validate() error {
	if len(s.reqs) > 0 && s.dec.MaxNewTokens <= 0 {
		return fmt.Errorf("MaxNewTokens must be positive, got %d", s.dec.MaxNewTokens)
	}
	s.seqs = make([]*seqState, len(s.reqs))
	s.keys = make([]string, len(s.reqs))
	s.shares = make([]Share, len(s.reqs))
	for i, r := range s.reqs {
		if len(r.PromptIDs) == 0 {
			return fmt.Errorf("request %d: %w", i, ErrEmptyPrompt)
		}
		budget := s.dec.MaxNewTokens
		if c := s.cfg.contextLength; c > 0 && len(r.PromptIDs)+budget > c {
			if len(r.PromptIDs) >= c || s.cfg.overflow != OverflowTruncate {
				return fmt.Errorf("request %d: prompt of %d tokens + %d new tokens > context length %d: %w (shorten the prompt or max new tokens, or allow truncation)",
					i, len(r.PromptIDs), budget, c, ErrContextOverflow)
			}
			budget = c - len(r.PromptIDs)
		}
		s.seqs[i] = &seqState{req: i, prompt: r.PromptIDs, budget: budget}
		s.keys[i] = string(unsafe.Slice((*byte)(unsafe.Pointer(&r.PromptIDs[0])), len(r.PromptIDs)*int(unsafe.Sizeof(r.PromptIDs[0]))))
		s.group[s.keys[i]]++
	}
	return nil
}

// run is the loop: admit waiting requests into free rows, decode one step for every live row, finish
// rows; until every request has finished.
func (s *scheduler) run(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.admit(ctx); err != nil {
			return err
		}
		if len(s.rows) == 0 {
			return nil // every request finished
		}
		if err := s.decode(); err != nil {
			return err
		}
	}
}

// admit fills free rows with waiting requests, in order: first the rows that finished in the last step
// (holes), then new rows up to slots. Holes left when no request waits are closed.
func (s *scheduler) admit(ctx context.Context) error {
	for s.next < len(s.reqs) {
		b := slices.Index(s.rows, nil)
		free := s.slots - len(s.rows)
		for _, q := range s.rows {
			if q == nil {
				free++
			}
		}
		if free == 0 {
			break
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		q := s.seqs[s.next]
		key := s.keys[q.req]
		if _, ok := s.prefix[key]; !ok {
			if err := s.prefillNext(free); err != nil {
				return err
			}
		}
		s.next++
		p := s.prefix[key]
		now := time.Now()
		q.start = now.Add(-p.dur) // its prefill, as if it had been its own, up to now
		q.sampler = newSampler(s.dec, s.reqs[q.req].Seed, s.cfg.banned)
		q.n = len(q.prompt)
		done := s.push(q, q.sampler.next(p.logits), now)
		p.pending--
		if !done {
			s.place(q, p, b)
		}
		if p.pending == 0 {
			s.drop(key)
		}
		if done {
			if err := s.finish(q); err != nil {
				return err
			}
		}
	}
	for b := len(s.rows) - 1; b >= 0; b-- {
		if s.rows[b] == nil {
			s.remove(b)
		}
	}
	return nil
}

// drop forgets a prefilled prompt, and its prefill batch's cache once no prompt of it is wanted.
func (s *scheduler) drop(key string) {
	p := s.prefix[key]
	delete(s.prefix, key)
	if p.pb.users--; p.pb.users == 0 {
		s.st.release(p.pb.cache)
	}
}

// Prefill batches: prompts of similar lengths go together while the padding stays under a quarter of
// the tokens fed and the batch under maxPrefillBatchTokens.
const maxPrefillBatchTokens = 2048

// prefillNext prefills the prompts of the next `free` waiting requests that are not prefilled yet.
func (s *scheduler) prefillNext(free int) error {
	var todo []int // one request per distinct prompt
	seen := map[string]bool{}
	for j := s.next; j < len(s.reqs) && j < s.next+free; j++ {
		if _, ok := s.prefix[s.keys[j]]; !ok && !seen[s.keys[j]] {
			seen[s.keys[j]] = true
			todo = append(todo, j)
		}
	}
	slices.SortStableFunc(todo, func(a, b int) int { return len(s.seqs[b].prompt) - len(s.seqs[a].prompt) })
	for len(todo) > 0 {
		width, tokens, n := len(s.seqs[todo[0]].prompt), 0, 0
		for n < len(todo) {
			l := len(s.seqs[todo[n]].prompt)
			if n > 0 && ((n+1)*width*4 > 5*(tokens+l) || (n+1)*width > maxPrefillBatchTokens || !s.canBatchPrefill(n+1, width)) {
				break
			}
			tokens += l
			n++
		}
		if err := s.prefillBatch(todo[:n], width); err != nil {
			return err
		}
		todo = todo[n:]
	}
	return nil
}

// canBatchPrefill: GroupQueryAttention takes a prompt of more than one row only in one step (ONNX
// Runtime refuses a later chunk for batch > 1), so a batch whose logits need chunks is not formed; nor
// is one of several rows when the graph's logits cover only the last column (its rows end earlier).
func (s *scheduler) canBatchPrefill(rows, width int) bool {
	return !s.cfg.leftAligned || (!s.cfg.lastLogitsOnly || rows == 1) && s.chunk(rows, width) == width
}

// chunk is how many columns of a prefill of rows x width one step may feed (cfg.maxPrefillLogits).
func (s *scheduler) chunk(rows, width int) int {
	if s.cfg.maxPrefillLogits <= 0 || s.cfg.vocab <= 0 {
		return width
	}
	return min(max(s.cfg.maxPrefillLogits/(rows*s.cfg.vocab), 1), width)
}

// prefillBatch prefills the prompts of requests idx together, padded to width: left-padded when rows
// are right-aligned (each prompt then sits in the batch exactly as it will in the batch cache), right-
// padded for GroupQueryAttention (each row's keys are its first sum(mask) columns; its logits are read
// at its own last position). Its wall time and tokens are charged to every request with one of these
// prompts, each prompt's part in proportion to its length.
func (s *scheduler) prefillBatch(idx []int, width int) error {
	s.charge(nil) // the time since the last step belongs to the rows that were live then
	t0 := time.Now()
	n := len(idx)
	ids := make([]int64, n*width)
	positions := make([]int64, n*width)
	mask := make([]int64, n*width)
	var last []int
	tokens := 0
	for r, i := range idx {
		prompt := s.seqs[i].prompt
		tokens += len(prompt)
		off := s.offset(width, len(prompt))
		for j := range width {
			ids[r*width+j] = int64(s.cfg.padID)
		}
		for j, id := range prompt {
			ids[r*width+off+j], positions[r*width+off+j], mask[r*width+off+j] = int64(id), int64(j), 1
		}
		if s.cfg.leftAligned {
			last = append(last, len(prompt)-1)
		}
	}
	cache := s.st.alloc(n, 0)
	chunk := s.chunk(n, width)
	var logits []float32
	subIDs, subPos, subMask := make([]int64, 0, n*chunk), make([]int64, 0, n*chunk), make([]int64, 0, n*width)
	for c0 := 0; c0 < width; c0 += chunk {
		c1 := min(c0+chunk, width)
		subIDs, subPos, subMask = subIDs[:0], subPos[:0], subMask[:0]
		for r := range n {
			subIDs = append(subIDs, ids[r*width+c0:r*width+c1]...)
			subPos = append(subPos, positions[r*width+c0:r*width+c1]...)
			subMask = append(subMask, mask[r*width:r*width+c1]...)
		}
		var lastHere []int // the rows' last positions are in the final chunk (several rows: one chunk)
		if c1 == width && last != nil {
			lastHere = make([]int, n)
			for r := range last {
				lastHere[r] = last[r] - c0
			}
		}
		var err error
		if logits, cache, err = s.st.step(cache, subIDs, subMask, subPos, c1-c0, lastHere); err != nil {
			return err
		}
	}
	dur := time.Since(t0)
	pb := &prefillBatch{cache: cache, users: n}
	vocab := len(logits) / n
	for r, i := range idx {
		key, l := s.keys[i], len(s.seqs[i].prompt)
		k := s.group[key]
		s.prefix[key] = &prefix{pb: pb, row: r, off: s.offset(width, l), dur: dur, pending: k,
			logits: slices.Clone(logits[r*vocab : (r+1)*vocab])}
		for j, kj := range s.keys {
			if kj == key {
				s.shares[j].PrefillTokens += float64(l) / float64(k)
				s.shares[j].Wall += time.Duration(float64(dur) * float64(l) / float64(tokens) / float64(k))
			}
		}
	}
	s.stats.Prefills += n
	s.stats.PrefillTokens += tokens
	s.mark = time.Now()
	return nil
}

// offset is the first column of a row of n positions in a cache of the given width.
func (s *scheduler) offset(width, n int) int {
	if s.cfg.leftAligned {
		return 0
	}
	return width - n
}

// place copies a new row's prompt cache (p) into batch row b (a hole), or into a new last row when
// b < 0, widening the batch first when the prompt is longer than it.
func (s *scheduler) place(q *seqState, p *prefix, b int) {
	rows := len(s.rows)
	if b < 0 {
		rows++
	}
	// When the batch must be (re)made, it is made wide enough for the prompts about to be admitted too.
	width := q.n
	for j := s.next; j < min(len(s.seqs), s.next+s.slots-rows); j++ {
		width = max(width, len(s.seqs[j].prompt))
	}
	switch {
	case s.cache == nil:
		s.cache = s.st.alloc(rows, width)
	case q.n > s.cache.width || !s.st.fits(s.cache, rows, s.cache.width):
		s.relayout(rows, max(width, s.cache.width))
	default:
		s.st.reshape(s.cache, rows, s.cache.width)
	}
	if b < 0 {
		b = len(s.rows)
		s.rows = append(s.rows, q)
	}
	s.rows[b] = q
	s.st.copyCols(s.cache, b, s.offset(s.cache.width, q.n), p.pb.cache, p.row, p.off, q.n)
}

// relayout moves the live rows into a new cache of rows x width (rows >= len(s.rows); holes and extra
// rows are left for place to fill), or reshapes the cache in place when its rows can stay where they
// are (left-aligned rows in a buffer wide enough).
func (s *scheduler) relayout(rows, width int) {
	if (width == s.cache.width || s.cfg.leftAligned) && s.st.fits(s.cache, rows, width) {
		s.st.reshape(s.cache, rows, width)
		return
	}
	dst := s.st.alloc(rows, width)
	for b, q := range s.rows {
		if q != nil {
			s.st.copyCols(dst, b, s.offset(width, q.n), s.cache, b, s.offset(s.cache.width, q.n), q.n)
		}
	}
	s.st.release(s.cache)
	s.cache = dst
	s.stats.Relayouts++
}

// decode runs one decode step for every live row, then finishes the rows that are done.
func (s *scheduler) decode() error {
	rows := len(s.rows)
	// Drop columns no row uses once they are a quarter of the width, and always before the step would
	// exceed the context.
	need := 0
	for _, q := range s.rows {
		need = max(need, q.n)
	}
	if w := s.cache.width; w-need >= max(16, w/4) || (s.cfg.contextLength > 0 && w+1 > s.cfg.contextLength) {
		s.relayout(rows, need)
	}
	width := s.cache.width
	s.ids, s.positions = s.ids[:0], s.positions[:0]
	s.mask = slices.Grow(s.mask[:0], rows*(width+1))
	for _, q := range s.rows {
		s.ids = append(s.ids, int64(q.out[len(q.out)-1]))
		s.positions = append(s.positions, int64(q.n))
		off := s.offset(width, q.n)
		for j := range width + 1 {
			v := int64(0)
			if j >= off && j < off+q.n || j == width && !s.cfg.leftAligned || j == q.n && s.cfg.leftAligned {
				v = 1
			}
			s.mask = append(s.mask, v)
		}
	}
	t0 := time.Now()
	logits, present, err := s.st.step(s.cache, s.ids, s.mask, s.positions, 1, nil)
	s.cache = nil
	if err != nil {
		return err
	}
	s.cache = present
	s.stats.DecodeSteps++
	s.stats.StepTimes = append(s.stats.StepTimes, time.Since(t0))
	vocab := len(logits) / rows
	now := time.Now()
	var done []*seqState
	for b, q := range s.rows {
		q.n++
		if s.push(q, q.sampler.next(logits[b*vocab:(b+1)*vocab]), now) {
			done = append(done, q)
		}
	}
	s.charge(s.rows)
	for _, q := range done {
		s.rows[slices.Index(s.rows, q)] = nil // a hole, for admit to fill or close
		if err := s.finish(q); err != nil {
			return err
		}
	}
	return nil
}

// push appends a generated token and reports whether the row is done.
func (s *scheduler) push(q *seqState, tok int, now time.Time) bool {
	q.out = append(q.out, tok)
	if len(q.out) == 1 {
		q.first = now
	}
	q.last = now
	s.stats.Generated++
	switch {
	case slices.Contains(s.eos, tok):
		q.reason = FinishStop
	case len(s.dec.StopStrings) > 0 && s.stopInNewest(q):
		q.reason = FinishStop
	case len(q.out) >= q.budget:
		q.reason = FinishLength
	default:
		return false
	}
	return true
}

// remove closes hole b: the last row moves into its place.
func (s *scheduler) remove(b int) {
	last := len(s.rows) - 1
	if p := s.rows[last]; b != last {
		w := s.cache.width
		s.st.copyCols(s.cache, b, s.offset(w, p.n), s.cache, last, s.offset(w, p.n), p.n)
		s.rows[b] = p
	}
	s.rows = s.rows[:last]
	if last == 0 {
		s.st.release(s.cache)
		s.cache = nil
		return
	}
	s.st.reshape(s.cache, last, s.cache.width)
}

// charge splits the time since the last charge equally among rows (one decode step's rows: each also
// gets 1/len(rows) of the step); with no rows, among the rows that are live now (holes aside).
func (s *scheduler) charge(rows []*seqState) {
	now := time.Now()
	d := now.Sub(s.mark)
	s.mark = now
	step := rows != nil
	if rows == nil {
		for _, q := range s.rows {
			if q != nil {
				rows = append(rows, q)
			}
		}
	}
	for _, q := range rows {
		s.shares[q.req].Wall += d / time.Duration(len(rows))
		if step {
			s.shares[q.req].DecodeSteps += 1 / float64(len(rows))
		}
	}
}

// finish emits a finished request's completion.
func (s *scheduler) finish(q *seqState) error {
	text := CutAtStop(completionText(s.cfg, q.prompt, q.out), s.dec.StopStrings)
	c := Completion{PromptIDs: slices.Clone(q.prompt), IDs: q.out, Text: text, FinishReason: q.reason,
		TTFT: q.first.Sub(q.start), Total: q.last.Sub(q.start), Share: s.shares[q.req]}
	s.seqs[q.req] = nil
	return s.emit(q.req, c)
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

// stopInNewest reports whether a stop string occurs in the text of q's newest tokens. It is checked
// after every token, so a stop string first appears at the end: decoding the last len(stop)+
// stopTailTokens completion tokens (each token adds at least one byte of text, or completes a character
// begun by earlier ones) after stopTailTokens tokens of context finds it, at a cost that does not grow
// with the completion.
func (s *scheduler) stopInNewest(q *seqState) bool {
	stops := s.dec.StopStrings
	n := stopTailTokens
	for _, x := range stops {
		n = max(n, len(x)+stopTailTokens)
	}
	if len(q.out) <= n {
		return stopIndex(completionText(s.cfg, tail(q.prompt, stopTailTokens), q.out), stops) >= 0
	}
	newest := q.out[len(q.out)-n:]
	before := q.out[:len(q.out)-n]
	context := tail(before, stopTailTokens)
	if len(context) < stopTailTokens {
		context = append(slices.Clone(tail(q.prompt, stopTailTokens-len(context))), context...)
	}
	return stopIndex(completionText(s.cfg, context, newest), stops) >= 0
}

// CutAtStop is what a completion's text becomes with stop strings: cut after the earliest one to end
// in it (unchanged when none occurs).
func CutAtStop(text string, stops []string) string {
	if k := stopIndex(text, stops); k >= 0 {
		return text[:k]
	}
	return text
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
