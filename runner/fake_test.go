package runner

import (
	"errors"
	"fmt"
	"strings"
	"unsafe"
)

// Test doubles: a tiny tokenizer and a decoder step whose logits are a deterministic function of what a
// real causal decoder may see: the (token, position) pairs of its row whose mask is 1. A loop that pads,
// masks, numbers positions or carries the cache wrongly gets different tokens for a padded row than for
// the same prompt alone.

// fakeTok: ids 0 <pad>, 1 <s>, 2 </s> (special); 3..28 'a'..'z'; 29 ' '; 30 '\n'; 31 "STOP"; 32.. "#n".
type fakeTok struct {
	vocab int
	// spStrip mimics SentencePiece decoding: the leading space of the first decoded piece is dropped.
	spStrip bool
}

func (t fakeTok) piece(id int) (string, bool) {
	switch {
	case id == 0:
		return "<pad>", true
	case id == 1:
		return "<s>", true
	case id == 2:
		return "</s>", true
	case id >= 3 && id <= 28:
		return string(rune('a' + id - 3)), false
	case id == 29:
		return " ", false
	case id == 30:
		return "\n", false
	case id == 31:
		return "STOP", false
	}
	return fmt.Sprintf("#%d", id), false
}

func (t fakeTok) Encode(text string, addSpecial bool) []int {
	var ids []int
	if addSpecial {
		ids = append(ids, 1)
	}
	for _, r := range text {
		switch {
		case r >= 'a' && r <= 'z':
			ids = append(ids, int(r-'a')+3)
		case r == ' ':
			ids = append(ids, 29)
		case r == '\n':
			ids = append(ids, 30)
		}
	}
	return ids
}

func (t fakeTok) Decode(ids []int, skip bool) string {
	var b strings.Builder
	first := true
	for _, id := range ids {
		p, special := t.piece(id)
		if special && skip {
			continue
		}
		if first && t.spStrip && !special {
			p = strings.TrimPrefix(p, " ")
		}
		if !special {
			first = false
		}
		b.WriteString(p)
	}
	return b.String()
}

func (t fakeTok) TokenToID(s string) (int, bool) {
	for id := 0; id < t.vocab; id++ {
		if p, _ := t.piece(id); p == s {
			return id, true
		}
	}
	return 0, false
}
func (t fakeTok) VocabSize() int { return t.vocab }
func (t fakeTok) Settings() TokenizerSettings {
	return TokenizerSettings{BOSToken: "<s>", EOSToken: "</s>", AddBOSToken: true, AddBOSTokenSet: true,
		ChatTemplate: "{% for m in messages %}...{% endfor %}"}
}
func (t fakeTok) ApplyChat(msgs []ChatMessage, addGen bool) (string, error) {
	var b strings.Builder
	for _, m := range msgs {
		fmt.Fprintf(&b, "%s\n%s\n", m.Role, m.Content)
	}
	if addGen {
		b.WriteString("assistant\n")
	}
	return b.String(), nil
}

// fakeStep is a deterministic "decoder" over a real kv cache (kvPool): each position's "key" is the
// (token, position) pair fed there. The logits of a row's last position are a hash of the pairs it may
// see: with position_ids (gqa false), the columns whose mask is 1; as GroupQueryAttention (gqa true), its
// first sum(mask) columns, with positions it numbers itself, and new keys written at column
// sum(mask)-seq as ONNX Runtime does. A loop that pads, masks, numbers positions, places rows or carries
// the cache wrongly gets other tokens than the same prompt alone. eosEvery > 0 makes EOS the argmax
// about once in eosEvery steps.
type fakeStep struct {
	kvPool
	vocab    int
	eos      int
	eosEvery uint64
	gqa      bool
	steps    int
	logits   []float32
	maxWidth int   // when > 0, a step wider than this fails (a context limit)
	err      error // returned by step when set
}

func newFakeStep(vocab, eos int, eosEvery uint64, gqa bool) *fakeStep {
	return &fakeStep{kvPool: kvPool{shape: kvShape{tensors: 1, heads: 1, headDim: 2, elem: 8}},
		vocab: vocab, eos: eos, eosEvery: eosEvery, gqa: gqa}
}

func (f *fakeStep) begin(slots, maxLen int)   { f.rowsHint = slots }
func (f *fakeStep) alloc(rows, width int) *kv { return f.get(rows, width) }
func (f *fakeStep) release(c *kv)             { f.put(c) }

func mix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// cell reads or writes the (token, position) pair of row r, column j.
func cell(c *kv, r, j int) []int64 {
	return unsafe.Slice((*int64)(unsafe.Pointer(&c.bufs[0][(r*c.width+j)*16])), 2)
}

func (f *fakeStep) step(past *kv, ids, mask, positions []int64, seq int, last []int) ([]float32, *kv, error) {
	defer f.put(past)
	if f.err != nil {
		return nil, nil, f.err
	}
	f.steps++
	batch, p := past.rows, past.width
	width := p + seq
	if len(ids) != batch*seq || len(positions) != batch*seq || len(mask) != batch*width {
		return nil, nil, fmt.Errorf("fake step: ids %d positions %d mask %d for batch %d seq %d past %d", len(ids), len(positions), len(mask), batch, seq, p)
	}
	if f.maxWidth > 0 && width > f.maxWidth {
		return nil, nil, fmt.Errorf("fake step: width %d beyond the context %d", width, f.maxWidth)
	}
	present := f.get(batch, width)
	if cap(f.logits) < batch*f.vocab {
		f.logits = make([]float32, batch*f.vocab)
	}
	f.logits = f.logits[:batch*f.vocab]
	for r := range batch {
		m := mask[r*width : (r+1)*width]
		for j := range p {
			copy(cell(present, r, j), cell(past, r, j))
		}
		first := p    // the column of the first new key
		lq := seq - 1 // the query whose logits are returned
		if last != nil {
			lq = last[r]
		}
		if f.gqa {
			// As ONNX Runtime: a first prompt (no past) fills columns 0..seq-1 whatever the row's
			// length (right padding); later steps write at sum(mask)-seq.
			total := 0
			for j, v := range m {
				if v != 0 && v != 1 || j > 0 && v == 1 && m[j-1] == 0 {
					return nil, nil, fmt.Errorf("fake step: GroupQueryAttention mask row %d is not ones then zeros: %v", r, m)
				}
				total += int(v)
			}
			if p > 0 {
				if first = total - seq; first < 0 {
					return nil, nil, fmt.Errorf("fake step: row %d has %d mask ones for %d new tokens", r, total, seq)
				}
				if seq > 1 && batch > 1 {
					return nil, nil, errors.New("fake step: GroupQueryAttention: a later prompt chunk needs batch 1")
				}
			}
			if lq >= total-first {
				return nil, nil, fmt.Errorf("fake step: row %d: logits of position %d beyond its %d tokens", r, lq, total)
			}
		}
		for k := range seq {
			pos := positions[r*seq+k]
			if f.gqa {
				pos = int64(first + k)
			}
			copy(cell(present, r, first+k), []int64{ids[r*seq+k], pos})
		}
		h := uint64(1469598103934665603)
		for j := range width {
			if f.gqa && j > first+lq || !f.gqa && (m[j] == 0 || j > p+lq) {
				continue
			}
			c := cell(present, r, j)
			h = mix(h ^ uint64(c[0])*0x100000001b3 ^ uint64(c[1])<<40)
		}
		row := f.logits[r*f.vocab : (r+1)*f.vocab]
		for v := range row {
			row[v] = float32(mix(h+uint64(v))>>44) / 1000
		}
		row[0], row[1] = -1e9, -1e9 // never pad or BOS
		row[f.eos] = -1e9
		if f.eosEvery > 0 && h%f.eosEvery == 0 {
			row[f.eos] = 1e9
		}
	}
	return f.logits, present, nil
}
