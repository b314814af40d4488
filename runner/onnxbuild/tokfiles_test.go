package onnxbuild

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLoadTokenizerFiles(t *testing.T) {
	write := func(dir, name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Qwen-like: no BOS token, EOS given as an object, added tokens beyond the BPE vocab.
	q := t.TempDir()
	write(q, "tokenizer.json", `{"added_tokens":[{"id":5,"content":"<|endoftext|>"},{"id":6,"content":"<|im_end|>"}],
		"model":{"type":"BPE","vocab":{"a":0,"b":1,"c":2,"ab":3,"abc":4}}}`)
	write(q, "tokenizer_config.json", `{"bos_token":null,"eos_token":{"content":"<|im_end|>"}}`)
	write(q, "chat_template.jinja", `{{ messages }}`)
	tf, err := LoadTokenizerFiles(q)
	if err != nil {
		t.Fatal(err)
	}
	if tf.VocabSize != 7 || tf.BOS != 5 || len(tf.EOS) != 1 || tf.EOS[0] != 6 || tf.Extra["chat_template.jinja"] == nil || tf.ConfigJSON == nil {
		t.Errorf("qwen-like: vocab %d bos %d eos %v extra %v", tf.VocabSize, tf.BOS, tf.EOS, len(tf.Extra))
	}
	// generation_config.json's ids win.
	write(q, "generation_config.json", `{"bos_token_id":5,"eos_token_id":[6,5]}`)
	if tf, err = LoadTokenizerFiles(filepath.Join(q, "tokenizer.json")); err != nil || len(tf.EOS) != 2 || tf.EOS[1] != 5 {
		t.Errorf("generation_config eos: %+v, %v", tf, err)
	}
	// Llama 2 style from our own converter, no config: <s> and </s> by name.
	l := t.TempDir()
	tj, err := ByteTokenizerJSON()
	if err != nil {
		t.Fatal(err)
	}
	write(l, "tokenizer.json", string(tj))
	if tf, err = LoadTokenizerFiles(l); err != nil || tf.VocabSize != 354 || tf.BOS != 1 || tf.EOS[0] != 2 {
		t.Errorf("byte tokenizer: %+v, %v", tf, err)
	}
	// Errors.
	bad := t.TempDir()
	write(bad, "tokenizer.json", `{"model":{"type":"Unigram","vocab":[["a",0.0]]}}`)
	if _, err := LoadTokenizerFiles(bad); err == nil {
		t.Error("unigram vocab accepted")
	}
	write(bad, "tokenizer.json", `{"model":{"vocab":{"a":0,"b":1}}}`)
	if _, err := LoadTokenizerFiles(bad); err == nil {
		t.Error("tokenizer without an EOS accepted")
	}
	if _, err := LoadTokenizerFiles(filepath.Join(bad, "nope")); err == nil {
		t.Error("missing path accepted")
	}
}
