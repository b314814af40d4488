package main

import (
	"bytes"
	"context"
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
