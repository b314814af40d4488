package tokenizer

import (
	"fmt"
	"sync"
	"unicode/utf8"
)

// bpe is the byte-pair-encoding model.
type bpe struct {
	vocab           map[string]int32
	vocabR          []string // id -> token ("" where hasID is false)
	hasID           []bool
	merges          map[uint64]mergeInfo // pair (a<<32|b) -> rank and merged id
	unkID           int32                // -1: none
	fuseUnk         bool
	byteFallback    bool
	byteIDs         [256]int32 // id of "<0xXX>", -1 when absent
	ignoreMerges    bool
	continuingPfx   string
	endOfWordSuffix string

	mu    sync.RWMutex
	cache map[string][]int32
}

type mergeInfo struct {
	rank  int32
	newID int32
}

// maxCacheEntries bounds the word cache (Hugging Face uses 10,000; words are short, so more is cheap).
const maxCacheEntries = 1 << 18

// maxTokenID bounds the ids of a vocabulary: the id->token table is that long, so a damaged file with
// an id of 2^31 would otherwise allocate tens of gigabytes.
const maxTokenID = 1<<24 - 1

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

func newBPE(vocab map[string]int32) (*bpe, error) {
	m := &bpe{vocab: vocab, unkID: -1, cache: make(map[string][]int32)}
	maxID := int32(-1)
	for s, id := range vocab {
		if id > maxID {
			maxID = id
		}
		if id > maxTokenID {
			return nil, fmt.Errorf("token %q has id %d: ids above %d are not a vocabulary (the largest real ones have about 262,000)", s, id, maxTokenID)
		}
	}
	m.vocabR = make([]string, maxID+1)
	m.hasID = make([]bool, maxID+1)
	for s, id := range vocab {
		if id < 0 {
			return nil, fmt.Errorf("negative id %d for token %q", id, s)
		}
		m.vocabR[id] = s
		m.hasID[id] = true
	}
	for b := 0; b < 256; b++ {
		m.byteIDs[b] = -1
		if id, ok := vocab[fmt.Sprintf("<0x%02X>", b)]; ok {
			m.byteIDs[b] = id
		}
	}
	return m, nil
}

// setMerges resolves merges after continuing_subword_prefix is known.
func (m *bpe) setMerges(merges [][2]string) error {
	m.merges = make(map[uint64]mergeInfo, len(merges))
	prefixLen := len(m.continuingPfx)
	for rank, mg := range merges {
		a, ok1 := m.vocab[mg[0]]
		b, ok2 := m.vocab[mg[1]]
		if !ok1 || !ok2 {
			return fmt.Errorf("merge %d (%q %q): token not in vocab", rank, mg[0], mg[1])
		}
		right := mg[1]
		if prefixLen > 0 && len(right) >= prefixLen {
			right = right[prefixLen:]
		}
		nid, ok := m.vocab[mg[0]+right]
		if !ok {
			return fmt.Errorf("merge %d (%q %q): merged token %q not in vocab", rank, mg[0], mg[1], mg[0]+right)
		}
		k := pairKey(a, b)
		if _, dup := m.merges[k]; !dup {
			m.merges[k] = mergeInfo{rank: int32(rank), newID: nid}
		}
	}
	return nil
}

// encodeWord appends the ids of one pre-token.
func (m *bpe) encodeWord(dst []int, w string) []int {
	if w == "" {
		return dst
	}
	if m.ignoreMerges {
		if id, ok := m.vocab[w]; ok {
			return append(dst, int(id))
		}
	}
	m.mu.RLock()
	ids, ok := m.cache[w]
	m.mu.RUnlock()
	if !ok {
		ids = m.mergeWord(w)
		m.mu.Lock()
		if len(m.cache) < maxCacheEntries {
			m.cache[w] = ids
		}
		m.mu.Unlock()
	}
	for _, id := range ids {
		dst = append(dst, int(id))
	}
	return dst
}

type symbol struct {
	id         int32
	prev, next int32
	alive      bool
}

// mergeWord splits w into characters (with byte fallback / unknown token) and applies merges lowest
// rank first (leftmost on ties), as Hugging Face's Word::merge_all, in O(n log n).
func (m *bpe) mergeWord(w string) []int32 {
	syms := make([]symbol, 0, len(w))
	add := func(id int32) {
		syms = append(syms, symbol{id: id, alive: true})
	}
	unk, haveUnk := int32(0), false
	for i := 0; i < len(w); {
		_, n := utf8.DecodeRuneInString(w[i:])
		s := w[i : i+n]
		if i > 0 && m.continuingPfx != "" {
			s = m.continuingPfx + s
		}
		if i+n == len(w) && m.endOfWordSuffix != "" {
			s += m.endOfWordSuffix
		}
		i += n
		if id, ok := m.vocab[s]; ok {
			if haveUnk {
				add(unk)
				haveUnk = false
			}
			add(id)
			continue
		}
		if m.byteFallback {
			all := true
			for k := 0; k < len(s); k++ {
				if m.byteIDs[s[k]] < 0 {
					all = false
					break
				}
			}
			if all {
				for k := 0; k < len(s); k++ {
					add(m.byteIDs[s[k]])
				}
				continue
			}
		}
		if m.unkID >= 0 {
			if haveUnk && !m.fuseUnk {
				add(unk)
			}
			unk, haveUnk = m.unkID, true
		}
		// no unknown token: Hugging Face fails the encode; we drop the character.
	}
	if haveUnk {
		add(unk)
	}
	n := len(syms)
	for i := range syms {
		syms[i].prev = int32(i - 1)
		syms[i].next = int32(i + 1)
	}
	if n > 0 {
		syms[n-1].next = -1
	}
	if n > 1 {
		h := make(mergeHeap, 0, n)
		for i := 0; i+1 < n; i++ {
			if mi, ok := m.merges[pairKey(syms[i].id, syms[i+1].id)]; ok {
				h.push(mergeItem{rank: mi.rank, pos: int32(i), newID: mi.newID})
			}
		}
		for len(h) > 0 {
			top := h.pop()
			s := &syms[top.pos]
			if !s.alive || s.next < 0 {
				continue
			}
			nx := s.next
			mi, ok := m.merges[pairKey(s.id, syms[nx].id)]
			if !ok || mi.newID != top.newID {
				continue
			}
			s.id = top.newID
			syms[nx].alive = false
			s.next = syms[nx].next
			if s.next >= 0 {
				syms[s.next].prev = top.pos
			}
			if s.prev >= 0 {
				if mi, ok := m.merges[pairKey(syms[s.prev].id, s.id)]; ok {
					h.push(mergeItem{rank: mi.rank, pos: s.prev, newID: mi.newID})
				}
			}
			if s.next >= 0 {
				if mi, ok := m.merges[pairKey(s.id, syms[s.next].id)]; ok {
					h.push(mergeItem{rank: mi.rank, pos: top.pos, newID: mi.newID})
				}
			}
		}
	}
	out := make([]int32, 0, n)
	for i := 0; i >= 0 && i < n; i = int(syms[i].next) {
		out = append(out, syms[i].id)
	}
	return out
}

type mergeItem struct {
	rank, pos, newID int32
}

func (a mergeItem) less(b mergeItem) bool {
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	return a.pos < b.pos
}

// mergeHeap is a binary min-heap on (rank, pos).
type mergeHeap []mergeItem

func (h *mergeHeap) push(x mergeItem) {
	*h = append(*h, x)
	a := *h
	i := len(a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !a[i].less(a[p]) {
			break
		}
		a[i], a[p] = a[p], a[i]
		i = p
	}
}

func (h *mergeHeap) pop() mergeItem {
	a := *h
	top := a[0]
	last := len(a) - 1
	a[0] = a[last]
	a = a[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= len(a) {
			break
		}
		c := l
		if r := l + 1; r < len(a) && a[r].less(a[l]) {
			c = r
		}
		if !a[c].less(a[i]) {
			break
		}
		a[i], a[c] = a[c], a[i]
		i = c
	}
	*h = a
	return top
}

// resetCache empties the word cache (benchmarks measure cold encodes).
func (m *bpe) resetCache() {
	m.mu.Lock()
	m.cache = make(map[string][]int32)
	m.mu.Unlock()
}
