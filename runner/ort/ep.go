package ort

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	ortgo "github.com/yalue/onnxruntime_go"
)

// File names of the CUDA provider libraries `make setup-cuda` installs next to libonnxruntime.so.1.
const (
	CUDAProviderLib   = "libonnxruntime_providers_cuda.so"
	SharedProviderLib = "libonnxruntime_providers_shared.so"
)

// CUDARegistrationName is the name the CUDA plugin library is registered under (the EP's own name, as
// onnxruntime-genai does).
const CUDARegistrationName = "CUDAExecutionProvider"

// ErrCUDAMissing is returned when the CUDA provider libraries are not installed next to the runtime.
var ErrCUDAMissing = errors.New("CUDA provider libraries not installed")

// cudaState remembers the one registration attempt of this process (guarded by mu).
var cudaState struct {
	tried bool
	err   error
}

// CUDAProviderPaths returns where the CUDA provider libraries are expected: next to the loaded runtime.
func CUDAProviderPaths() (cuda, shared string) {
	dir := filepath.Dir(LibraryPath())
	return filepath.Join(dir, CUDAProviderLib), filepath.Join(dir, SharedProviderLib)
}

// CUDAInstallHint says how to get CUDA working: the plugin (`make setup-cuda`) links the CUDA 13 runtime
// libraries listed in CUDANeeded (readelf -d on it) and needs a driver of release 580 or newer; it does
// not link cuDNN or cuFFT.
const CUDAInstallHint = "run `make setup-cuda` (the CUDA 13 provider plugin for ONNX Runtime " + Version + "), make the CUDA 13 runtime libraries it links (libcudart.so.13, libcublas.so.13, libcublasLt.so.13, libcurand.so.10) findable through LD_LIBRARY_PATH (pip: nvidia-cuda-runtime, nvidia-cublas, nvidia-curand; or a CUDA 13 toolkit's lib64), install an NVIDIA driver of release 580 or newer (libcuda.so.1), and check with `acoer-bench doctor`; or pass --ort-lib / set " + EnvVar + " to an ONNX Runtime GPU build"

// RegisterCUDA registers the CUDA provider plugin library with the environment, once per process (later
// calls return the first result). Init must have been called. A missing library is ErrCUDAMissing.
func RegisterCUDA() error {
	if LibraryPath() == "" {
		return errors.New("ONNX Runtime is not initialized")
	}
	cuda, shared := CUDAProviderPaths()
	mu.Lock()
	defer mu.Unlock()
	if cudaState.tried {
		return cudaState.err
	}
	cudaState.tried = true
	var missing []string
	for _, f := range []string{cuda, shared} {
		if _, err := os.Stat(f); err != nil {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		cudaState.err = fmt.Errorf("%w: %s not found; %s", ErrCUDAMissing, strings.Join(missing, ", "), CUDAInstallHint)
		return cudaState.err
	}
	var err error
	GuardSignals("registering the CUDA plugin", func() { err = ortgo.RegisterExecutionProviderLibrary(CUDARegistrationName, cuda) })
	if err != nil {
		cudaState.err = fmt.Errorf("registering %s as a plugin execution provider: %w", cuda, err)
	}
	return cudaState.err
}

// Device is one (execution provider, device) pair the runtime knows.
type Device struct {
	EP     string `json:"ep"`
	Vendor string `json:"vendor"`
}

// Devices lists the runtime's execution-provider devices (GetEpDevices): the CPU, and the devices of any
// registered plugin (call RegisterCUDA first to include CUDA GPUs).
func Devices() ([]Device, error) {
	devs, err := ortgo.GetEpDevices()
	if err != nil {
		return nil, err
	}
	out := make([]Device, len(devs))
	for i, d := range devs {
		out[i] = Device{EP: d.EpName(), Vendor: d.EpVendor()}
	}
	return out, nil
}

// IsCUDAEP tells whether an execution provider name is NVIDIA CUDA's (CUDAExecutionProvider, or the
// plugin's earlier name CudaPluginExecutionProvider).
func IsCUDAEP(name string) bool {
	n := strings.ToLower(name)
	return strings.HasPrefix(n, "cuda") && strings.HasSuffix(n, "executionprovider")
}

// CUDAEpDevices returns the CUDA devices of the registered plugin (empty when none).
func CUDAEpDevices() ([]ortgo.EpDevice, error) {
	devs, err := ortgo.GetEpDevices()
	if err != nil {
		return nil, err
	}
	var out []ortgo.EpDevice
	for _, d := range devs {
		if IsCUDAEP(d.EpName()) {
			out = append(out, d)
		}
	}
	return out, nil
}
