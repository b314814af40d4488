package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
)

func benchSamples(model string, problems, k int) []Sample {
	var s []Sample
	for i := 0; i < problems; i++ {
		for j := 0; j < k; j++ {
			h := fhash(model, i, j)
			s = append(s, Sample{Model: model, Dataset: "d", Decoding: "sampled", ProblemID: fmt.Sprint(i), Index: i, Sample: j,
				Correct: h%3 != 0, Extracted: fmt.Sprint(h % 4), CompletionTokens: int(100 + h%900), FinishReason: "stop",
				Level: fmt.Sprintf("Level %d", 1+i%5), TTFTMs: 20, TotalMs: float64(100 + h%900), PerTokenMs: 1})
		}
	}
	return s
}

// BenchmarkAggregate5000x4 aggregates a MATH-sized run (5000 problems x 4 samples, two models).
func BenchmarkAggregate5000x4(b *testing.B) {
	cfg := mustConfig(b, "models: [{name: a, path: a}, {name: b, path: b}]\ndatasets: [{name: d, kind: math}]\n"+
		"decoding: [{name: sampled, temperature: 0.6, samples: 4}]\nbaseline: a\n")
	man := newManifest(cfg, "r")
	in := aggInput{Manifest: man, Samples: map[TaskKey][]Sample{
		{"a", "d", "sampled"}: benchSamples("a", 5000, 4), {"b", "d", "sampled"}: benchSamples("b", 5000, 4)}}
	b.ResetTimer()
	for range b.N {
		if _, err := aggregate(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadSamples reads 20000 records (what a resume does first).
func BenchmarkReadSamples(b *testing.B) {
	var buf bytes.Buffer
	for _, s := range benchSamples("a", 5000, 4) {
		s.Completion = string(bytes.Repeat([]byte("step "), 200))
		line, _ := json.Marshal(s)
		buf.Write(line)
		buf.WriteByte('\n')
	}
	b.SetBytes(int64(buf.Len()))
	b.ResetTimer()
	for range b.N {
		if _, _, err := ReadSamples(bytes.NewReader(buf.Bytes()), "f"); err != nil {
			b.Fatal(err)
		}
	}
}
