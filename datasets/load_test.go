package datasets

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestParseKinds(t *testing.T) {
	tests := []struct {
		kind   string
		fields FieldMap
		in     string
		want   []Problem
	}{
		{KindGSM8K, FieldMap{}, `{"question": "Q1?", "answer": "work\n#### 1,000"}
{"question": "Q2?", "answer": "a #### b\n#### -7 "}`,
			[]Problem{{ID: "0", Question: "Q1?", Gold: "1000"}, {ID: "1", Question: "Q2?", Gold: "-7"}}},
		{KindMATH500, FieldMap{}, `{"problem": "P", "solution": "s", "answer": "\\frac{1}{2}", "subject": "Algebra", "level": 3, "unique_id": "test/algebra/1.json"}`,
			[]Problem{{ID: "test/algebra/1.json", Question: "P", Gold: `\frac{1}{2}`, Meta: map[string]string{"level": "3", "subject": "Algebra", "unique_id": "test/algebra/1.json"}}}},
		{KindMATH, FieldMap{}, `{"problem": "P", "level": "Level 5", "type": "Number Theory", "solution": "so $\\boxed{1}$ then $\\boxed{\\frac{a}{b}}$.", "idx": 7}
{"problem": "Q", "level": "Level ?", "type": "Geometry", "solution": "\\fbox{x}", "idx": 8}`,
			[]Problem{
				{ID: "7", Question: "P", Gold: `\frac{a}{b}`, Meta: map[string]string{"level": "5", "level_raw": "Level 5", "subject": "Number Theory", "type": "Number Theory", "idx": "7"}},
				{ID: "8", Question: "Q", Gold: "x", Meta: map[string]string{"level": "?", "level_raw": "Level ?", "subject": "Geometry", "type": "Geometry", "idx": "8"}},
			}},
		{KindAIME24, FieldMap{}, `{"id": 60, "problem": "P", "solution": "s", "answer": "204", "url": "u"}`,
			[]Problem{{ID: "60", Question: "P", Gold: "204", Meta: map[string]string{"year": "2024", "url": "u"}}}},
		{KindAIME25, FieldMap{}, `{"problem": "P", "answer": 70, "id": "0"}
{"problem": "Q", "answer": 49, "id": "16"}`,
			[]Problem{
				{ID: "0", Question: "P", Gold: "70", Meta: map[string]string{"year": "2025", "exam": "I", "number": "1"}},
				{ID: "16", Question: "Q", Gold: "49", Meta: map[string]string{"year": "2025", "exam": "II", "number": "2"}},
			}},
		{KindAMC23, FieldMap{}, `{"id": 0, "problem": "P", "answer": 27.0, "url": "u"}
{"id": 1, "problem": "Q", "answer": 0.5}
{"id": 2, "problem": "R", "answer": -1.0}`,
			[]Problem{
				{ID: "0", Question: "P", Gold: "27", Meta: map[string]string{"year": "2023", "url": "u"}},
				{ID: "1", Question: "Q", Gold: "0.5", Meta: map[string]string{"year": "2023"}},
				{ID: "2", Question: "R", Gold: "-1", Meta: map[string]string{"year": "2023"}},
			}},
		{KindJSONL, FieldMap{}, `{"question": "A", "answer": 3}
{"question": "B", "answer": "x"}`,
			[]Problem{{ID: "0", Question: "A", Gold: "3"}, {ID: "1", Question: "B", Gold: "x"}}},
		{KindJSONL, FieldMap{Question: "prompt", Answer: "sol", ID: "key", Meta: []string{"level", "tags", "absent"}, Extract: "boxed"},
			`{"prompt": "A", "sol": "so \\boxed{42}", "key": 9, "level": 2, "tags": ["a", "b"]}`,
			[]Problem{{ID: "9", Question: "A", Gold: "42", Meta: map[string]string{"level": "2", "tags": `["a","b"]`}}}},
		{KindJSONL, FieldMap{Extract: "gsm8k"}, "\n\r\n{\"question\": \"A\", \"answer\": \"#### 2,5\"}\r\n\n",
			[]Problem{{ID: "2", Question: "A", Gold: "25"}}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.kind, "f.jsonl", []byte(tt.in), tt.fields)
		if err != nil {
			t.Errorf("%s: %v", tt.kind, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got %#v\nwant %#v", tt.kind, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		kind, in string
		line     int
		msg      string
	}{
		{KindGSM8K, "", 0, "no records"},
		{KindGSM8K, "\n  \n", 0, "no records"},
		{KindGSM8K, `{"question": "a", "answer": "#### 1"}` + "\n{bad", 2, "bad JSON"},
		{KindGSM8K, `[1, 2]`, 1, "not a JSON object"},
		{KindGSM8K, `{"question": "a"}`, 1, `missing field "answer"`},
		{KindGSM8K, `{"question": "a", "answer": "no marker"}`, 1, `no final "#### N"`},
		{KindGSM8K, `{"question": "a", "answer": "#### "}`, 1, `no final "#### N"`},
		{KindGSM8K, `{"question": 5, "answer": "#### 1"}`, 1, `want a string, got a number`},
		{KindGSM8K, `{"question": "  ", "answer": "#### 1"}`, 1, "empty question"},
		{KindMATH, `{"problem": "p", "solution": "no box", "idx": 1}`, 1, `no \boxed`},
		{KindMATH, `{"problem": "p", "solution": "\\boxed{1}", "idx": 1.5}`, 1, `want an integer`},
		{KindMATH, `{"problem": "p", "solution": "\\boxed{1}", "idx": "1"}`, 1, `want an integer`},
		{KindMATH500, `{"problem": "p", "answer": null}`, 1, `is null`},
		{KindMATH500, `{"problem": "p", "answer": ""}`, 1, `empty gold`},
		{KindMATH500, `{"problem": "p", "answer": {"a": 1}}`, 1, `got an object`},
		{KindAMC23, `{"id": 1, "problem": "p", "answer": [1]}`, 1, `got an array`},
		{KindAIME24, `{"id": 1, "problem": "p", "answer": "1"}` + "\n\n" + `{"id": 1, "problem": "q", "answer": "2"}`, 3, `duplicate id "1" (first on line 1)`},
		{KindAIME24, `{"id": "", "problem": "p", "answer": "1"}`, 1, `empty id`},
		{KindAIME24, `{"id": true, "problem": "p", "answer": "1"}`, 1, `want an integer, got a boolean`},
		{KindJSONL, `{"question": "a", "answer": "1", "id": "x"}` + "\n" + `{"question": "b", "answer": "1", "id": "x"}`, 2, `duplicate id`},
		{KindJSONL, `{"q": "a", "answer": "1"}`, 1, `missing field "question"`},
		{"nope", `{"question": "a", "answer": "1"}`, 0, `unknown kind`},
		// Not UTF-8 (here Latin-1 "café" on line 2): an error with the byte offset, never U+FFFD.
		{KindJSONL, `{"question": "a", "answer": "1"}` + "\n" + "{\"question\": \"caf\xe9?\", \"answer\": \"1\"}", 2,
			"not valid UTF-8: byte 0xe9 at byte offset 50 of the file (column 18)"},
		{KindJSONL, "\xef\xbb\xbf{\"question\": \"\xc3\", \"answer\": \"1\"}", 1, "byte 0xc3 at byte offset 17 of the file (column 15)"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.kind, "bad.jsonl", []byte(tt.in), FieldMap{})
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%s %q: want a ParseError, got %v", tt.kind, tt.in, err)
			continue
		}
		if pe.File != "bad.jsonl" || pe.Line != tt.line || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s %q: got %q (line %d), want line %d and %q", tt.kind, tt.in, err, pe.Line, tt.line, tt.msg)
		}
		if tt.line > 0 && !strings.HasPrefix(err.Error(), "bad.jsonl:"+strconv.Itoa(tt.line)+": ") {
			t.Errorf("error %q does not start with file:line", err)
		}
	}
	if _, err := Parse(KindJSONL, "f", []byte(`{"question": "a", "answer": "1"}`), FieldMap{Extract: "weird"}); err == nil {
		t.Error("unknown extraction accepted")
	}
}

func TestFormatNumber(t *testing.T) {
	tests := map[string]string{
		"27.0": "27", "0.5": "0.5", "-1.0": "-1", "1e3": "1000", "1E3": "1000", "3159.0": "3159",
		"12345678901234567890": "12345678901234567890", "-0": "0", "0": "0", "-0.0": "0",
		"0.1": "0.1", "1e-7": "1e-07", "1e21": "1e+21", "123456.789": "123456.789", "2.50": "2.5",
	}
	for in, want := range tests {
		got, err := formatNumber(in)
		if err != nil || got != want {
			t.Errorf("formatNumber(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"01", "-", "1e999", "abc"} {
		if got, err := formatNumber(bad); err == nil {
			t.Errorf("formatNumber(%s) = %q, want an error", bad, got)
		}
	}
}

func TestLastBoxed(t *testing.T) {
	tests := []struct{ in, want string }{
		{`\boxed{1}`, "1"},
		{`a \boxed{1} b \boxed{\frac{1}{2}} c`, `\frac{1}{2}`},
		{`\fbox{7}`, "7"},
		{`\boxed{1} \fbox{2}`, "2"},
		{`\fbox{2} \boxed{3}`, "3"},
		{`\boxed {x}`, "x"},
		{`\boxed{\{1,2\}}`, `\{1,2\}`},
		{`\boxed{\left\{ x \right.}`, `\left\{ x \right.`},
		{`\boxed{a} \boxed{unclosed`, "a"},
		{`\boxed{a} \boxed`, "a"},
		{`\boxed{}`, ""},
	}
	for _, tt := range tests {
		got, ok := LastBoxed(tt.in)
		if !ok || got != tt.want {
			t.Errorf("LastBoxed(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
	for _, in := range []string{"", "no box", `\boxed`, `\boxed{`, `\boxed 5`} {
		if got, ok := LastBoxed(in); ok {
			t.Errorf("LastBoxed(%q) = %q, want none", in, got)
		}
	}
}

func TestLoadLocalPath(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mine.jsonl")
	os.WriteFile(path, []byte(`{"q": "one", "a": 1.50}`+"\n"), 0o644)
	ps, info, err := Load(Spec{Name: "mine", Kind: KindJSONL, Path: path, Fields: FieldMap{Question: "q", Answer: "a"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || ps[0].Gold != "1.5" || ps[0].ID != "0" {
		t.Fatalf("got %+v", ps)
	}
	if info.Path != path || info.Source != "path" || info.Count != 1 || info.Verified || len(info.SHA256) != 64 {
		t.Errorf("info %+v", info)
	}
	if _, _, err := Load(Spec{Name: "mine", Path: path}); err == nil || !strings.Contains(err.Error(), "no kind") {
		t.Errorf("no kind: %v", err)
	}
	if _, _, err := Load(Spec{Name: "nope"}); err == nil || !strings.Contains(err.Error(), "unknown dataset") {
		t.Errorf("unknown: %v", err)
	}
	if _, _, err := Load(Spec{Name: "x", Kind: "weird", Path: path}); err == nil || !strings.Contains(err.Error(), "unknown kind") {
		t.Errorf("bad kind: %v", err)
	}
	if _, _, err := Load(Spec{Name: "gsm8k", CacheDir: dir, Offline: true}); err == nil || !strings.Contains(err.Error(), "not in the cache") {
		t.Errorf("offline: %v", err)
	}
	if _, _, err := Load(Spec{Name: "x", Kind: KindGSM8K, Path: filepath.Join(dir, "missing.jsonl")}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestRegistry(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range Known() {
		if seen[e.Name] || len(e.SHA256) != 64 || e.Records <= 0 || !validKind(e.Kind) || e.Repo == "" || e.Commit == "" || e.Path == "" {
			t.Errorf("bad entry %+v", e)
		}
		// A full commit hash: a short one can become ambiguous as the repository grows.
		if len(e.Commit) != 40 || strings.Trim(e.Commit, "0123456789abcdef") != "" {
			t.Errorf("%s: commit %q is not a full 40-digit hash", e.Name, e.Commit)
		}
		seen[e.Name] = true
		if _, err := Template(e.Template); err != nil {
			t.Errorf("%s: %v", e.Name, err)
		}
	}
	e, _ := Lookup("gsm8k")
	if got, want := e.URL(""), "https://raw.githubusercontent.com/openai/grade-school-math/3101c7d5072418e28b9008a6636bde82a006892c/grade_school_math/data/test.jsonl"; got != want {
		t.Errorf("URL = %s, want %s", got, want)
	}
	if got := e.URL("http://mirror/x/"); got != "http://mirror/x/openai/grade-school-math/3101c7d5072418e28b9008a6636bde82a006892c/grade_school_math/data/test.jsonl" {
		t.Errorf("mirror URL = %s", got)
	}
	if DefaultTemplate("math") != "deepseek-r1" || DefaultTemplate("my-own") != "raw" {
		t.Error("default templates")
	}
}

func TestLoadKindOnly(t *testing.T) {
	dir := t.TempDir()
	_, _, err := Load(Spec{Kind: KindAIME25, CacheDir: dir, Offline: true})
	if !errors.Is(err, ErrNotCached) || !strings.Contains(err.Error(), `"aime25"`) {
		t.Errorf("kind only: %v", err)
	}
	if _, _, err := Load(Spec{}); !errors.Is(err, ErrBadSpec) {
		t.Errorf("empty spec: %v", err)
	}
	if _, _, err := Load(Spec{Name: "zzz"}); !errors.Is(err, ErrUnknown) {
		t.Errorf("unknown: %v", err)
	}
}
