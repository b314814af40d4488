// Needs runner/tokenizer wired in and runner/onnxbuild merged; delete the build tag line after the merge.
//
//	go test -tags 'acoer_tokenizer acoer_integration' ./cmd/acoer-bench/
package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/acoer/acoer-bench/runner/onnxbuild"
)

// generate on the converted stories260K model prints llama2.c's greedy text byte for byte (nothing
// trimmed, nothing added), and --json carries the ids and the provider.
func TestGenerateStories260K(t *testing.T) {
	rtNeedORT(t)
	sh := filepath.Join("..", "..", "..", "shared", "models", "stories260K")
	want, err := os.ReadFile(filepath.Join(sh, "expected_greedy_200.txt"))
	if err != nil {
		t.Skipf("shared stories260K model not found: %v", err)
	}
	dir := t.TempDir()
	if _, err := onnxbuild.ConvertLlama2C(filepath.Join(sh, "stories260K.bin"), filepath.Join(sh, "tok512.bin"), dir, false, onnxbuild.DirOptions{Overwrite: true}); err != nil {
		t.Fatal(err)
	}
	code, out, errs := rtRun("generate", "--model", dir, "--prompt", "", "--max-new-tokens", "200", "--provider", "cpu")
	if code != exitOK || out != string(want) {
		t.Fatalf("exit %d (%s)\n got %q\nwant %q", code, errs, out, want)
	}
	code, out, errs = rtRun("generate", "--model", dir, "--prompt", "Once upon a time", "--max-new-tokens", "8", "--provider", "cpu", "--json")
	var got struct {
		Text           string `json:"text"`
		TokenIDs       []int  `json:"token_ids"`
		PromptTokenIDs []int  `json:"prompt_token_ids"`
		FinishReason   string `json:"finish_reason"`
		Provider       string `json:"provider"`
	}
	if code != exitOK || json.Unmarshal([]byte(out), &got) != nil || len(got.TokenIDs) != 8 || got.PromptTokenIDs[0] != 1 ||
		got.FinishReason != "length" || got.Provider != "cpu" || got.Text == "" {
		t.Errorf("--json: exit %d (%s) %s", code, errs, out)
	}
}
