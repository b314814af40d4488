package tokenizer

import (
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// benchText is ~1 MB of the golden corpus (math problems, LaTeX, unicode, chat strings) repeated; the
// reference is timed on the same text by `node testdata/goldens.js bench`.
func benchText(tb testing.TB) string {
	corpus := readCorpus(tb)
	var b strings.Builder
	for i := 0; b.Len() < 1<<20; i++ {
		b.WriteString(corpus[i%len(corpus)])
		b.WriteByte('\n')
	}
	return b.String()
}

// BenchmarkEncode encodes ~1 MB per iteration with a cold word cache (a fresh cache each iteration) and
// reports tokens/s.
func BenchmarkEncode(b *testing.B) {
	text := benchText(b)
	for _, name := range tokenizerNames {
		b.Run(name, func(b *testing.B) {
			tk := loadNamed(b, name)
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				tk.model.resetCache()
				n += len(tk.Encode(text, false))
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

// TestEncodeLinear checks that encoding time grows linearly: 8x the text must take well under 64x
// (quadratic) the time. Llama 2 has no pre-tokenizer, so each text is one BPE word of up to 256 KB
// and this times the merge loop itself. Best of 3 runs, with an uncached BPE each run.
func TestEncodeLinear(t *testing.T) {
	tk := loadNamed(t, "llama2")
	corpus := readCorpus(t)
	var b strings.Builder
	for i := 0; b.Len() < 256<<10; i++ {
		b.WriteString(corpus[(i*7)%len(corpus)])
		b.WriteByte(' ')
	}
	big := b.String()
	small := big[:len(big)/8]
	for !utf8.ValidString(small) {
		small = small[:len(small)-1]
	}
	best := func(s string) time.Duration {
		var m time.Duration
		for k := 0; k < 3; k++ {
			tk.model.resetCache()
			t0 := time.Now()
			tk.Encode(s, false)
			if d := time.Since(t0); k == 0 || d < m {
				m = d
			}
		}
		return m
	}
	t1, t8 := best(small), best(big)
	t.Logf("encode %d bytes: %v; %d bytes: %v (ratio %.1f)", len(small), t1, len(big), t8, float64(t8)/float64(t1))
	if t8 > 30*t1 {
		t.Errorf("8x the text took %.1fx the time: not linear", float64(t8)/float64(t1))
	}
}

// TestConcurrentEncode runs encodes from many goroutines (go test -race finds data races).
func TestConcurrentEncode(t *testing.T) {
	tk := loadNamed(t, "qwen3")
	corpus := readCorpus(t)
	want := make([][]int, len(corpus))
	for i, s := range corpus {
		want[i] = tk.Encode(s, true)
	}
	tk.model.resetCache()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := g; i < len(corpus); i += 3 {
				got := tk.Encode(corpus[i], true)
				if len(got) != len(want[i]) {
					t.Errorf("goroutine %d: text %d: %d tokens, want %d", g, i, len(got), len(want[i]))
					return
				}
				if d := tk.Decode(got, false); !utf8.ValidString(d) {
					t.Errorf("invalid UTF-8 decode")
				}
			}
		}(g)
	}
	wg.Wait()
}
