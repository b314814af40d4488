package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acoer/acoer-bench/runner/ort"
)

// perf on a seeded model: JSON with every measurement, Markdown with both tables, bad flags exit 2.
func TestPerfCommand(t *testing.T) {
	if _, err := ort.Discover(""); err != nil {
		t.Skipf("ONNX Runtime not found (make setup): %v", err)
	}
	dir := filepath.Join(t.TempDir(), "m")
	if code, _, errs := runCLI("build-model", "--out", dir, "--seed", "3", "--preset", "tiny"); code != 0 {
		t.Fatal(errs)
	}
	code, out, errs := runCLI("perf", "--model", dir, "--provider", "cpu", "--prompt-tokens", "8,24", "--gen-tokens", "5",
		"--batch", "1,2", "--repeat", "2", "--no-bandwidth", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r struct {
		Prefill []struct {
			PromptTokens    int     `json:"prompt_tokens"`
			TokensPerSecond float64 `json:"tokens_per_second"`
		} `json:"prefill"`
		Decode []struct {
			Batch           int     `json:"batch"`
			TokensPerSecond float64 `json:"decode_tokens_per_second"`
			P50             float64 `json:"per_token_ms_p50"`
		} `json:"decode"`
		Provider string `json:"provider"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(r.Prefill) != 2 || r.Prefill[1].PromptTokens != 24 || len(r.Decode) != 2 || r.Decode[1].Batch != 2 || r.Provider != "cpu" ||
		r.Decode[0].TokensPerSecond <= 0 || r.Decode[0].P50 <= 0 {
		t.Fatalf("perf json: %s", out)
	}
	code, out, _ = runCLI("perf", "--model", dir, "--provider", "cpu", "--prompt-tokens", "8", "--gen-tokens", "4", "--batch", "1",
		"--repeat", "1", "--warmup", "0", "--format", "md")
	if code != 0 || !strings.Contains(out, "**Prefill**") || !strings.Contains(out, "| 1 | 8 | 4 |") || !strings.Contains(out, "GB/s") {
		t.Fatalf("perf md: exit %d\n%s", code, out)
	}
	for _, args := range [][]string{
		{"perf"},
		{"perf", "--model", dir, "--batch", "0"},
		{"perf", "--model", dir, "--gen-tokens", "x"},
		{"perf", "--model", dir, "--format", "xml"},
		{"perf", "--model", dir, "--prompt-tokens", "5000", "--provider", "cpu", "--no-bandwidth"},
	} {
		if code, _, errs := runCLI(args...); code != exitUsage || strings.Count(strings.TrimSpace(errs), "\n") > 1 {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
		}
	}
}
