package runner

import (
	"fmt"
	"strings"
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

// fakeCache holds, per row, every (token, position) fed so far, pads included.
type fakeCache struct {
	batch int
	toks  [][]int64
	pos   [][]int64
}

func (c *fakeCache) length() int { return len(c.toks[0]) }

// fakeStep is a deterministic "decoder". eosEvery > 0 makes EOS the argmax about once in eosEvery steps.
type fakeStep struct {
	vocab    int
	eos      int
	eosEvery uint64
	steps    int
	logits   []float32
	maxLen   int
	err      error // returned by step when set
}

func (f *fakeStep) begin(batch, maxLen int) error {
	f.maxLen = maxLen
	return nil
}

func mix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

func (f *fakeStep) step(ids, mask, positions []int64, batch, seq int, past kvCache) ([]float32, kvCache, error) {
	if f.err != nil {
		return nil, nil, f.err
	}
	f.steps++
	c := &fakeCache{batch: batch, toks: make([][]int64, batch), pos: make([][]int64, batch)}
	p := 0
	if past != nil {
		pc := past.(*fakeCache)
		p = pc.length()
		for r := range batch {
			c.toks[r] = append([]int64(nil), pc.toks[r]...)
			c.pos[r] = append([]int64(nil), pc.pos[r]...)
		}
	}
	width := p + seq
	if len(ids) != batch*seq || len(positions) != batch*seq || len(mask) != batch*width {
		return nil, nil, fmt.Errorf("fake step: ids %d positions %d mask %d for batch %d seq %d past %d", len(ids), len(positions), len(mask), batch, seq, p)
	}
	if width > f.maxLen {
		return nil, nil, fmt.Errorf("fake step: length %d beyond begin's %d", width, f.maxLen)
	}
	if cap(f.logits) < batch*f.vocab {
		f.logits = make([]float32, batch*f.vocab)
	}
	f.logits = f.logits[:batch*f.vocab]
	for r := range batch {
		c.toks[r] = append(c.toks[r], ids[r*seq:(r+1)*seq]...)
		c.pos[r] = append(c.pos[r], positions[r*seq:(r+1)*seq]...)
		h, n := uint64(1469598103934665603), 0
		for j := range width {
			if mask[r*width+j] == 0 {
				continue
			}
			h = mix(h ^ uint64(c.toks[r][j])*0x100000001b3 ^ uint64(c.pos[r][j])<<40)
			n++
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
	return f.logits, c, nil
}
