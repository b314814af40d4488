package tokenizer

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// addedToken is an entry of tokenizer.json's added_tokens.
type addedToken struct {
	id      int
	content string
	// normContent is content after the normalizer when normalized is set (what Hugging Face matches
	// and what id_to_token returns), else content.
	normContent                                     string
	singleWord, lstrip, rstrip, normalized, special bool
}

// addedVocab splits text on added tokens before the model sees it, as Hugging Face's AddedVocabulary:
// first the tokens with normalized=false on the raw text, then (after normalizing the rest) the tokens
// with normalized=true.
type addedVocab struct {
	byID      map[int]*addedToken
	byContent map[string]int
	special   map[string]bool
	raw       *tokenTrie // normalized=false tokens
	norm      *tokenTrie // normalized=true tokens, keyed by their normalized content
}

// newAddedVocab registers tokens in order as Hugging Face does when it loads a tokenizer.json: the id
// in the file is not trusted; a token already known (added or in the model vocabulary) keeps that id,
// a new one gets the next id after the model vocabulary and the added tokens.
func newAddedVocab(tokens []*addedToken, n normalizer, model *bpe) *addedVocab {
	v := &addedVocab{
		byID:      map[int]*addedToken{},
		byContent: map[string]int{},
		special:   map[string]bool{},
		raw:       newTokenTrie(),
		norm:      newTokenTrie(),
	}
	vocabSize := len(model.vocab)
	maxID := -1
	for _, t := range tokens {
		if id, ok := v.byContent[t.content]; ok {
			t.id = id
		} else if id, ok := model.vocab[t.content]; ok {
			t.id = int(id)
		} else if maxID < 0 {
			t.id = vocabSize
		} else if maxID >= vocabSize || vocabSize == 0 {
			t.id = maxID + 1
		} else {
			t.id = vocabSize
		}
		if _, dup := v.byContent[t.content]; !dup {
			v.byContent[t.content] = t.id
		}
		if _, dup := v.byID[t.id]; !dup {
			v.byID[t.id] = t
		}
		if t.id > maxID {
			maxID = t.id
		}
		if t.special {
			v.special[t.content] = true
		}
		t.normContent = t.content
		if t.normalized && n != nil {
			t.normContent = n.normalize(t.content)
		}
		if t.content == "" {
			continue
		}
		if t.normalized {
			v.norm.add(t.normContent, t)
		} else {
			v.raw.add(t.content, t)
		}
	}
	return v
}

func (v *addedVocab) isSpecial(tok string) bool { return v.special[tok] }

// segment is either an added token (id >= 0) or normalized text for the pre-tokenizer (id < 0).
type segment struct {
	s     string
	id    int
	first bool // the segment starts at offset 0 of the original text
}

// split extracts added tokens and normalizes the text between them.
func (v *addedVocab) split(text string, n normalizer) []segment {
	var out []segment
	for _, sg := range v.raw.split(text) {
		if sg.id >= 0 {
			out = append(out, sg)
			continue
		}
		s := sg.s
		if n != nil {
			s = n.normalize(s)
		}
		first := sg.first
		for _, sub := range v.norm.split(s) {
			sub.first = first && sub.first
			out = append(out, sub)
		}
	}
	return out
}

type trieNode struct {
	next map[byte]*trieNode
	tok  *addedToken
}

// tokenTrie finds added tokens leftmost-longest (aho-corasick LeftmostLongest in Hugging Face).
type tokenTrie struct {
	root  trieNode
	first [256]bool
	empty bool
}

func newTokenTrie() *tokenTrie { return &tokenTrie{empty: true} }

func (t *tokenTrie) add(s string, tok *addedToken) {
	if s == "" {
		return
	}
	t.empty = false
	t.first[s[0]] = true
	n := &t.root
	for i := 0; i < len(s); i++ {
		if n.next == nil {
			n.next = map[byte]*trieNode{}
		}
		c := n.next[s[i]]
		if c == nil {
			c = &trieNode{}
			n.next[s[i]] = c
		}
		n = c
	}
	if n.tok == nil {
		n.tok = tok
	}
}

// longest returns the longest token starting at s[i:] and its end.
func (t *tokenTrie) longest(s string, i int) (*addedToken, int) {
	n := &t.root
	var best *addedToken
	end := -1
	for j := i; j < len(s); j++ {
		n = n.next[s[j]]
		if n == nil {
			break
		}
		if n.tok != nil {
			best, end = n.tok, j+1
		}
		if n.next == nil {
			break
		}
	}
	return best, end
}

// split cuts s at added-token matches (find_matches in Hugging Face); first marks a segment starting at
// byte 0 of s.
func (t *tokenTrie) split(s string) []segment {
	if t.empty || s == "" {
		return []segment{{s: s, id: -1, first: true}}
	}
	var out []segment
	startOffset := 0
	for i := 0; i < len(s); i++ {
		if !t.first[s[i]] {
			continue
		}
		tok, end := t.longest(s, i)
		if tok == nil {
			continue
		}
		start, stop := i, end
		i = end - 1 // the matcher resumes after this match, whether or not it is used
		if tok.singleWord {
			startSpace := start == 0 || !endsWithWord(s[:start])
			stopSpace := stop == len(s) || !startsWithWord(s[stop:])
			if !startSpace || !stopSpace {
				continue
			}
		}
		if tok.lstrip {
			ns := len(strings.TrimRightFunc(s[:start], isRustWhitespace))
			start = max(ns, startOffset)
		}
		if tok.rstrip {
			stop += len(s[stop:]) - len(strings.TrimLeftFunc(s[stop:], isRustWhitespace))
		}
		if start > startOffset {
			out = append(out, segment{s: s[startOffset:start], id: -1, first: startOffset == 0})
		}
		out = append(out, segment{s: s[start:stop], id: tok.id, first: start == 0})
		startOffset = stop
		if stop-1 > i {
			i = stop - 1
		}
	}
	if startOffset != len(s) {
		out = append(out, segment{s: s[startOffset:], id: -1, first: startOffset == 0})
	}
	return out
}

func isWordChar(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Mn, r) || r == '_'
}

func endsWithWord(s string) bool {
	r, n := utf8.DecodeLastRuneInString(s)
	return n > 0 && isWordChar(r)
}

func startsWithWord(s string) bool {
	r, n := utf8.DecodeRuneInString(s)
	return n > 0 && isWordChar(r)
}
