package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// ErrUnsupported is wrapped by load errors for a tokenizer.json component this package does not implement.
var ErrUnsupported = errors.New("unsupported component")

func unsupported(kind, typ string) error {
	return fmt.Errorf("%w: %s %q", ErrUnsupported, kind, typ)
}

type fileJSON struct {
	AddedTokens []struct {
		ID         int    `json:"id"`
		Content    string `json:"content"`
		SingleWord bool   `json:"single_word"`
		LStrip     bool   `json:"lstrip"`
		RStrip     bool   `json:"rstrip"`
		Normalized bool   `json:"normalized"`
		Special    bool   `json:"special"`
	} `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Decoder       json.RawMessage `json:"decoder"`
	Model         json.RawMessage `json:"model"`
}

type modelJSON struct {
	Type                    string           `json:"type"`
	Dropout                 *float64         `json:"dropout"`
	UnkToken                *string          `json:"unk_token"`
	ContinuingSubwordPrefix *string          `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string          `json:"end_of_word_suffix"`
	FuseUnk                 bool             `json:"fuse_unk"`
	ByteFallback            bool             `json:"byte_fallback"`
	IgnoreMerges            bool             `json:"ignore_merges"`
	Vocab                   map[string]int32 `json:"vocab"`
	Merges                  json.RawMessage  `json:"merges"`
}

// component is the common shape of normalizers, pre-tokenizers, post-processors and decoders.
type component struct {
	Type string `json:"type"`
	// Sequence members
	Normalizers   []json.RawMessage `json:"normalizers"`
	Pretokenizers []json.RawMessage `json:"pretokenizers"`
	Processors    []json.RawMessage `json:"processors"`
	Decoders      []json.RawMessage `json:"decoders"`
	// Prepend, Replace, Split, Strip
	Prepend  string          `json:"prepend"`
	Pattern  json.RawMessage `json:"pattern"`
	Content  json.RawMessage `json:"content"`
	Behavior string          `json:"behavior"`
	Invert   bool            `json:"invert"`
	Start    int             `json:"start"`
	Stop     int             `json:"stop"`
	Left     *bool           `json:"strip_left"`
	Right    *bool           `json:"strip_right"`
	// ByteLevel
	AddPrefixSpace *bool `json:"add_prefix_space"`
	UseRegex       *bool `json:"use_regex"`
	// Metaspace
	Replacement   string `json:"replacement"`
	PrependScheme string `json:"prepend_scheme"`
	Split         *bool  `json:"split"`
	// Digits
	IndividualDigits bool `json:"individual_digits"`
	// TemplateProcessing
	Single []map[string]struct {
		ID string `json:"id"`
	} `json:"single"`
	SpecialTokens map[string]struct {
		ID  string `json:"id"`
		IDs []int  `json:"ids"`
	} `json:"special_tokens"`
	// Bert/Roberta
	Sep []json.RawMessage `json:"sep"`
	Cls []json.RawMessage `json:"cls"`
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

func parseTokenizerJSON(data []byte) (*Tokenizer, error) {
	var f fileJSON
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("parse tokenizer.json: %w", err)
	}
	t := &Tokenizer{}
	var err error
	if !isNull(f.Normalizer) {
		if t.normalizer, err = parseNormalizer(f.Normalizer); err != nil {
			return nil, err
		}
	}
	if !isNull(f.PreTokenizer) {
		if t.pre, err = parsePreTokenizer(f.PreTokenizer); err != nil {
			return nil, err
		}
	}
	if t.model, err = parseModel(f.Model); err != nil {
		return nil, err
	}
	tokens := make([]*addedToken, 0, len(f.AddedTokens))
	for _, a := range f.AddedTokens {
		tokens = append(tokens, &addedToken{id: a.ID, content: a.Content, singleWord: a.SingleWord,
			lstrip: a.LStrip, rstrip: a.RStrip, normalized: a.Normalized, special: a.Special})
	}
	t.added = newAddedVocab(tokens, t.normalizer, t.model)
	if !isNull(f.PostProcessor) {
		if t.post, err = t.parsePost(f.PostProcessor); err != nil {
			return nil, err
		}
	}
	if !isNull(f.Decoder) {
		if t.decoder, err = parseDecoder(f.Decoder); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func parseModel(raw json.RawMessage) (*bpe, error) {
	if isNull(raw) {
		return nil, errors.New("model: missing")
	}
	var mj modelJSON
	if err := json.Unmarshal(raw, &mj); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if mj.Type == "" && mj.Merges != nil {
		mj.Type = "BPE"
	}
	if mj.Type != "BPE" {
		return nil, unsupported("model", mj.Type)
	}
	if mj.Dropout != nil && *mj.Dropout != 0 {
		return nil, fmt.Errorf("%w: model BPE with dropout %v", ErrUnsupported, *mj.Dropout)
	}
	merges, err := parseMerges(mj.Merges)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	m, err := newBPE(mj.Vocab)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if mj.ContinuingSubwordPrefix != nil {
		m.continuingPfx = *mj.ContinuingSubwordPrefix
	}
	if mj.EndOfWordSuffix != nil {
		m.endOfWordSuffix = *mj.EndOfWordSuffix
	}
	m.fuseUnk, m.byteFallback, m.ignoreMerges = mj.FuseUnk, mj.ByteFallback, mj.IgnoreMerges
	if mj.UnkToken != nil {
		id, ok := mj.Vocab[*mj.UnkToken]
		if !ok {
			return nil, fmt.Errorf("model: unk_token %q not in vocab", *mj.UnkToken)
		}
		m.unkID = id
	}
	if err := m.setMerges(merges); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	return m, nil
}

// parsePattern reads {"String": s} or {"Regex": r}.
func parsePattern(raw json.RawMessage) (pattern, error) {
	var p struct {
		String *string `json:"String"`
		Regex  *string `json:"Regex"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("pattern: %w", err)
	}
	switch {
	case p.String != nil:
		return literalPattern(*p.String), nil
	case p.Regex != nil:
		return compileRegex(*p.Regex)
	}
	return nil, fmt.Errorf("pattern %s: neither String nor Regex", raw)
}

func parseNormalizer(raw json.RawMessage) (normalizer, error) {
	var c component
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("normalizer: %w", err)
	}
	switch c.Type {
	case "NFC":
		return unicodeNorm{norm.NFC}, nil
	case "NFD":
		return unicodeNorm{norm.NFD}, nil
	case "NFKC":
		return unicodeNorm{norm.NFKC}, nil
	case "NFKD":
		return unicodeNorm{norm.NFKD}, nil
	case "Lowercase":
		return lowercase{}, nil
	case "Prepend":
		return prepend{c.Prepend}, nil
	case "Strip":
		return strip{left: c.Left == nil || *c.Left, right: c.Right == nil || *c.Right}, nil
	case "Replace":
		r, err := parseReplace(c)
		if err != nil {
			return nil, fmt.Errorf("normalizer Replace: %w", err)
		}
		return r, nil
	case "Sequence":
		var q normSequence
		for _, r := range c.Normalizers {
			n, err := parseNormalizer(r)
			if err != nil {
				return nil, err
			}
			q = append(q, n)
		}
		return q, nil
	}
	return nil, unsupported("normalizer", c.Type)
}

func parseReplace(c component) (replace, error) {
	pat, err := parsePattern(c.Pattern)
	if err != nil {
		return replace{}, err
	}
	var content string
	if err := json.Unmarshal(c.Content, &content); err != nil {
		return replace{}, fmt.Errorf("content: %w", err)
	}
	return replace{pat: pat, content: content}, nil
}

func boolOr(p *bool, def bool) bool {
	if p == nil {
		return def
	}
	return *p
}

func parseReplacement(s string) (rune, error) {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || n != len(s) {
		return 0, fmt.Errorf("replacement %q is not one character", s)
	}
	return r, nil
}

func parseScheme(c component) (prependScheme, error) {
	switch c.PrependScheme {
	case "always":
		return prependAlways, nil
	case "first":
		return prependFirst, nil
	case "never":
		return prependNever, nil
	case "":
		if boolOr(c.AddPrefixSpace, true) {
			return prependAlways, nil
		}
		return prependNever, nil
	}
	return 0, fmt.Errorf("unsupported prepend_scheme %q", c.PrependScheme)
}

func parsePreTokenizer(raw json.RawMessage) (preTokenizer, error) {
	var c component
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("pre_tokenizer: %w", err)
	}
	switch c.Type {
	case "Split":
		pat, err := parsePattern(c.Pattern)
		if err != nil {
			return nil, fmt.Errorf("pre_tokenizer Split: %w", err)
		}
		b, err := parseBehavior(c.Behavior)
		if err != nil {
			return nil, fmt.Errorf("pre_tokenizer Split: %w", err)
		}
		return splitPre{pat: pat, behavior: b, invert: c.Invert}, nil
	case "ByteLevel":
		bl := byteLevelPre{addPrefixSpace: boolOr(c.AddPrefixSpace, true)}
		if boolOr(c.UseRegex, true) {
			re, err := compileRegex(gpt2Pattern)
			if err != nil {
				return nil, err
			}
			bl.re = re
		}
		return bl, nil
	case "Metaspace":
		r, err := parseReplacement(c.Replacement)
		if err != nil {
			return nil, fmt.Errorf("pre_tokenizer Metaspace: %w", err)
		}
		sc, err := parseScheme(c)
		if err != nil {
			return nil, fmt.Errorf("pre_tokenizer Metaspace: %w", err)
		}
		return metaspacePre{replacement: r, scheme: sc, split: boolOr(c.Split, true)}, nil
	case "Digits":
		return digitsPre{individual: c.IndividualDigits}, nil
	case "Sequence":
		var q preSequence
		for _, r := range c.Pretokenizers {
			p, err := parsePreTokenizer(r)
			if err != nil {
				return nil, err
			}
			q = append(q, p)
		}
		return q, nil
	}
	return nil, unsupported("pre_tokenizer", c.Type)
}

func (t *Tokenizer) parsePost(raw json.RawMessage) (postProcessor, error) {
	var c component
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("post_processor: %w", err)
	}
	switch c.Type {
	case "ByteLevel":
		return noopPost{}, nil
	case "TemplateProcessing":
		var tp templateProcessing
		for _, item := range c.Single {
			if seq, ok := item["Sequence"]; ok {
				if seq.ID != "A" {
					return nil, fmt.Errorf("post_processor TemplateProcessing: single template uses sequence %q", seq.ID)
				}
				tp.items = append(tp.items, templateItem{sequence: true})
				continue
			}
			st, ok := item["SpecialToken"]
			if !ok {
				return nil, fmt.Errorf("post_processor TemplateProcessing: unknown template piece %v", item)
			}
			sp, ok := c.SpecialTokens[st.ID]
			if !ok {
				return nil, fmt.Errorf("post_processor TemplateProcessing: special token %q not in special_tokens", st.ID)
			}
			tp.items = append(tp.items, templateItem{ids: sp.IDs})
		}
		return tp, nil
	case "BertProcessing", "RobertaProcessing":
		var w wrapPost
		var tok string
		if len(c.Cls) != 2 || len(c.Sep) != 2 {
			return nil, fmt.Errorf("post_processor %s: cls/sep must be [token, id]", c.Type)
		}
		if err := json.Unmarshal(c.Cls[0], &tok); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(c.Cls[1], &w.cls); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(c.Sep[1], &w.sep); err != nil {
			return nil, err
		}
		return w, nil
	case "Sequence":
		var q postSequence
		for _, r := range c.Processors {
			p, err := t.parsePost(r)
			if err != nil {
				return nil, err
			}
			q = append(q, p)
		}
		return q, nil
	}
	return nil, unsupported("post_processor", c.Type)
}

func parseDecoder(raw json.RawMessage) (decoder, error) {
	var c component
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("decoder: %w", err)
	}
	switch c.Type {
	case "ByteLevel":
		return byteLevelDec{}, nil
	case "Metaspace":
		r, err := parseReplacement(c.Replacement)
		if err != nil {
			return nil, fmt.Errorf("decoder Metaspace: %w", err)
		}
		sc, err := parseScheme(c)
		if err != nil {
			return nil, fmt.Errorf("decoder Metaspace: %w", err)
		}
		return metaspaceDec{replacement: r, scheme: sc}, nil
	case "ByteFallback":
		return byteFallbackDec{}, nil
	case "Fuse":
		return fuseDec{}, nil
	case "Strip":
		var content string
		if err := json.Unmarshal(c.Content, &content); err != nil {
			return nil, fmt.Errorf("decoder Strip: content: %w", err)
		}
		r, err := parseReplacement(content)
		if err != nil {
			return nil, fmt.Errorf("decoder Strip: %w", err)
		}
		return stripDec{content: r, start: c.Start, stop: c.Stop}, nil
	case "Replace":
		r, err := parseReplace(c)
		if err != nil {
			return nil, fmt.Errorf("decoder Replace: %w", err)
		}
		return replaceDec{r}, nil
	case "Sequence":
		var q decSequence
		for _, r := range c.Decoders {
			d, err := parseDecoder(r)
			if err != nil {
				return nil, err
			}
			q = append(q, d)
		}
		return q, nil
	}
	return nil, unsupported("decoder", c.Type)
}

// parseMerges reads merges as a list of "a b" strings or of ["a", "b"] pairs.
func parseMerges(raw json.RawMessage) ([][2]string, error) {
	t := bytes.TrimSpace(raw)
	if isNull(t) {
		return nil, nil
	}
	// the format is decided by the first element
	inner := bytes.TrimSpace(bytes.TrimPrefix(t, []byte("[")))
	if len(inner) > 0 && inner[0] == '"' {
		var list []string
		if err := json.Unmarshal(t, &list); err != nil {
			return nil, fmt.Errorf("merges: %w", err)
		}
		out := make([][2]string, len(list))
		for i, s := range list {
			a, b, ok := strings.Cut(s, " ")
			if !ok || strings.Contains(b, " ") {
				return nil, fmt.Errorf("merge %d %q is not two tokens", i, s)
			}
			out[i] = [2]string{a, b}
		}
		return out, nil
	}
	var pairs [][]string
	if err := json.Unmarshal(t, &pairs); err != nil {
		return nil, fmt.Errorf("merges: neither \"a b\" strings nor [a, b] pairs: %w", err)
	}
	out := make([][2]string, len(pairs))
	for i, p := range pairs {
		if len(p) != 2 {
			return nil, fmt.Errorf("merge %d %q is not a pair", i, p)
		}
		out[i] = [2]string{p[0], p[1]}
	}
	return out, nil
}
