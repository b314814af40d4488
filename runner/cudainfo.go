package runner

import (
	"regexp"
	"strings"

	"github.com/acoer/acoer-bench/runner/ort"
)

// CUDAInfo is what a CUDA session ran on, recorded with every result.
type CUDAInfo struct {
	// GPU is the device's name ("NVIDIA H100 80GB HBM3") and ComputeCapability its "major.minor": the
	// first device CUDA_VISIBLE_DEVICES leaves visible (the one the session uses).
	GPU               string `json:"gpu,omitempty"`
	ComputeCapability string `json:"compute_capability,omitempty"`
	// VisibleDevices is $CUDA_VISIBLE_DEVICES ("" = unset).
	VisibleDevices string `json:"cuda_visible_devices,omitempty"`
	// DriverRelease is the NVIDIA driver's release ("580.65.06") and DriverCUDA the CUDA version it
	// supports ("13.0").
	DriverRelease string `json:"driver_release,omitempty"`
	DriverCUDA    string `json:"driver_cuda,omitempty"`
	// UseTF32 is the CUDA provider option use_tf32 the session was created with (CUDAUseTF32).
	UseTF32 bool `json:"use_tf32"`
	// Placement says where ONNX Runtime assigned the graph's nodes; ComputeOnCPU the decoder ops it left
	// on the CPU (see Placement).
	Placement    string   `json:"placement,omitempty"`
	ComputeOnCPU []string `json:"compute_on_cpu,omitempty"`
	// SignalHandlersRestored lists the signal handlers the CUDA libraries replaced and that were put back
	// to Go's (ort.GuardSignals), with what replaced them.
	SignalHandlersRestored []string `json:"signal_handlers_restored,omitempty"`
}

// newCUDAInfo fills in the device and the driver (the session runs on the first visible device).
func newCUDAInfo() *CUDAInfo {
	d := ort.DriverInfo()
	ci := &CUDAInfo{VisibleDevices: d.VisibleDevices, DriverRelease: d.Release, DriverCUDA: d.CUDAVersion, UseTF32: CUDAUseTF32}
	if len(d.GPUs) > 0 {
		ci.GPU, ci.ComputeCapability = d.GPUs[0].Name, d.GPUs[0].ComputeCapability
	}
	return ci
}

// CUDAContractWarnings are what a graph's contract says about running it on CUDA, before any session:
// ONNX Runtime's CUDA GroupQueryAttention kernel exists for float16 and bfloat16 only, so a graph whose
// GroupQueryAttention works in float32 (onnxruntime-genai's builder with -p fp32 or -e cpu, or
// build-model --genai) has its attention placed on the CPU in a CUDA session: every layer's
// activations and KV cache cross to the host and back each step, silently (ONNX Runtime's warning is
// below the error-only log level). The fix is a float16 graph (the builder's -p fp16 -e cuda).
func CUDAContractWarnings(c Contract) []string {
	if c.GroupQueryAttention && c.KVType == "float32" {
		return []string{"this graph's GroupQueryAttention works in float32 (KV cache float32); ONNX Runtime's CUDA kernel for it is float16/bfloat16 only, so on CUDA attention runs on the CPU, with the cache crossing to the host every step: export the model in float16 for CUDA (onnxruntime-genai builder -p fp16 -e cuda)"}
	}
	return nil
}

// engineSession is the OrtSession behind an engine.
func engineSession(e engine) cptr {
	switch s := e.(type) {
	case *bindStep:
		return s.cs
	case *ortStep:
		return sessionPtr(s.sess)
	case signalChecked:
		return engineSession(s.engine)
	}
	return nil
}

// signalChecked is a CUDA session's engine that puts Go's signal handlers back after every step, in
// case the CUDA libraries installed their own while initializing something at first use (kernels load
// lazily, cuBLAS sets itself up on its first GEMM of a shape). It costs 64 sigaction calls per step.
type signalChecked struct{ engine }

func (s signalChecked) step(past *kv, ids, mask, positions []int64, seq int, last []int) ([]float32, *kv, error) {
	logits, present, err := s.engine.step(past, ids, mask, positions, seq, last)
	ort.CheckSignals("a CUDA run step")
	return logits, present, err
}

var cudaFailureRE = regexp.MustCompile(`CUDA failure \d+: [^;]*`)
var exprRE = regexp.MustCompile(`expr=([^;]*)`)

// ShortORTError shortens ONNX Runtime's CUDA error text, which carries C++ template signatures and
// source paths, to what it says: "CUDA failure 100: no CUDA-capable device is detected (in
// cudaSetDevice(info_.device_id))". Other errors are returned whole.
func ShortORTError(err error) string {
	msg := err.Error()
	m := cudaFailureRE.FindString(msg)
	if m == "" {
		return msg
	}
	m = strings.TrimSpace(m)
	if e := exprRE.FindStringSubmatch(msg); e != nil {
		m += " (in " + strings.TrimSpace(e[1]) + ")"
	}
	return m
}
