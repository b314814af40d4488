package onnxbuild

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// TokenizerFiles is a Hugging Face tokenizer read from disk for a seeded model: the files to copy
// into the model directory, and what the model config needs from them.
type TokenizerFiles struct {
	JSON       []byte            // tokenizer.json
	ConfigJSON []byte            // tokenizer_config.json (nil when absent)
	Extra      map[string][]byte // special_tokens_map.json, chat_template.jinja when present
	VocabSize  int               // 1 + the largest id in model.vocab and added_tokens
	BOS        int
	EOS        []int
}

// LoadTokenizerFiles reads path (a tokenizer.json, or a directory holding one) and, from the same
// directory, tokenizer_config.json, special_tokens_map.json, chat_template.jinja and
// generation_config.json. BOS and EOS come from generation_config.json's ids when present, else
// from tokenizer_config.json's bos_token / eos_token, else from the usual names (<s>, </s>,
// <|begin_of_text|>, <|endoftext|>, ...); a tokenizer without a BOS token uses its first EOS.
func LoadTokenizerFiles(path string) (*TokenizerFiles, error) {
	dir := path
	if st, err := os.Stat(path); err != nil {
		return nil, err
	} else if st.IsDir() {
		path = filepath.Join(path, "tokenizer.json")
	} else {
		dir = filepath.Dir(path)
	}
	tf := &TokenizerFiles{Extra: map[string][]byte{}}
	var err error
	if tf.JSON, err = os.ReadFile(path); err != nil {
		return nil, err
	}
	var tj struct {
		AddedTokens []struct {
			ID      int    `json:"id"`
			Content string `json:"content"`
		} `json:"added_tokens"`
		Model struct {
			Vocab json.RawMessage `json:"vocab"`
		} `json:"model"`
	}
	if err := json.Unmarshal(tf.JSON, &tj); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ids := map[string]int{}
	if len(tj.Model.Vocab) > 0 && tj.Model.Vocab[0] == '{' {
		if err := json.Unmarshal(tj.Model.Vocab, &ids); err != nil {
			return nil, fmt.Errorf("%s: model.vocab: %w", path, err)
		}
	} else {
		return nil, fmt.Errorf("%s: model.vocab is not a token->id map (only BPE/WordPiece-style vocabularies are supported)", path)
	}
	for _, a := range tj.AddedTokens {
		ids[a.Content] = a.ID
	}
	for _, id := range ids {
		tf.VocabSize = max(tf.VocabSize, id+1)
	}
	if tf.VocabSize == 0 {
		return nil, fmt.Errorf("%s: empty vocabulary", path)
	}

	var tc struct {
		BOS json.RawMessage `json:"bos_token"`
		EOS json.RawMessage `json:"eos_token"`
	}
	if b, err := os.ReadFile(filepath.Join(dir, "tokenizer_config.json")); err == nil {
		tf.ConfigJSON = b
		if err := json.Unmarshal(b, &tc); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "tokenizer_config.json"), err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	for _, name := range []string{"special_tokens_map.json", "chat_template.jinja"} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
			tf.Extra[name] = b
		}
	}
	tokenID := func(raw json.RawMessage) (int, bool) {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			var o struct {
				Content string `json:"content"`
			}
			if json.Unmarshal(raw, &o) != nil {
				return 0, false
			}
			s = o.Content
		}
		id, ok := ids[s]
		return id, ok && s != ""
	}
	firstOf := func(names ...string) (int, bool) {
		for _, n := range names {
			if id, ok := ids[n]; ok {
				return id, true
			}
		}
		return 0, false
	}

	var gen struct {
		BOS *int            `json:"bos_token_id"`
		EOS json.RawMessage `json:"eos_token_id"`
	}
	if b, err := os.ReadFile(filepath.Join(dir, "generation_config.json")); err == nil {
		if err := json.Unmarshal(b, &gen); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "generation_config.json"), err)
		}
		var one int
		if json.Unmarshal(gen.EOS, &one) == nil {
			tf.EOS = []int{one}
		} else {
			json.Unmarshal(gen.EOS, &tf.EOS)
		}
	}
	if len(tf.EOS) == 0 {
		if id, ok := tokenID(tc.EOS); ok {
			tf.EOS = []int{id}
		} else if id, ok := firstOf("</s>", "<|endoftext|>", "<|eot_id|>", "<|end_of_text|>", "<｜end▁of▁sentence｜>"); ok {
			tf.EOS = []int{id}
		} else {
			return nil, fmt.Errorf("%s: cannot tell the EOS token (no eos_token in tokenizer_config.json and no usual name)", path)
		}
	}
	if gen.BOS != nil {
		tf.BOS = *gen.BOS
	} else if id, ok := tokenID(tc.BOS); ok {
		tf.BOS = id
	} else if id, ok := firstOf("<s>", "<|begin_of_text|>", "<｜begin▁of▁sentence｜>", "<|endoftext|>"); ok {
		tf.BOS = id
	} else {
		tf.BOS = tf.EOS[0]
	}
	for _, id := range append([]int{tf.BOS}, tf.EOS...) {
		if id < 0 || id >= tf.VocabSize {
			return nil, fmt.Errorf("%s: special token id %d outside the vocabulary (%d)", path, id, tf.VocabSize)
		}
	}
	return tf, nil
}
