package datasets

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"
)

// FuzzLoadJSONL feeds arbitrary bytes to every loader: no panic; either a *ParseError or problems
// with unique, non-empty ids, questions and golds.
func FuzzLoadJSONL(f *testing.F) {
	for _, s := range []string{
		`{"question": "q", "answer": "#### 1,000"}`,
		`{"problem": "p", "solution": "\\boxed{\\frac{1}{2}}", "level": "Level 2", "type": "Algebra", "idx": 3}`,
		`{"problem": "p", "answer": 27.0, "id": 1, "url": "u"}` + "\n" + `{"problem": "p", "answer": 1e400, "id": 2}`,
		`{"id": "0", "problem": "p", "answer": 70}`,
		`{"problem": "p", "answer": "x", "unique_id": "a", "level": 5, "subject": "s"}`,
		"\xef\xbb\xbf{\"question\": \"q\", \"answer\": \"a\", \"id\": -0}\r\n",
		`{"question": "q", "answer": {"a": [1, null]}}`,
		"{\n}", "", "\n\n", "[", `{"question": "\ud800", "answer": "1"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, kind := range Kinds() {
			for _, fm := range []FieldMap{{}, {Extract: "boxed", Meta: []string{"level", "answer"}}} {
				ps, err := Parse(kind, "fuzz.jsonl", data, fm)
				if err != nil {
					var pe *ParseError
					if !errors.As(err, &pe) || pe.File != "fuzz.jsonl" {
						t.Fatalf("%s: error %v is not a ParseError", kind, err)
					}
					continue
				}
				if !utf8.Valid(data) {
					t.Fatalf("%s: accepted a file that is not UTF-8", kind)
				}
				seen := map[string]bool{}
				for _, p := range ps {
					if p.ID == "" || p.Question == "" || p.Gold == "" || seen[p.ID] {
						t.Fatalf("%s: bad problem %+v", kind, p)
					}
					seen[p.ID] = true
				}
			}
		}
	})
}

// FuzzLastBoxed: no panic, and the result is a substring of the input.
func FuzzLastBoxed(f *testing.F) {
	for _, s := range []string{`\boxed{1}`, `\boxed{\{}`, `\fbox{\boxed{x}}`, `\boxed {a\\}`, `\boxed`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, ok := LastBoxed(s); ok && len(got) > len(s) {
			t.Fatalf("LastBoxed(%q) = %q", s, got)
		}
	})
}

// FuzzUnquoteJSON: for every valid JSON string literal, unquoteJSON agrees with encoding/json.
func FuzzUnquoteJSON(f *testing.F) {
	for _, s := range []string{`"a"`, `"\\boxed{1}"`, `"\u00e9\ud83d\ude00"`, `"\ud800x"`, `"\udc00\ud800"`, "\"\xff\xfe\"", `"\/\b\f\n\r\t\""`, `"é"`, `"\ud83d\u0041"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		var want string
		if json.Unmarshal(v, &want) != nil || len(v) == 0 || v[0] != '"' {
			return
		}
		got, err := unquoteJSON(v)
		if err != nil || got != want {
			t.Fatalf("unquoteJSON(%q) = %q, %v; encoding/json gives %q", v, got, err, want)
		}
	})
}

// FuzzSplitObject: for every valid JSON object, splitObject agrees with encoding/json.
func FuzzSplitObject(f *testing.F) {
	for _, s := range []string{`{}`, ` { "a" : 1 , "b":[1,{"c":"}"}] ,"a":"x\"}" } `, `{"k\u00e9":null,"z":{"y":[]}}`, `{"a":true}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		var want map[string]json.RawMessage
		if !json.Valid(v) || json.Unmarshal(v, &want) != nil || want == nil {
			return
		}
		got, ok := splitObject(v)
		if !ok || len(got) != len(want) {
			t.Fatalf("splitObject(%q) = %v, %v; want %v", v, got, ok, want)
		}
		for k, w := range want {
			if string(got[k]) != string(bytes.TrimSpace(w)) {
				t.Fatalf("splitObject(%q)[%q] = %q, want %q", v, k, got[k], w)
			}
		}
	})
}
