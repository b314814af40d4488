package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := runMain(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestBuildModelSeeded(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m")
	code, out, errs := runCLI("build-model", "--out", dir, "--seed", "3", "--preset", "tiny", "--eos-bias", "2", "--kv-float16")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "vocab 354") || !strings.Contains(out, "KV float16") {
		t.Errorf("stdout = %q", out)
	}
	for _, f := range []string{"model.onnx", "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	// Same dir again: bad input without --force, fine with it.
	if code, _, _ := runCLI("build-model", "--out", dir, "--seed", "3"); code != exitUsage {
		t.Errorf("rewrite without --force: exit %d, want %d", code, exitUsage)
	}
	if code, _, errs := runCLI("build-model", "--out", dir, "--seed", "4", "--force", "--tokenizer", dir); code != 0 {
		t.Errorf("rewrite with --force and the model's own tokenizer: exit %d: %s", code, errs)
	}
}

func TestBuildModelBadUsage(t *testing.T) {
	d := t.TempDir()
	for _, args := range [][]string{
		{},
		{"--out", d + "/x"},
		{"--out", d + "/x", "--seed", "1", "--preset", "huge"},
		{"--out", d + "/x", "--seed", "1", "--rope", "sideways"},
		{"--out", d + "/x", "--llama2c", "a.bin"},
		{"--out", d + "/x", "--llama2c", d + "/nope.bin", "--llama2c-tokenizer", d + "/nope.tok"},
		{"--out", d + "/x", "--seed", "1", "--tokenizer", d + "/nope.json"},
		{"--out", d + "/x", "--seed", "1", "--external-data", "maybe"},
		{"--out", d + "/x", "--seed", "1", "extra"},
	} {
		code, _, errOut := runCLI(append([]string{"build-model"}, args...)...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
		if strings.Contains(errOut, "onnxbuild:") {
			t.Errorf("%v: the message names the package: %q", args, errOut)
		}
	}
}

func TestBuildModelLlama2C(t *testing.T) {
	sh, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "models", "stories260K"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(sh); err != nil {
		t.Skipf("shared stories260K model not found at %s", sh)
	}
	dir := filepath.Join(t.TempDir(), "st")
	code, out, errs := runCLI("build-model", "--out", dir, "--llama2c", filepath.Join(sh, "stories260K.bin"),
		"--llama2c-tokenizer", filepath.Join(sh, "tok512.bin"), "--kv-float16")
	if code != 0 || !strings.Contains(out, "vocab 512, dim 64, 5 layers, 8/4 heads, context 512, KV float16") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	// The checkpoint given as its own tokenizer is bad input.
	code, _, _ = runCLI("build-model", "--out", dir+"2", "--llama2c", filepath.Join(sh, "stories260K.bin"),
		"--llama2c-tokenizer", filepath.Join(sh, "stories260K.bin"))
	if code != exitUsage {
		t.Errorf("checkpoint as tokenizer: exit %d, want %d", code, exitUsage)
	}
}

// --genai writes the onnxruntime-genai layout, which inspect and generate then run end to end.
func TestBuildModelGenAI(t *testing.T) {
	rtNeedORT(t)
	dir := filepath.Join(t.TempDir(), "g")
	code, out, errs := runCLI("build-model", "--out", dir, "--seed", "3", "--preset", "tiny", "--genai")
	if code != 0 || !strings.Contains(out, "genai layout (GroupQueryAttention)") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	for f, want := range map[string]bool{"model.onnx": true, "genai_config.json": true, "tokenizer.json": true, "config.json": false, "generation_config.json": false} {
		if _, err := os.Stat(filepath.Join(dir, f)); (err == nil) != want {
			t.Errorf("%s: present=%v, want %v", f, err == nil, want)
		}
	}
	code, out, errs = runCLI("inspect", "--model", dir, "--json")
	if code != 0 || strings.Contains(out, `"position_ids"`) || !strings.Contains(out, `"genai_past_present_share_buffer": true`) {
		t.Errorf("inspect: exit %d (%s)\n%s", code, errs, out)
	}
	code, out, errs = runCLI("generate", "--model", dir, "--prompt", "Hello", "--max-new-tokens", "8", "--provider", "cpu", "--json")
	var got struct {
		TokenIDs []int  `json:"token_ids"`
		Provider string `json:"provider"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || len(got.TokenIDs) == 0 || got.Provider != "cpu" {
		t.Errorf("generate: exit %d (%s)\n%s", code, errs, out)
	}
	// int4: MatMulNBits projections; generate runs it.
	code, out, errs = runCLI("build-model", "--out", dir+"q", "--seed", "3", "--preset", "tiny", "--genai", "--int4")
	if code != 0 || !strings.Contains(out, "int4 MatMulNBits") {
		t.Fatalf("--int4: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if code, out, errs = runCLI("generate", "--model", dir+"q", "--prompt", "Hello", "--max-new-tokens", "8", "--provider", "cpu"); code != 0 {
		t.Errorf("generate int4: exit %d (%s) %q", code, errs, out)
	}
	if code, _, _ := runCLI("build-model", "--out", dir+"4", "--seed", "3", "--int4"); code != exitUsage {
		t.Errorf("--int4 without --genai: exit %d, want %d", code, exitUsage)
	}
	// float16 KV and a head dim GroupQueryAttention cannot take are bad usage.
	if code, _, _ := runCLI("build-model", "--out", dir+"2", "--seed", "3", "--genai", "--kv-float16"); code != exitUsage {
		t.Errorf("--genai --kv-float16: exit %d, want %d", code, exitUsage)
	}
	sh, _ := filepath.Abs(filepath.Join("..", "..", "..", "shared", "models", "stories260K"))
	if _, err := os.Stat(sh); err == nil { // head dim 8
		code, _, errs := runCLI("build-model", "--out", dir+"3", "--genai", "--llama2c", filepath.Join(sh, "stories260K.bin"),
			"--llama2c-tokenizer", filepath.Join(sh, "tok512.bin"))
		if code != exitUsage || !strings.Contains(errs, "multiple of 16") {
			t.Errorf("--genai stories260K: exit %d, want %d (%s)", code, exitUsage, errs)
		}
	}
}
