package bench

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sampleLine(id string, i int) string {
	b, _ := json.Marshal(Sample{Model: "m", Dataset: "d", Decoding: "greedy", ProblemID: id, Sample: i, Completion: "x"})
	return string(b) + "\n"
}

func TestReadSamplesTornAndDamaged(t *testing.T) {
	good := sampleLine("a", 0) + sampleLine("b", 0)
	cases := []struct {
		name  string
		in    string
		n     int
		good  int
		isErr bool
	}{
		{"clean", good, 2, len(good), false},
		{"torn tail", good + `{"problem_id":"c","sam`, 2, len(good), false},
		{"complete tail without newline", good + strings.TrimSuffix(sampleLine("c", 0), "\n"), 2, len(good), false},
		{"bad last line", good + "{garbage}\n", 2, len(good), false},
		{"bad middle line", sampleLine("a", 0) + "{garbage}\n" + sampleLine("b", 0), 0, 0, true},
		{"duplicate pair", good + sampleLine("a", 0), 2, len(good) + len(sampleLine("a", 0)), false},
		{"unknown field", sampleLine("a", 0) + `{"problem_id":"z","nope":1}` + "\n" + sampleLine("b", 0), 0, 0, true},
		{"blank lines", "\n" + good + "\n", 2, len(good) + 2, false},
	}
	for _, c := range cases {
		s, off, err := ReadSamples(strings.NewReader(c.in), "f.jsonl")
		if (err != nil) != c.isErr || len(s) != c.n || (!c.isErr && off != int64(c.good)) {
			t.Errorf("%s: %d samples, good %d, err %v; want %d, %d, err %v", c.name, len(s), off, err, c.n, c.good, c.isErr)
		}
		if err != nil && !strings.Contains(err.Error(), "f.jsonl:2") {
			t.Errorf("%s: error without line number: %v", c.name, err)
		}
	}
}

func TestAppenderCutsTornTail(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s", "x.jsonl")
	os.MkdirAll(filepath.Dir(p), 0o755)
	os.WriteFile(p, []byte(sampleLine("a", 0)+`{"problem_id":"b"`), 0o644)
	a, s, err := openAppender(p)
	if err != nil || len(s) != 1 {
		t.Fatal(err, len(s))
	}
	if err := a.append([]Sample{{ProblemID: "b"}}); err != nil {
		t.Fatal(err)
	}
	a.close()
	got, err := ReadSamplesFile(p)
	if err != nil || len(got) != 2 || got[1].ProblemID != "b" {
		t.Fatalf("%v %+v", err, got)
	}
}

func FuzzReadSamples(f *testing.F) {
	f.Add([]byte(sampleLine("a", 0) + sampleLine("b", 1)))
	f.Add([]byte(sampleLine("a", 0) + `{"problem_id":`))
	f.Add([]byte("\n\n{}\n"))
	f.Add([]byte(`{"problem_id":"x","sample":-1}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, good, err := ReadSamples(bytes.NewReader(data), "f")
		if err != nil {
			return
		}
		if good < 0 || good > int64(len(data)) {
			t.Fatalf("good offset %d outside 0..%d", good, len(data))
		}
		if good > 0 && data[good-1] != '\n' {
			t.Fatalf("good offset %d not at a line end", good)
		}
		// Re-reading the good prefix gives the same samples (what resume does after truncating).
		s2, good2, err := ReadSamples(bytes.NewReader(data[:good]), "f")
		if err != nil || good2 != good || len(s2) != len(s) {
			t.Fatalf("prefix re-read: %v %d/%d %d/%d", err, good2, good, len(s2), len(s))
		}
		seen := map[pairKey]bool{}
		for _, x := range s {
			if seen[x.key()] || x.ProblemID == "" {
				t.Fatalf("duplicate or empty key %+v", x.key())
			}
			seen[x.key()] = true
		}
	})
}

func TestProgressTerminal(t *testing.T) {
	var b bytes.Buffer
	now := time.Unix(0, 0)
	p := newProgress(&b, true, func() time.Time { now = now.Add(time.Second); return now })
	p.start("m/d/greedy", 2, 10)
	p.add(4)
	p.finish()
	if !strings.Contains(b.String(), "\r") || !strings.Contains(b.String(), "6/10") || !strings.Contains(b.String(), "samples/s ETA") {
		t.Fatalf("%q", b.String())
	}
}

// Samples files hold the model's text as written, so `grep '</think>'` finds it, and it reads back the same.
func TestSamplesNotHTMLEscaped(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.jsonl")
	a, _, err := openAppender(p)
	if err != nil {
		t.Fatal(err)
	}
	want := Sample{ProblemID: "a&b", Completion: "<think>x < 3 & y > 2</think> \\boxed{1}"}
	if err := a.append([]Sample{want}); err != nil {
		t.Fatal(err)
	}
	a.close()
	q := filepath.Join(dir, "y.jsonl")
	if err := writeSamplesFile(q, []Sample{want}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{p, q} {
		b, _ := os.ReadFile(f)
		if !strings.Contains(string(b), `<think>x < 3 & y > 2</think>`) || strings.Contains(string(b), `\u003c`) {
			t.Errorf("%s: %s", f, b)
		}
		got, err := ReadSamplesFile(f)
		if err != nil || len(got) != 1 || got[0].Completion != want.Completion || got[0].ProblemID != want.ProblemID {
			t.Errorf("%s: read back %+v %v", f, got, err)
		}
	}
}
