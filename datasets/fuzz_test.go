package datasets

import (
	"errors"
	"testing"
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
