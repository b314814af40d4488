package onnxbuild

import (
	"fmt"
	"testing"
)

// greedyLen generates greedily from prompt with the cache until an EOS id or limit new tokens and
// returns how many tokens it generated (EOS included).
func greedyLen(t *testing.T, dec *decoder, prompt []int, eos, limit int) int {
	lg := dec.step(t, [][]int64{seqOf(prompt)}, [][]int64{ones(len(prompt))}, [][]int64{iota64(0, len(prompt))})
	last := lg[0][len(prompt)-1]
	for n := 1; ; n++ {
		next := 0
		for i, v := range last {
			if v > last[next] {
				next = i
			}
		}
		if next == eos || n == limit {
			return n
		}
		pos := len(prompt) + n - 1
		last = dec.step(t, [][]int64{{int64(next)}}, [][]int64{ones(pos + 1)}, [][]int64{{int64(pos)}})[0][0]
	}
}

// TestEOSBiasShortensAnswers checks that a seeded checkpoint with an EOS logit bias stops sooner
// than the same seed without one (the baseline/candidate pair of the default benchmark).
func TestEOSBiasShortensAnswers(t *testing.T) {
	initORT(t)
	toks := ByteTokenizerPieces()
	cfg, err := Preset("tiny", len(toks))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxSeqLen = 256
	const limit = 64
	prompts := [][]int{}
	for i := range 10 {
		p := []int{1}
		for j := range 3 + i%5 {
			p = append(p, 3+((i*37+j*11)%(len(toks)-3)))
		}
		prompts = append(prompts, p)
	}
	mean := map[float32]float64{}
	var line string
	for _, bias := range []float32{0, 3} {
		w := RandomWeights(cfg, 11)
		if bias != 0 {
			if err := w.AddLogitBias(cfg.VocabSize, 2, bias); err != nil {
				t.Fatal(err)
			}
		}
		model, err := BuildONNX(cfg, w)
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, p := range prompts {
			total += greedyLen(t, newDecoder(t, cfg, "", model, 1), p, 2, limit)
		}
		mean[bias] = float64(total) / float64(len(prompts))
		line += fmt.Sprintf(" bias %g: %.1f;", bias, mean[bias])
	}
	t.Logf("tiny preset, seed 11, mean greedy length (limit %d) over %d prompts:%s", limit, len(prompts), line)
	if !(mean[3] < mean[0]) {
		t.Errorf("EOS bias 3 did not shorten answers:%s", line)
	}
}
