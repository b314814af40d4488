package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/acoer/acoer-bench/runner"
)

// WritePerf renders a runner.PerfReport as a table, md or json. revision is the binary's git revision
// (recorded with the figures).
func WritePerf(w io.Writer, r *runner.PerfReport, format, revision string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Revision string `json:"revision"`
			*runner.PerfReport
		}{revision, r})
	}
	mb := func(b int64) string { return num(float64(b)/1e6, 1) }
	dev := func(b int64) string {
		if b <= 0 {
			return noValue
		}
		return mb(b)
	}
	ph := []string{"Prompt tokens", "Prefill tokens/s", "TTFT ms p50", "TTFT ms p90", "Peak RSS MB", "GPU memory MB"}
	var pb [][]string
	for _, p := range r.Prefill {
		pb = append(pb, []string{strconv.Itoa(p.PromptTokens), num(p.TokensPerSecond, 1), num(p.TTFTP50, 2), num(p.TTFTP90, 2), mb(p.PeakRSS), dev(p.DeviceMemory)})
	}
	dh := []string{"Batch", "Prompt", "Generated", "Decode tokens/s", "End-to-end tokens/s", "ms/token p50", "ms/token p90", "TTFT ms p50", "Peak RSS MB", "GPU memory MB", "Bandwidth bound"}
	var db [][]string
	for _, d := range r.Decode {
		bound := noValue
		if d.BoundMs > 0 {
			bound = fmt.Sprintf("%s ms (%s%%)", num(d.BoundMs, 2), pct(d.BoundFraction))
		}
		db = append(db, []string{strconv.Itoa(d.Batch), strconv.Itoa(d.PromptTokens), strconv.Itoa(d.GenTokens), num(d.TokensPerSecond, 1),
			num(d.EndToEndTPS, 1), num(d.StepP50, 2), num(d.StepP90, 2), num(d.TTFTP50, 2), mb(d.PeakRSS), dev(d.DeviceMemory), bound})
	}
	head := fmt.Sprintf("%s on %s (ONNX Runtime %s, %d CPUs %s/%s, revision %s; KV cache: %s); %d warm-up + %d timed runs each, prompts of random ids (seed %d)",
		r.Model, r.Provider, r.ORT, r.Host.CPUs, r.Host.OS, r.Host.Arch, revision, r.KVCache, r.Warmup, r.Repeat, r.Seed)
	if c := r.CUDA; c != nil {
		head += fmt.Sprintf("; GPU %s (compute capability %s), NVIDIA driver %s (CUDA %s), use_tf32 %v, CUDA_VISIBLE_DEVICES=%q; placement: %s",
			c.GPU, c.ComputeCapability, c.DriverRelease, c.DriverCUDA, c.UseTF32, c.VisibleDevices, c.Placement)
	}
	weights := fmt.Sprintf("weights %s MB, of which a decode step reads %s MB (embedding tables are gathered one row per token)",
		mb(r.WeightBytes), mb(r.StreamedBytes))
	if r.BandwidthGBs > 0 {
		weights += fmt.Sprintf("; memory read bandwidth %s GB/s; the batch-1 bound is the bytes read per step / bandwidth, and the fraction is bound / measured p50", num(r.BandwidthGBs, 1))
	}
	switch format {
	case "table", "":
		fmt.Fprintf(w, "%s\n%s\n\nPrefill (batch 1)\n", head, weights)
		if err := writeRowsTable(w, ph, pb); err != nil {
			return err
		}
		fmt.Fprintf(w, "\nDecode\n")
		return writeRowsTable(w, dh, db)
	case "md", "markdown":
		var b strings.Builder
		fmt.Fprintf(&b, "%s\n\n%s\n\n**Prefill** (batch 1)\n\n", mdEscape(head), mdEscape(weights))
		mdTable(&b, ph, pb)
		b.WriteString("\n**Decode**\n\n")
		mdTable(&b, dh, db)
		_, err := io.WriteString(w, b.String())
		return err
	}
	return fmt.Errorf("unknown perf format %q (want table, md or json)", format)
}
