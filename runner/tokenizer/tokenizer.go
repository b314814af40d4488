// Package tokenizer encodes and decodes text exactly as Hugging Face's Rust `tokenizers` library does for
// a `tokenizer.json` (BPE models: Qwen, Llama 3, DeepSeek, Llama 2 and the like), and renders the Jinja
// chat templates of `tokenizer_config.json`.
//
// Supported components (anything else is a load error naming it, never a silent divergence):
//   - normalizers: NFC, NFD, NFKC, NFKD, Lowercase, Prepend, Replace, Strip, Sequence
//   - pre-tokenizers: Split (String or Regex pattern, every split behavior, invert), ByteLevel, Metaspace,
//     Digits, Sequence
//   - model: BPE (merges as "a b" strings or ["a","b"] pairs, ignore_merges, byte_fallback, unk_token,
//     fuse_unk, continuing_subword_prefix, end_of_word_suffix; no dropout)
//   - added tokens with lstrip, rstrip, single_word, normalized and special
//   - post-processors: TemplateProcessing, ByteLevel, RobertaProcessing, BertProcessing, Sequence
//   - decoders: ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace, Sequence
//
// A Tokenizer is immutable after Load and safe for concurrent use.
package tokenizer

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"
)

// Tokenizer is a loaded Hugging Face tokenizer. It is safe for concurrent use.
type Tokenizer struct {
	normalizer normalizer   // nil: none
	pre        preTokenizer // nil: none
	model      *bpe
	post       postProcessor // nil: none
	decoder    decoder       // nil: tokens joined with " "
	added      *addedVocab
	cfg        Config
	path       string
}

// Load reads a tokenizer from path: a tokenizer.json file, or a directory holding tokenizer.json and,
// optionally, tokenizer_config.json (read into Config; a tokenizer.json file's sibling
// tokenizer_config.json is read too).
func Load(path string) (*Tokenizer, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	file := path
	if st.IsDir() {
		file = filepath.Join(path, "tokenizer.json")
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	t, err := FromJSON(data)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", file, err)
	}
	t.path = file
	cfgPath := filepath.Join(filepath.Dir(file), "tokenizer_config.json")
	if cdata, err := os.ReadFile(cfgPath); err == nil {
		cfg, err := parseConfig(cdata)
		if err != nil {
			return nil, fmt.Errorf("tokenizer: %s: %w", cfgPath, err)
		}
		cfg.Path = cfgPath
		t.cfg = cfg
	} else if !os.IsNotExist(err) {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	return t, nil
}

// FromJSON builds a tokenizer from the contents of a tokenizer.json (no tokenizer_config.json).
func FromJSON(data []byte) (*Tokenizer, error) {
	return parseTokenizerJSON(data)
}

// WithConfig returns a copy of t that uses cfg as its tokenizer_config.json settings.
func (t *Tokenizer) WithConfig(cfg Config) *Tokenizer {
	c := *t
	c.cfg = cfg
	return &c
}

// Path is the tokenizer.json the tokenizer was loaded from ("" for FromJSON).
func (t *Tokenizer) Path() string { return t.path }

// Config is what tokenizer_config.json said (zero when there was none).
func (t *Tokenizer) Config() Config { return t.cfg }

// Encode returns the token ids of text. With addSpecialTokens, the tokenizer.json post-processor adds
// its special tokens (BOS/EOS) exactly as Hugging Face's `encode(text, add_special_tokens=True)`;
// nothing from tokenizer_config.json is added. Invalid UTF-8 is first replaced by U+FFFD per byte.
func (t *Tokenizer) Encode(text string, addSpecialTokens bool) []int {
	if !utf8.ValidString(text) {
		text = toValidUTF8(text)
	}
	ids := make([]int, 0, len(text)/3+4)
	for _, seg := range t.added.split(text, t.normalizer) {
		if seg.id >= 0 {
			ids = append(ids, seg.id)
			continue
		}
		pieces := []piece{{s: seg.s, first: seg.first}}
		if t.pre != nil {
			pieces = t.pre.preTokenize(pieces)
		}
		for _, p := range pieces {
			ids = t.model.encodeWord(ids, p.s)
		}
	}
	if t.post != nil {
		ids = t.post.process(ids, addSpecialTokens)
	}
	return ids
}

// Count returns len(t.Encode(text, addSpecialTokens)).
func (t *Tokenizer) Count(text string, addSpecialTokens bool) int {
	return len(t.Encode(text, addSpecialTokens))
}

// Decode returns the text of ids as Hugging Face's `decode(ids, skip_special_tokens)` does. Unknown ids
// are skipped.
func (t *Tokenizer) Decode(ids []int, skipSpecialTokens bool) string {
	tokens := make([]string, 0, len(ids))
	for _, id := range ids {
		tok, ok := t.IDToToken(id)
		if !ok {
			continue
		}
		if skipSpecialTokens && t.added.isSpecial(tok) {
			continue
		}
		tokens = append(tokens, tok)
	}
	if t.decoder == nil {
		return strings.Join(tokens, " ")
	}
	return strings.Join(t.decoder.decodeChain(tokens), "")
}

// TokenToID returns the id of a token string (added tokens first, then the model vocabulary).
func (t *Tokenizer) TokenToID(s string) (int, bool) {
	if id, ok := t.added.byContent[s]; ok {
		return id, true
	}
	id, ok := t.model.vocab[s]
	return int(id), ok
}

// IDToToken returns the token string of an id (added tokens first, then the model vocabulary).
func (t *Tokenizer) IDToToken(id int) (string, bool) {
	if tok, ok := t.added.byID[id]; ok {
		return tok.normContent, true
	}
	if id >= 0 && id < len(t.model.vocabR) && t.model.hasID[id] {
		return t.model.vocabR[id], true
	}
	return "", false
}

// VocabSize is the number of distinct tokens including added tokens (Hugging Face's
// `get_vocab_size(with_added_tokens=True)`).
func (t *Tokenizer) VocabSize() int {
	n := len(t.model.vocab)
	for s := range t.added.byContent {
		if _, ok := t.model.vocab[s]; !ok {
			n++
		}
	}
	return n
}

// MaxID is the largest token id (model or added); a model's logits need at least MaxID+1 entries.
func (t *Tokenizer) MaxID() int {
	m := len(t.model.vocabR) - 1
	for id := range t.added.byID {
		if id > m {
			m = id
		}
	}
	return m
}

// SpecialTokens lists the added tokens marked special, sorted by id.
func (t *Tokenizer) SpecialTokens() []string {
	type kv struct {
		id int
		s  string
	}
	var list []kv
	for id, tok := range t.added.byID {
		if tok.special {
			list = append(list, kv{id, tok.content})
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].id < list[j].id })
	out := make([]string, len(list))
	for i, e := range list {
		out[i] = e.s
	}
	return out
}

// IsSpecialID reports whether id is an added token marked special.
func (t *Tokenizer) IsSpecialID(id int) bool {
	tok, ok := t.added.byID[id]
	return ok && tok.special
}

// toValidUTF8 replaces every invalid byte with U+FFFD.
func toValidUTF8(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteString("\uFFFD")
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// lossyUTF8 converts bytes to a string as Rust's String::from_utf8_lossy does: each maximal invalid
// subpart becomes one U+FFFD.
func lossyUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b) + 8)
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError || n > 1 {
			sb.Write(b[i : i+n])
			i += n
			continue
		}
		sb.WriteString("\uFFFD")
		i += invalidPrefixLen(b[i:])
	}
	return sb.String()
}

// invalidPrefixLen is the length of the maximal subpart of an ill-formed sequence at the start of b
// (at least 1), per Unicode's "U+FFFD substitution of maximal subparts".
func invalidPrefixLen(b []byte) int {
	c := b[0]
	var need int
	lo, hi := byte(0x80), byte(0xBF)
	switch {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c >= 0xE1 && c <= 0xEC, c == 0xEE, c == 0xEF:
		need = 2
	case c == 0xED:
		need, hi = 2, 0x9F
	case c == 0xF0:
		need, lo = 3, 0x90
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	case c == 0xF4:
		need, hi = 3, 0x8F
	default:
		return 1
	}
	n := 1
	for k := 0; k < need && n < len(b); k++ {
		x := b[n]
		if k == 0 {
			if x < lo || x > hi {
				return n
			}
		} else if x < 0x80 || x > 0xBF {
			return n
		}
		n++
	}
	return n
}
