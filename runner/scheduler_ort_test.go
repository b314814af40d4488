package runner

import (
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/acoer/acoer-bench/runner/onnxbuild"
)

// ortWorkload encodes prompts of 1 to about 150 characters, some repeated as k samples with their own
// seeds.
func ortWorkload(t *testing.T, m *Model) []Request {
	t.Helper()
	texts := []string{"a", "Hi", "The quick brown fox jumps over the lazy dog.", "7", "Why?",
		strings.Repeat("Numbers: 1 2 3 4 5 6 7 8 9 10. ", 5), "Once upon a time", "x y z",
		"A longer prompt, with punctuation; and more words than the others, to be the widest row here.", "ok"}
	var reqs []Request
	for i, s := range texts {
		ids, err := m.EncodePrompt(s, false, "")
		if err != nil {
			t.Fatal(err)
		}
		k := 1
		if i%3 == 1 {
			k = 4
		}
		for j := range k {
			reqs = append(reqs, Request{PromptIDs: ids, Seed: uint64(100*i + j)})
		}
	}
	return reqs
}

// streamVsAlone runs reqs with several slot counts and checks each request against its result alone;
// it returns the results alone.
func streamVsAlone(t *testing.T, m *Model, reqs []Request, dec Decoding) []Completion {
	t.Helper()
	alone := make([]Completion, len(reqs))
	for i, r := range reqs {
		out, err := m.Generate(t.Context(), []Request{r}, dec)
		if err != nil {
			t.Fatal(err)
		}
		alone[i] = out[0]
	}
	for _, slots := range []int{3, 7, len(reqs)} {
		got := make([]Completion, len(reqs))
		st, err := m.Stream(t.Context(), reqs, dec, slots, func(i int, c Completion) error { got[i] = c; return nil })
		if err != nil {
			t.Fatal(err)
		}
		for i := range reqs {
			if !sameResult(got[i], alone[i]) {
				t.Errorf("slots %d, request %d (%d prompt tokens, seed %d): stream %v %s, alone %v %s", slots, i,
					len(reqs[i].PromptIDs), reqs[i].Seed, got[i].IDs, got[i].FinishReason, alone[i].IDs, alone[i].FinishReason)
			}
		}
		shared := strings.Contains(m.Info().KVCache, "one buffer")
		if !shared && st.Relayouts == 0 && slots < len(reqs) {
			t.Errorf("slots %d: no relayout: the workload should widen and narrow the batch", slots)
		}
		if shared && st.Relayouts != 0 {
			t.Errorf("slots %d: %d relayouts copied a shared past/present buffer (its width changes in place)", slots, st.Relayouts)
		}
	}
	return alone
}

// On real ONNX Runtime graphs of every family (optimum-style with position_ids in float32 and float16
// KV, onnxruntime-genai's GroupQueryAttention layout in float32 and int4, with chunked prefill) the
// scheduler gives every request what it gets alone, greedy (also equal to the float64 reference) and
// sampled, with stop strings, k samples per prompt and rows finishing at many steps.
func TestStreamEqualsAloneORT(t *testing.T) {
	needORT(t)
	for _, v := range []struct {
		name              string
		kv16, genai, int4 bool
		chunked, host     bool
		separate          bool
	}{
		{name: "std"}, {name: "std_kv16", kv16: true}, {name: "std_chunked", chunked: true}, {name: "std_hostkv", host: true},
		{name: "genai", genai: true}, {name: "genai_separate", genai: true, separate: true}, {name: "genai_int4", genai: true, int4: true},
		{name: "genai_chunked", genai: true, chunked: true}, {name: "genai_hostkv", genai: true, host: true},
	} {
		t.Run(v.name, func(t *testing.T) {
			cfg, err := onnxbuild.Preset("tiny", len(onnxbuild.ByteTokenizerPieces()))
			if err != nil {
				t.Fatal(err)
			}
			cfg.KVFloat16, cfg.GenAI, cfg.Int4, cfg.MaxSeqLen = v.kv16, v.genai, v.int4, 512
			dir := t.TempDir()
			const seed, eosBias = 9, 4
			if err := onnxbuild.WriteSeededModelDir(dir, cfg, seed, eosBias, onnxbuild.DirOptions{}); err != nil {
				t.Fatal(err)
			}
			opts := Options{Provider: ProviderCPU, HostKV: v.host, SeparateKV: v.separate}
			if v.chunked {
				opts.MaxPrefillLogitsBytes = int64(5 * cfg.VocabSize * 4) // prompts in chunks of 5 tokens
			}
			m, err := Open(dir, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			if m.Contract().GroupQueryAttention != v.genai {
				t.Fatalf("GroupQueryAttention detected %v", m.Contract().GroupQueryAttention)
			}
			kvc := m.Info().KVCache
			if want := map[bool]string{true: "host", false: "device (Cpu)"}[v.host]; !strings.HasPrefix(kvc, want) ||
				v.genai && !v.host && strings.Contains(kvc, "one buffer") == v.separate {
				t.Fatalf("kv cache %q", kvc)
			}
			reqs := ortWorkload(t, m)
			greedy := streamVsAlone(t, m, reqs, Decoding{MaxNewTokens: 40})
			lengths := map[int]bool{}
			w := onnxbuild.RandomWeights(cfg, seed)
			if v.int4 {
				w = onnxbuild.DequantizedInt4(cfg, w)
			}
			if err := w.AddLogitBias(cfg.VocabSize, cfg.EOSTokenIDs[0], eosBias); err != nil {
				t.Fatal(err)
			}
			for i, c := range greedy {
				lengths[len(c.IDs)] = true
				if want := referenceGreedy(cfg, w, reqs[i].PromptIDs, len(c.IDs)); !reflect.DeepEqual(c.IDs, want) {
					t.Errorf("request %d: greedy %v, float64 reference %v", i, c.IDs, want)
				}
			}
			if len(lengths) < 4 {
				t.Errorf("greedy lengths %v: too few distinct finishing steps", slices.Sorted(mapsKeys(lengths)))
			}
			streamVsAlone(t, m, reqs, Decoding{MaxNewTokens: 40, Temperature: 0.9, TopP: 0.95})
			streamVsAlone(t, m, reqs, Decoding{MaxNewTokens: 40, Temperature: 1.2, TopK: 40, StopStrings: []string{"e", "."}})
		})
	}
}

// The onnxruntime-genai builder's own fp16 directory (MultiHeadAttention and RotaryEmbedding with
// position_ids, float16 weights, KV and logits) runs through the scheduler: greedy, every request as
// alone. Sampled: this random-weight model's next-token distribution is nearly uniform over 32,000
// tokens, so a draw lands within float16 rounding of a boundary often enough that a logit rounded
// differently in a padded batch row can pick a neighbour (the static batches before the scheduler did
// the same: 2 of 50 sampled completions at T=0.8). A scheduling bug changes almost every completion; the
// test allows 1 in 8.
func TestStreamSharedGenAIFP16(t *testing.T) {
	needORT(t)
	dir := filepath.Join(sharedDir(t), "models", "genai-tiny-llama-fp16")
	m, err := Open(dir, Options{Provider: ProviderCPU})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if c := m.Contract(); c.KVType != "float16" || c.LogitsType != "float16" || c.GroupQueryAttention {
		t.Fatalf("contract: KV %s logits %s GQA %v", c.KVType, c.LogitsType, c.GroupQueryAttention)
	}
	reqs := ortWorkload(t, m)
	streamVsAlone(t, m, reqs, Decoding{MaxNewTokens: 24})

	dec := Decoding{MaxNewTokens: 24, Temperature: 0.8, TopP: 0.9}
	differ, n := 0, 0
	for _, slots := range []int{3, 7} {
		got := make([]Completion, len(reqs))
		if _, err := m.Stream(t.Context(), reqs, dec, slots, func(i int, c Completion) error { got[i] = c; return nil }); err != nil {
			t.Fatal(err)
		}
		for i, r := range reqs {
			one, err := m.Generate(t.Context(), []Request{r}, dec)
			if err != nil {
				t.Fatal(err)
			}
			n++
			if !sameResult(one[0], got[i]) {
				differ++
			}
		}
	}
	t.Logf("sampled: %d of %d completions differ from alone", differ, n)
	if differ*8 > n {
		t.Errorf("sampled: %d of %d completions differ from alone", differ, n)
	}
}
