package runner

import (
	"errors"
	"fmt"

	"github.com/acoer/acoer-bench/runner/ort"
	ortgo "github.com/yalue/onnxruntime_go"
)

// Providers.
const (
	ProviderCPU  = "cpu"
	ProviderCUDA = "cuda"
	ProviderAuto = "auto"
)

// ErrBadProvider is returned for a provider name other than cpu, cuda, auto.
var ErrBadProvider = errors.New("unknown provider (want cpu, cuda or auto)")

// CheckProvider validates a --provider value ("" means auto).
func CheckProvider(p string) error {
	switch p {
	case "", ProviderCPU, ProviderCUDA, ProviderAuto:
		return nil
	}
	return fmt.Errorf("%w: %q", ErrBadProvider, p)
}

// baseSessionOptions are the options every session gets.
func baseSessionOptions(opts Options) (*ortgo.SessionOptions, error) {
	so, err := ortgo.NewSessionOptions()
	if err != nil {
		return nil, err
	}
	if opts.IntraOpThreads > 0 {
		if err := so.SetIntraOpNumThreads(opts.IntraOpThreads); err != nil {
			so.Destroy()
			return nil, err
		}
	}
	return so, nil
}

// cudaSessionOptions returns session options with the CUDA provider appended: the plugin library through
// GetEpDevices + AppendExecutionProviderV2 when it registers, else the CUDA provider compiled into the
// runtime (AppendExecutionProviderCUDA). how says which path worked. The error says what is missing and
// how to install it.
func cudaSessionOptions(opts Options) (so *ortgo.SessionOptions, how string, err error) {
	so, err = baseSessionOptions(opts)
	if err != nil {
		return nil, "", err
	}
	regErr := ort.RegisterCUDA()
	if regErr == nil {
		devs, err := ort.CUDAEpDevices()
		switch {
		case err != nil:
			regErr = fmt.Errorf("listing EP devices: %w", err)
		case len(devs) == 0:
			regErr = errors.New("the CUDA plugin registered but reports no CUDA device (no GPU, or the driver is missing)")
		default:
			if err := so.AppendExecutionProviderV2(devs[:1], nil); err != nil {
				regErr = fmt.Errorf("appending %s: %w", devs[0].EpName(), err)
			} else {
				return so, "plugin " + devs[0].EpName() + " via GetEpDevices/AppendExecutionProviderV2", nil
			}
		}
	}
	if errors.Is(regErr, ort.ErrCUDAMissing) {
		so.Destroy()
		return nil, "", fmt.Errorf("provider cuda: %w", regErr)
	}
	// Fallback: an ONNX Runtime build with the CUDA provider compiled in.
	cu, err := ortgo.NewCUDAProviderOptions()
	if err == nil {
		err = so.AppendExecutionProviderCUDA(cu)
		cu.Destroy()
		if err == nil {
			return so, "built-in CUDAExecutionProvider via AppendExecutionProviderCUDA", nil
		}
	}
	so.Destroy()
	return nil, "", fmt.Errorf("provider cuda cannot start: plugin path: %v; built-in path: %v; %s", regErr, err, ort.CUDAInstallHint)
}

// CheckCUDA tells whether the CUDA provider can be appended to a session (ONNX Runtime initialized with
// opts.ORTLib): how it would start, or why it cannot. A session on a real model can still fail later
// (e.g. no GPU memory).
func CheckCUDA(opts Options) (how string, err error) {
	if err := ort.InitDefault(opts.ORTLib); err != nil {
		return "", err
	}
	so, how, err := cudaSessionOptions(opts)
	if err != nil {
		return "", err
	}
	so.Destroy()
	return how, nil
}
