package runner

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// PerfOptions say what Perf measures: what llama-bench and onnxruntime-genai's benchmark script
// measure for one model in isolation, on synthetic prompts of random token ids.
type PerfOptions struct {
	// PromptTokens are the prompt lengths whose prefill is timed (batch 1: the scheduler prefills every
	// prompt alone).
	PromptTokens []int
	// DecodePromptTokens is the prompt length of the rows decoded for Batches x GenTokens (0: the
	// smallest PromptTokens).
	DecodePromptTokens int
	// GenTokens are the generated lengths and Batches the batch sizes of the decode measurements.
	GenTokens []int
	Batches   []int
	// Warmup runs are done and thrown away before Repeat timed runs of each measurement.
	Warmup, Repeat int
	// Seed seeds the prompts' random ids.
	Seed uint64
	// SkipBandwidth leaves out the memory-bandwidth measurement (and with it the bound).
	SkipBandwidth bool
	// Progress, when set, is called before each measurement with a short label.
	Progress func(string)
}

// PerfReport is what Perf measured. Durations are in milliseconds, rates in tokens per second, sizes
// in bytes; percentiles are over every timed step (decode) or run (prefill) of the repetitions.
type PerfReport struct {
	Model    string `json:"model"`
	Provider string `json:"provider"`
	KVCache  string `json:"kv_cache"`
	ORT      string `json:"ort_version"`
	Host     struct {
		CPUs int    `json:"cpus"`
		OS   string `json:"os"`
		Arch string `json:"arch"`
	} `json:"host"`
	// CUDA is the GPU a CUDA session ran on (its name, driver, use_tf32, node placement; nil on the CPU).
	CUDA   *CUDAInfo `json:"cuda,omitempty"`
	Warmup int       `json:"warmup"`
	Repeat int       `json:"repeat"`
	Seed   uint64
	// WeightBytes is the size of the graph's initializers; StreamedBytes what one decode step must read
	// of them (all but the embedding tables, of which a step reads one row per token).
	WeightBytes   int64 `json:"weight_bytes"`
	StreamedBytes int64 `json:"streamed_bytes_per_step"`
	// BandwidthGBs is the machine's measured memory read bandwidth (all cores; the larger of a
	// measurement before and one after the timings; 0 when skipped).
	BandwidthGBs float64       `json:"bandwidth_gb_s"`
	Prefill      []PerfPrefill `json:"prefill"`
	Decode       []PerfDecode  `json:"decode"`
}

// PerfPrefill is one prompt length's prefill.
type PerfPrefill struct {
	PromptTokens    int     `json:"prompt_tokens"`
	TokensPerSecond float64 `json:"tokens_per_second"`
	TTFTP50         float64 `json:"ttft_ms_p50"`
	TTFTP90         float64 `json:"ttft_ms_p90"`
	PeakRSS         int64   `json:"peak_rss_bytes"`
	// DeviceMemory is the GPU memory in use after the measurement (CUDA; 0 elsewhere): ONNX Runtime's
	// arena keeps what it allocated, so this is close to the peak.
	DeviceMemory int64 `json:"device_memory_bytes,omitempty"`
}

// PerfDecode is one batch size x generated length.
type PerfDecode struct {
	Batch        int `json:"batch"`
	PromptTokens int `json:"prompt_tokens"`
	GenTokens    int `json:"gen_tokens"`
	// TokensPerSecond is batch × decode steps / decode time (decode steps only); EndToEndTPS is every
	// generated token over the whole call, prefills included.
	TokensPerSecond float64 `json:"decode_tokens_per_second"`
	EndToEndTPS     float64 `json:"end_to_end_tokens_per_second"`
	// StepP50 and StepP90 are the per-token latency: one decode step gives every row one token.
	StepP50      float64 `json:"per_token_ms_p50"`
	StepP90      float64 `json:"per_token_ms_p90"`
	TTFTP50      float64 `json:"ttft_ms_p50"`
	PeakRSS      int64   `json:"peak_rss_bytes"`
	DeviceMemory int64   `json:"device_memory_bytes,omitempty"`
	// BoundMs is, at batch 1, the memory-bandwidth bound of a decode step (StreamedBytes / bandwidth) and
	// BoundFraction how close the measured median step comes to it (bound / p50).
	BoundMs       float64 `json:"bandwidth_bound_ms,omitempty"`
	BoundFraction float64 `json:"bandwidth_bound_fraction,omitempty"`
}

// Perf measures the model: prefill per prompt length, decode per batch size and generated length, with
// warm-up and repetitions. EOS is ignored so every row generates its full length.
func (m *Model) Perf(ctx context.Context, opt PerfOptions) (*PerfReport, error) {
	if len(opt.PromptTokens) == 0 || len(opt.GenTokens) == 0 || len(opt.Batches) == 0 {
		return nil, errors.New("perf needs prompt lengths, generated lengths and batch sizes")
	}
	for _, xs := range [][]int{opt.PromptTokens, opt.GenTokens, opt.Batches} {
		for _, x := range xs {
			if x <= 0 {
				return nil, fmt.Errorf("perf: sizes must be positive, got %d", x)
			}
		}
	}
	if opt.Repeat <= 0 {
		opt.Repeat = 1
	}
	if opt.Warmup < 0 {
		opt.Warmup = 0
	}
	if opt.DecodePromptTokens <= 0 {
		opt.DecodePromptTokens = slices.Min(opt.PromptTokens)
	}
	say := func(format string, a ...any) {
		if opt.Progress != nil {
			opt.Progress(fmt.Sprintf(format, a...))
		}
	}
	info := m.Info()
	r := &PerfReport{Model: info.ModelDir, Provider: info.Provider, KVCache: info.KVCache, ORT: info.ORTVersion, Warmup: opt.Warmup, Repeat: opt.Repeat, Seed: opt.Seed, CUDA: info.CUDA}
	r.Host.CPUs, r.Host.OS, r.Host.Arch = runtime.NumCPU(), runtime.GOOS, runtime.GOARCH
	if g, err := readGraphFile(m.md.ModelFile); err == nil {
		r.WeightBytes, r.StreamedBytes = g.WeightBytes, g.WeightBytes-g.GatheredBytes
	}
	// The machine's bandwidth varies from moment to moment (a shared host): it is measured before and
	// after the timings, and the larger figure (the stricter bound) is used. It is the host's, so the
	// bound is given for the CPU provider only.
	opt.SkipBandwidth = opt.SkipBandwidth || info.Provider != ProviderCPU
	if !opt.SkipBandwidth {
		say("memory bandwidth")
		r.BandwidthGBs = MemoryBandwidth()
		debug.FreeOSMemory() // so that its buffer does not count in the peak memory below
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x5eed))
	vocab := m.contract.Vocab
	if n := m.tok.VocabSize(); n > 0 && n < vocab {
		vocab = n
	}
	prompt := func(n int) []int {
		p := make([]int, n)
		for i := range p {
			p[i] = 3 + rng.IntN(max(vocab-3, 1)) // ids 0-2 are usually special
		}
		return p
	}
	noEOS := []int{-1}

	for _, n := range opt.PromptTokens {
		say("prefill %d tokens", n)
		if c := m.cfg.contextLength; c > 0 && n+1 > c {
			return nil, fmt.Errorf("perf: a prompt of %d tokens does not fit the context of %d", n, c)
		}
		var ttft []float64
		resetPeakRSS()
		for i := range opt.Warmup + opt.Repeat {
			out, err := m.Generate(ctx, []Request{{PromptIDs: prompt(n)}}, Decoding{MaxNewTokens: 1, EOSIDs: noEOS})
			if err != nil {
				return nil, err
			}
			if i >= opt.Warmup {
				ttft = append(ttft, msOf(out[0].TTFT))
			}
		}
		p50 := percentile(ttft, 50)
		r.Prefill = append(r.Prefill, PerfPrefill{PromptTokens: n, TokensPerSecond: float64(n) / (p50 / 1000),
			TTFTP50: p50, TTFTP90: percentile(ttft, 90), PeakRSS: peakRSS(), DeviceMemory: m.deviceMemory()})
	}

	for _, b := range opt.Batches {
		if r := m.contract.MaxRows; r > 0 && b > r {
			say("decode batch %d skipped: the model runs %d row at a time (Info.Warnings says why)", b, r)
			continue
		}
		for _, g := range opt.GenTokens {
			say("decode batch %d, %d tokens", b, g)
			if c := m.cfg.contextLength; c > 0 && opt.DecodePromptTokens+g > c {
				return nil, fmt.Errorf("perf: %d prompt + %d generated tokens do not fit the context of %d", opt.DecodePromptTokens, g, c)
			}
			var steps, ttft []float64
			var decodeMs, wallMs float64
			resetPeakRSS()
			for i := range opt.Warmup + opt.Repeat {
				reqs := make([]Request, b)
				for j := range reqs {
					reqs[j] = Request{PromptIDs: prompt(opt.DecodePromptTokens)}
				}
				var tt []float64
				st, err := m.Stream(ctx, reqs, Decoding{MaxNewTokens: g, EOSIDs: noEOS}, b, func(_ int, c Completion) error {
					tt = append(tt, msOf(c.TTFT))
					return nil
				})
				if err != nil {
					return nil, err
				}
				if i < opt.Warmup {
					continue
				}
				ttft = append(ttft, tt...)
				wallMs += msOf(st.Wall)
				for _, d := range st.StepTimes {
					steps = append(steps, msOf(d))
					decodeMs += msOf(d)
				}
			}
			d := PerfDecode{Batch: b, PromptTokens: opt.DecodePromptTokens, GenTokens: g,
				StepP50: percentile(steps, 50), StepP90: percentile(steps, 90), TTFTP50: percentile(ttft, 50), PeakRSS: peakRSS(),
				DeviceMemory: m.deviceMemory()}
			if decodeMs > 0 {
				d.TokensPerSecond = float64(b*len(steps)) / (decodeMs / 1000)
			}
			if wallMs > 0 {
				d.EndToEndTPS = float64(b*g*opt.Repeat) / (wallMs / 1000)
			}
			r.Decode = append(r.Decode, d)
		}
	}
	if !opt.SkipBandwidth {
		say("memory bandwidth")
		r.BandwidthGBs = max(r.BandwidthGBs, MemoryBandwidth())
		for i, d := range r.Decode {
			if d.Batch == 1 && r.StreamedBytes > 0 && d.StepP50 > 0 {
				r.Decode[i].BoundMs = float64(r.StreamedBytes) / (r.BandwidthGBs * 1e9) * 1000
				r.Decode[i].BoundFraction = r.Decode[i].BoundMs / d.StepP50
			}
		}
	}
	return r, nil
}

// deviceMemory is the GPU memory in use when the model runs on CUDA (0 otherwise or when unknown).
func (m *Model) deviceMemory() int64 {
	if m.info.Provider != ProviderCUDA {
		return 0
	}
	used, _, err := CUDAMemoryUsed()
	if err != nil {
		return 0
	}
	return used
}

func msOf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// percentile is numpy's linear-interpolation percentile of xs (0 for none).
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	pos := p / 100 * float64(len(s)-1)
	lo := int(pos)
	if lo >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[lo] + (pos-float64(lo))*(s[lo+1]-s[lo])
}

// MemoryBandwidth measures the machine's memory read bandwidth in GB/s: every CPU sums its share of a
// 512 MiB buffer (far beyond any cache), best of 5 passes after a warm-up pass.
func MemoryBandwidth() float64 {
	const size = 512 << 20
	buf := make([]uint64, size/8)
	for i := range buf {
		buf[i] = uint64(i)
	}
	workers := runtime.NumCPU()
	chunk := (len(buf) + workers - 1) / workers
	sink := make([]uint64, workers)
	best := 0.0
	for pass := range 6 {
		var wg sync.WaitGroup
		t0 := time.Now()
		for w := range workers {
			wg.Add(1)
			go func(part []uint64) {
				defer wg.Done()
				var a, b, c, d uint64
				for i := 0; i+4 <= len(part); i += 4 {
					a += part[i]
					b += part[i+1]
					c += part[i+2]
					d += part[i+3]
				}
				sink[w] = a + b + c + d
			}(buf[w*chunk : min((w+1)*chunk, len(buf))])
		}
		wg.Wait()
		if gbs := float64(size) / time.Since(t0).Seconds() / 1e9; pass > 0 && gbs > best {
			best = gbs
		}
	}
	runtime.KeepAlive(sink)
	return best
}

// resetPeakRSS resets the kernel's peak resident set size of this process (Linux; elsewhere a no-op).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS is the process's peak resident set size since the last reset (Linux VmHWM; 0 elsewhere).
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err == nil {
				return kb * 1024
			}
		}
	}
	return 0
}
