package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/acoer/acoer-bench/bench"
	"io"
	"strconv"

	"github.com/acoer/acoer-bench/runner/tokenizer"
)

const tokenizeExamples = `  echo '{"text": "What is 2+2?"}' | acoer-bench tokenize --tokenizer models/qwen3
  acoer-bench tokenize --tokenizer tokenizer.json --add-special-tokens < prompts.jsonl > ids.jsonl
  acoer-bench tokenize --tokenizer models/qwen3 --count < responses.jsonl      # one token count per line
  echo '{"ids": [9707, 1879]}' | acoer-bench tokenize --tokenizer models/qwen3 --decode
  echo '{"messages": [{"role": "user", "content": "2+2?"}]}' | acoer-bench tokenize --tokenizer models/qwen3 --chat --enable-thinking=false`

// cmdTokenize encodes or decodes JSON lines with a Hugging Face tokenizer.json.
func cmdTokenize(ctx context.Context, e env) error {
	fs := newFlags("tokenize", "--tokenizer PATH [--add-special-tokens] [--chat] [--count | --decode [--skip-special-tokens]] < in.jsonl",
		tokenizeExamples, e.stderr)
	path := fs.String("tokenizer", "", "tokenizer.json file or a model directory holding one (required)")
	addSpecial := fs.Bool("add-special-tokens", false,
		"add what the tokenizer.json post-processor adds (e.g. BOS), exactly as Hugging Face's add_special_tokens=True; nothing from tokenizer_config.json")
	decode := fs.Bool("decode", false, `read {"ids": [...]} lines and write {"text": ...} (special tokens kept unless --skip-special-tokens)`)
	skipSpecial := fs.Bool("skip-special-tokens", false, "with --decode: drop special tokens from the text")
	count := fs.Bool("count", false, `read {"text": ...} lines and print only the number of tokens per line`)
	chat := fs.Bool("chat", false, `read {"messages": [{"role": ..., "content": ...}, ...]} lines, render tokenizer_config.json's chat template and write {"text": rendered, "ids": [...]}`)
	genPrompt := fs.Bool("add-generation-prompt", true, "with --chat: end with the assistant turn header")
	thinking := fs.String("enable-thinking", "", "with --chat: true or false sets the template's enable_thinking (Qwen3); empty leaves it undefined")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return badInputf("unexpected arguments %q (input is read from stdin)", fs.Args())
	}
	if *path == "" {
		return badInputf("--tokenizer PATH is required")
	}
	if *decode && *count {
		return badInputf("--decode and --count cannot be combined")
	}
	if *skipSpecial && !*decode {
		return badInputf("--skip-special-tokens only applies with --decode")
	}
	if *chat && *decode {
		return badInputf("--chat and --decode cannot be combined")
	}
	var enableThinking *bool
	switch *thinking {
	case "":
	case "true", "false":
		v := *thinking == "true"
		enableThinking = &v
	default:
		return badInputf("--enable-thinking must be true, false or empty, not %q", *thinking)
	}
	tk, err := tokenizer.Load(*path)
	if err != nil {
		return badInput(err)
	}
	if *chat && tk.Config().ChatTemplate == "" {
		return badInputf("--chat: %s has no chat_template in tokenizer_config.json", *path)
	}
	return tokenizeStream(ctx, tk, e.stdin, e.stdout, tokenizeMode{decode: *decode, count: *count,
		addSpecial: *addSpecial, skipSpecial: *skipSpecial, chat: *chat,
		chatOpts: tokenizer.ChatOptions{AddGenerationPrompt: *genPrompt, EnableThinking: enableThinking}})
}

type tokenizeMode struct {
	decode, count, addSpecial, skipSpecial, chat bool
	chatOpts                                     tokenizer.ChatOptions
}

func tokenizeStream(ctx context.Context, tk *tokenizer.Tokenizer, in io.Reader, out io.Writer, m tokenizeMode) error {
	r := bufio.NewReaderSize(in, 1<<16)
	w := bufio.NewWriterSize(out, 1<<16)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for lineNo := 1; ; lineNo++ {
		if err := ctx.Err(); err != nil {
			w.Flush()
			return err
		}
		line, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			if perr := tokenizeLine(tk, line, lineNo, enc, w, m); perr != nil {
				w.Flush()
				return perr
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			w.Flush()
			return fmt.Errorf("read stdin: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write stdout: %w", err)
	}
	return nil
}

func tokenizeLine(tk *tokenizer.Tokenizer, line []byte, lineNo int, enc *json.Encoder, w *bufio.Writer, m tokenizeMode) error {
	if m.decode {
		var rec struct {
			IDs *[]int `json:"ids"`
		}
		if err := json.Unmarshal(line, &rec); err != nil || rec.IDs == nil {
			return badInputf(`line %d: want {"ids": [int, ...]}: %v`, lineNo, errOrMissing(err, "ids"))
		}
		return enc.Encode(struct {
			Text string `json:"text"`
		}{tk.Decode(*rec.IDs, m.skipSpecial)})
	}
	var rec struct {
		Text     *string              `json:"text"`
		Messages *[]tokenizer.Message `json:"messages"`
	}
	if m.chat {
		if err := json.Unmarshal(line, &rec); err != nil || rec.Messages == nil {
			return badInputf(`line %d: want {"messages": [{"role": string, "content": string}, ...]}: %v`, lineNo, errOrMissing(err, "messages"))
		}
		text, err := tk.ApplyChatTemplate(*rec.Messages, m.chatOpts)
		if err != nil {
			return badInputf("line %d: %w", lineNo, err)
		}
		ids := tk.Encode(text, m.addSpecial)
		if m.count {
			_, err := w.WriteString(strconv.Itoa(len(ids)) + "\n")
			return err
		}
		return enc.Encode(struct {
			Text string `json:"text"`
			IDs  []int  `json:"ids"`
		}{text, append([]int{}, ids...)})
	}
	if err := json.Unmarshal(line, &rec); err != nil || rec.Text == nil {
		return badInputf(`line %d: want {"text": string}: %v`, lineNo, errOrMissing(err, "text"))
	}
	ids := tk.Encode(*rec.Text, m.addSpecial)
	if m.count {
		_, err := w.WriteString(strconv.Itoa(len(ids)) + "\n")
		return err
	}
	if ids == nil {
		ids = []int{}
	}
	return enc.Encode(struct {
		IDs []int `json:"ids"`
	}{ids})
}

func errOrMissing(err error, field string) error {
	if err != nil {
		return errors.New(bench.JSONErrorText(err))
	}
	return fmt.Errorf("missing %q", field)
}
