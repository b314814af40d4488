package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tinyTokenizerJSON is a four-token BPE with a BOS post-processor.
const tinyTokenizerJSON = `{
  "added_tokens": [{"id": 3, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}],
  "normalizer": null, "pre_tokenizer": null,
  "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
    "pair": [], "special_tokens": {"<s>": {"id": "<s>", "ids": [3], "tokens": ["<s>"]}}},
  "decoder": {"type": "Fuse"},
  "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "<s>": 3, " ": 4}, "merges": ["a b"]}
}`

func runTokenize(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := runMain(context.Background(), append([]string{"tokenize"}, args...), strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

func TestTokenizeCommand(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), []byte(tinyTokenizerJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "tokenizer.json")
	cfg := `{"bos_token": "<s>", "chat_template": "{{ bos_token }}{% for m in messages %}{{ m.role[0] }}{{ m.content }}{% endfor %}{% if add_generation_prompt %} {% endif %}"}`
	if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, in string
		args     []string
		want     string
		code     int
	}{
		{"encode", "{\"text\": \"ab a\"}\n\n{\"text\": \"\"}\n", []string{"--tokenizer", dir}, "{\"ids\":[2,4,0]}\n{\"ids\":[]}\n", 0},
		{"special", `{"text": "ab"}`, []string{"--tokenizer", file, "--add-special-tokens"}, "{\"ids\":[3,2]}\n", 0},
		{"count", "{\"text\": \"abab\"}\n{\"text\": \"<s>a\"}\n", []string{"--tokenizer", file, "--count"}, "2\n2\n", 0},
		{"decode", `{"ids": [3, 2, 4, 0]}`, []string{"--tokenizer", file, "--decode"}, "{\"text\":\"<s>ab a\"}\n", 0},
		{"decode skip", `{"ids": [3, 2]}`, []string{"--tokenizer", file, "--decode", "--skip-special-tokens"}, "{\"text\":\"ab\"}\n", 0},
		{"bad json", "{\"text\": 1}\n", []string{"--tokenizer", file}, "", 2},
		{"missing field", "{\"ids\": [1]}\n", []string{"--tokenizer", file}, "", 2},
		{"no tokenizer", "", nil, "", 2},
		{"missing file", "", []string{"--tokenizer", filepath.Join(dir, "nope.json")}, "", 2},
		{"decode+count", "", []string{"--tokenizer", file, "--decode", "--count"}, "", 2},
		{"chat", `{"messages": [{"role": "assistant", "content": "b"}]}`, []string{"--tokenizer", dir, "--chat"}, "{\"text\":\"<s>ab \",\"ids\":[3,2,4]}\n", 0},
		{"chat count", `{"messages": [{"role": "assistant", "content": "b"}]}`, []string{"--tokenizer", dir, "--chat", "--count", "--add-generation-prompt=false"}, "2\n", 0},
		{"decode bad id", `{"ids": [1, "a"]}`, []string{"--tokenizer", file, "--decode"}, "", 2},
		{"chat bad messages", `{"messages": "a"}`, []string{"--tokenizer", dir, "--chat"}, "", 2},
		{"chat bad line", `{"text": "a"}`, []string{"--tokenizer", dir, "--chat"}, "", 2},
		{"chat bad thinking", "", []string{"--tokenizer", dir, "--chat", "--enable-thinking=maybe"}, "", 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, errs, code := runTokenize(t, c.in, c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d (stderr %q)", code, c.code, errs)
			}
			if c.code == 0 && out != c.want {
				t.Errorf("stdout %q, want %q", out, c.want)
			}
			if strings.Contains(errs, "Go struct") || strings.Contains(errs, "Go value") || strings.Contains(errs, "tokenizer.Message") {
				t.Errorf("stderr names a Go type: %q", errs)
			}
		})
	}
}
