package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func runGradeCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := runMain(context.Background(), append([]string{"grade"}, args...), strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestGradeCLIOrderAndFields(t *testing.T) {
	in := strings.Join([]string{
		`{"benchmark":"math","response":"so the answer is \\boxed{\\frac12}.","gold":"0.5"}`,
		``,
		`{"benchmark":"amc23","response":"**Final Answer:** 27","gold":27.0,"id":3}`,
		`{"benchmark":"gsm8k","response":"I give up.","gold":"5"}`,
		`{"benchmark":"aime25","response":"\\boxed{045}","gold":45}`,
		`{"benchmark":"math500","response":"<think>hmm</think>The answer is $(1,2]$.","gold":"[1,2]"}`,
	}, "\n")
	code, out, errs := runGradeCLI(t, in)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	want := []struct {
		correct bool
		rule    string
		reason  bool
	}{{true, "boxed", false}, {true, "answer_colon", false}, {false, "none", true}, {true, "boxed", false}, {false, "answer_is", false}}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if m["correct"] != want[i].correct || m["rule"] != want[i].rule {
			t.Errorf("line %d = %s, want correct=%v rule=%s", i+1, l, want[i].correct, want[i].rule)
		}
		if _, ok := m["extracted"]; !ok {
			t.Errorf("line %d lacks extracted: %s", i+1, l)
		}
		if _, ok := m["reason"]; ok != want[i].reason {
			t.Errorf("line %d reason presence = %v: %s", i+1, ok, l)
		}
	}
}

func TestGradeCLIBadLines(t *testing.T) {
	good := `{"benchmark":"gsm8k","response":"#### 7","gold":"7"}`
	for _, c := range []struct{ line, msg string }{
		{`{"benchmark":"gsm8k","response":"x","gold":5`, "invalid JSON"},
		{`not json`, "invalid JSON"},
		{`{"benchmark":"gsm8k","gold":"5"}`, `missing "response"`},
		{`{"benchmark":"gsm8k","response":"5"}`, `missing "gold"`},
		{`{"benchmark":"gsm8k","response":"5","gold":""}`, `"gold" is empty`},
		{`{"benchmark":"gsm8k","response":"5","gold":[5]}`, `"gold" must be`},
		{`{"response":"5","gold":"5"}`, `missing "benchmark"`},
		{`{"benchmark":"trivia","response":"5","gold":"5"}`, "unknown benchmark"},
		{`{"benchmark":"gsm8k","response":5,"gold":"5"}`, `"response": want a string, got number`},
		{`[1]`, "want an object, got array"},
	} {
		code, out, errs := runGradeCLI(t, good+"\n"+good+"\n"+c.line+"\n"+good+"\n")
		if code != exitUsage {
			t.Errorf("%s: exit %d, want %d", c.line, code, exitUsage)
		}
		if !strings.Contains(errs, "line 3") || !strings.Contains(errs, c.msg) || strings.Contains(errs, "Go ") || strings.Contains(errs, "main.") {
			t.Errorf("%s: stderr %q, want line 3 and %q", c.line, errs, c.msg)
		}
		if n := strings.Count(out, "\n"); n != 2 {
			t.Errorf("%s: %d lines written before the error, want 2:\n%s", c.line, n, out)
		}
	}
}

func TestGradeCLIDefaultBenchmarkAndFlags(t *testing.T) {
	code, out, errs := runGradeCLI(t, `{"response":"The answer is 1,234.","gold":"1234"}`+"\n", "--benchmark", "gsm8k")
	if code != exitOK || !strings.Contains(out, `"correct":true`) {
		t.Fatalf("exit %d out %q err %q", code, out, errs)
	}
	if code, _, _ := runGradeCLI(t, "", "--benchmark", "nope"); code != exitUsage {
		t.Errorf("unknown --benchmark: exit %d", code)
	}
	if code, _, _ := runGradeCLI(t, "", "extra"); code != exitUsage {
		t.Errorf("extra argument: exit %d", code)
	}
	if code, _, errs := runGradeCLI(t, "", "--help"); code != exitOK || !strings.Contains(errs, "examples") {
		t.Errorf("--help: exit %d, %q", code, errs)
	}
	if code, out, _ := runGradeCLI(t, ""); code != exitOK || out != "" {
		t.Errorf("empty input: exit %d out %q", code, out)
	}
}
