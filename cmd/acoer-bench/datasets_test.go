package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func datasetsRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := runMain(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestDatasetsCLI(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.jsonl")
	os.WriteFile(good, []byte(`{"prompt": "1+1?", "target": 2.0, "level": 1}`+"\n"+`{"prompt": "2+2?", "target": "4", "level": 2}`+"\n"), 0o644)
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(`{"question": "q", "answer": "#### 1"}`+"\n"+`{"question": "q"`+"\n"), 0o644)

	code, out, _ := datasetsRun(t, "datasets", "list", "--cache", dir)
	if code != 0 || !strings.Contains(out, "math500") || !strings.Contains(out, "3371949f33dd702d04b43fddd7d53a028de0aaca0e76abb1b875a050297b3aa4") {
		t.Errorf("list: %d %q", code, out)
	}
	code, out, errs := datasetsRun(t, "datasets", "show", "mine", "--path", good, "--kind", "jsonl",
		"--question-field", "prompt", "--answer-field", "target", "--meta-fields", "level", "--template", "deepseek-r1", "--limit", "1")
	if code != 0 {
		t.Fatalf("show: %d %s", code, errs)
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(out), &line); err != nil || line["gold"] != "2" || line["id"] != "0" ||
		!strings.HasPrefix(line["prompt"].(string), "1+1?\nPlease reason step by step") || line["chat"] != true {
		t.Errorf("show output %q (%v)", out, err)
	}
	for _, tt := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"datasets"}, 2, "missing subcommand"},
		{[]string{"datasets", "frobnicate"}, 2, "unknown subcommand"},
		{[]string{"datasets", "show", "x", "--path", bad, "--kind", "gsm8k"}, 2, "bad.jsonl:2: bad JSON"},
		{[]string{"datasets", "show", "x", "--path", good}, 2, "no kind given"},
		{[]string{"datasets", "show", "nope"}, 2, "unknown dataset"},
		{[]string{"datasets", "show", "gsm8k", "--cache", dir, "--offline"}, 2, "not in the cache"},
		{[]string{"datasets", "show", "x", "--path", good, "--kind", "jsonl", "--template", "nope"}, 2, "unknown prompt template"},
		{[]string{"datasets", "download", "nope"}, 2, "unknown dataset"},
		{[]string{"datasets", "download"}, 2, "name the datasets"},
		{[]string{"datasets", "verify", "gsm8k", "--cache", dir}, 3, "verification failed"},
		{[]string{"datasets", "list", "--help"}, 0, ""},
	} {
		code, _, errs := datasetsRun(t, tt.args...)
		if code != tt.code || !strings.Contains(errs, tt.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tt.args, code, errs, tt.code, tt.msg)
		}
	}
	// verify with nothing cached and no names: everything "missing", not a failure.
	if code, out, errs := datasetsRun(t, "datasets", "verify", "--cache", dir); code != 0 || strings.Count(out, "missing") != 6 {
		t.Errorf("verify empty cache: %d %q %q", code, out, errs)
	}
}

func TestDatasetsDownloadCLI(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	dir := t.TempDir()
	code, _, errs := datasetsRun(t, "datasets", "download", "--cache", dir, "--base-url", srv.URL, "aime24", "amc23")
	if code != 3 || !strings.Contains(errs, "404") || !strings.Contains(errs, "2 of 2 downloads failed") {
		t.Errorf("download 404: %d %q", code, errs)
	}
	if left, _ := os.ReadDir(dir); len(left) > 0 {
		t.Errorf("left behind in the cache: %v", left)
	}
	// With the real file served (from ../shared when present), download, verify and show work end to end.
	shared := filepath.Join("..", "..", "..", "shared", "datasets", "aime25", "test.jsonl")
	body, err := os.ReadFile(shared)
	if err != nil {
		t.Skipf("real aime25 file not found at %s: skipping the end-to-end download", shared)
	}
	srv2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/inclusionAI/AReaL/ea12141f2b18fbcd130c6460e8a141c1913354de/evaluation/data/aime25/test.jsonl" {
			http.NotFound(w, r)
			return
		}
		w.Write(body)
	}))
	defer srv2.Close()
	if code, out, errs := datasetsRun(t, "datasets", "download", "--cache", dir, "--base-url", srv2.URL, "aime25"); code != 0 || !strings.Contains(out, "downloaded") {
		t.Fatalf("download: %d %q %q", code, out, errs)
	}
	if code, out, errs := datasetsRun(t, "datasets", "verify", "--cache", dir, "aime25"); code != 0 || !strings.Contains(out, "ok") || !strings.Contains(out, "30") {
		t.Errorf("verify: %d %q %q", code, out, errs)
	}
	if code, out, errs := datasetsRun(t, "datasets", "show", "aime25", "--cache", dir, "--offline", "--limit", "2", "--seed", "3"); code != 0 || strings.Count(out, "\n") != 2 {
		t.Errorf("show: %d %q %q", code, out, errs)
	}
}
