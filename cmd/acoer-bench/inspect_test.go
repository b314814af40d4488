package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acoer/acoer-bench/runner"
	"github.com/acoer/acoer-bench/runner/ort"
)

// rtRun runs the CLI and returns exit code, stdout, stderr.
func rtRun(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := runMain(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func rtNeedORT(t *testing.T) {
	t.Helper()
	if err := ort.InitDefault(""); errors.Is(err, ort.ErrNotFound) {
		t.Skip("ONNX Runtime not installed: run `make setup`")
	} else if err != nil {
		t.Fatal(err)
	}
}

func tinyDir(t *testing.T, td runner.TinyDecoder) string {
	t.Helper()
	dir := t.TempDir()
	if err := td.WriteDir(dir, 256, 3); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestInspectCommand(t *testing.T) {
	rtNeedORT(t)
	dir := tinyDir(t, runner.TinyDecoder{Vocab: 32, Layers: 3, KV16: true})
	code, out, errs := rtRun("inspect", "--model", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, w := range []string{"kv cache     float16 [batch, 1 kv heads, seq, 1 head dim]", "layers       3", "context      256", "past_key_values.2.value float16[?,1,?,1]", "eos ids      [3] (generation_config.json eos_token_id)", "producer: acoer-bench-tiny-decoder"} {
		if !strings.Contains(out, w) {
			t.Errorf("inspect output lacks %q:\n%s", w, out)
		}
	}
	code, out, _ = rtRun("inspect", "--model", dir, "--json")
	var got struct {
		Contract runner.Contract
		Info     runner.Info
	}
	if code != exitOK || json.Unmarshal([]byte(out), &got) != nil || len(got.Contract.Layers) != 3 || len(got.Info.ModelSHA256) != 64 {
		t.Errorf("inspect --json: exit %d, %+v", code, got)
	}
	if code, _, errs := rtRun("inspect", "--model", filepath.Join(dir, "nope")); code != exitUsage {
		t.Errorf("missing model dir: exit %d (%s), want 2", code, errs)
	}
	if code, _, _ := rtRun("inspect"); code != exitUsage {
		t.Errorf("no --model: exit %d, want 2", code)
	}
}

func TestGenerateCommandBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"generate", "--prompt", "x"},
		{"generate", "--model", "m", "--max-new-tokens", "0"},
		{"generate", "--model", "m", "--top-p", "0"},
		{"generate", "--model", "m", "--temperature", "-1"},
		{"generate", "--model", "m", "--provider", "tpu"},
		{"generate", "--model", "m", "--system", "s"},
		{"generate", "--model", "m", "--prompt", "a", "--prompt-file", "f"},
		{"generate", "--model", "m", "--context-overflow", "wrap"},
		{"generate", "--bogus"},
	} {
		if code, _, errs := rtRun(args...); code != exitUsage {
			t.Errorf("%v: exit %d (%s), want 2", args, code, errs)
		}
	}
	if code, _, _ := rtRun("generate", "--help"); code != exitOK {
		t.Errorf("--help: exit %d", code)
	}
}

func TestGenerateCommandBadModelDir(t *testing.T) {
	rtNeedORT(t)
	if code, _, errs := rtRun("generate", "--model", t.TempDir(), "--prompt", "hi", "--provider", "cpu"); code != exitUsage || !strings.Contains(errs, "config.json") {
		t.Errorf("empty model dir: exit %d (%s), want 2", code, errs)
	}
}

func TestDoctorCommand(t *testing.T) {
	rtNeedORT(t)
	code, out, errs := rtRun("doctor")
	if code != exitOK {
		t.Fatalf("doctor: exit %d\n%s%s", code, out, errs)
	}
	for _, w := range []string{"ONNX Runtime    " + ort.Version, "CPUExecutionProvider", "self-test cpu   ok"} {
		if !strings.Contains(out, w) {
			t.Errorf("doctor output lacks %q:\n%s", w, out)
		}
	}
	if code, out, _ := rtRun("doctor", "--ort-lib", filepath.Join(t.TempDir(), "none.so")); code != exitRuntime || !strings.Contains(out, "make setup") {
		t.Errorf("doctor with a missing library: exit %d\n%s", code, out)
	}
}

// inspect names the layout and the variant, generate runs the variant asked for, and a variant the
// directory does not have is one line naming those it has, exit 2.
func TestInspectLayoutsAndVariants(t *testing.T) {
	rtNeedORT(t)
	base := t.TempDir()
	tjs := filepath.Join(base, "tjs")
	for _, args := range [][]string{
		{"build-model", "--out", tjs, "--seed", "3", "--layout", "transformers.js", "--external-data", "always", "--data-chunk-mb", "1"},
		{"build-model", "--out", tjs, "--seed", "3", "--layout", "transformers.js", "--quant", "q4", "--add-variant"},
		{"build-model", "--out", filepath.Join(base, "merged"), "--seed", "3", "--layout", "optimum-merged", "--onnx-subfolder"},
		{"build-model", "--out", filepath.Join(base, "split"), "--seed", "3", "--layout", "optimum-split", "--logits-to-keep", "num_logits_to_keep"},
	} {
		if code, _, errs := rtRun(args...); code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
	}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--model", tjs}, []string{"layout       transformers.js", "variant      default (the directory has default, q4)", "model        " + filepath.Join(tjs, "onnx", "model.onnx"), "onnx/model.onnx_data"}},
		{[]string{"--model", tjs, "--variant", "q4"}, []string{"variant      q4 (the directory has default, q4)", filepath.Join(tjs, "onnx", "model_q4.onnx")}},
		{[]string{"--model", filepath.Join(base, "merged")}, []string{"layout       optimum-merged", "fed          use_cache_branch bool: false for the first step (empty past), true after"}},
		{[]string{"--model", filepath.Join(base, "split")}, []string{"layout       optimum-split", "first step   " + filepath.Join(base, "split", "decoder_model.onnx"),
			"  decoder_model.onnx (", "fed          num_logits_to_keep int64"}},
	} {
		code, out, errs := rtRun(append([]string{"inspect"}, c.args...)...)
		if code != exitOK {
			t.Fatalf("inspect %v: exit %d: %s", c.args, code, errs)
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("inspect %v lacks %q:\n%s", c.args, w, out)
			}
		}
	}
	code, out, errs := rtRun("generate", "--model", tjs, "--variant", "q4", "--prompt", "Hi", "--max-new-tokens", "4", "--provider", "cpu", "--json")
	var g struct {
		TokenIDs []int `json:"token_ids"`
	}
	if code != exitOK || json.Unmarshal([]byte(out), &g) != nil || len(g.TokenIDs) == 0 {
		t.Errorf("generate --variant q4: exit %d %s %s", code, out, errs)
	}
	code, _, errs = rtRun("inspect", "--model", tjs, "--variant", "int8")
	if code != exitUsage || strings.Count(strings.TrimSpace(errs), "\n") != 0 ||
		!strings.Contains(errs, `has no variant "int8": it has default (onnx/model.onnx), q4 (onnx/model_q4.onnx)`) {
		t.Errorf("unknown variant: exit %d: %s", code, errs)
	}
}
