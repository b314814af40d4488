package runner

import (
	"errors"
	"fmt"
	"strings"

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

// ErrNoCUDADevice marks a CUDA provider whose libraries load but that has no device to run on (no GPU,
// no driver, or CUDA_VISIBLE_DEVICES hiding them all).
var ErrNoCUDADevice = errors.New("no CUDA device")

// Session config keys (onnxruntime_session_options_config_keys.h).
const (
	// spinningKey: "1" (ONNX Runtime's default) lets intra-op threads spin while waiting for work,
	// "0" makes them sleep (less CPU burnt beside a GPU, or on a shared host; slower small ops).
	spinningKey = "session.intra_op.allow_spinning"
)

// CUDAUseTF32 is the CUDA provider option use_tf32 every CUDA session gets: false, so float32 MatMuls
// run in full float32 on Ampere and newer GPUs (ONNX Runtime's default, true, rounds their inputs to
// TF32's 10-bit mantissa). A float32 graph then computes the same numbers on CUDA as on the CPU up to
// float32 rounding, and float16 graphs are unaffected. Recorded in Info.CUDA.UseTF32.
const CUDAUseTF32 = false

// cudaProviderOptions are the CUDA provider options (the same keys for the plugin's
// AppendExecutionProviderV2 and the built-in provider's options).
func cudaProviderOptions() map[string]string {
	tf32 := "0"
	if CUDAUseTF32 {
		tf32 = "1"
	}
	return map[string]string{"use_tf32": tf32}
}

// baseSessionOptions are the options every session gets: the intra-op threads and spinning of opts,
// and the recording of where each node is placed (read back by sessionPlacement).
func baseSessionOptions(opts Options) (*ortgo.SessionOptions, error) {
	so, err := ortgo.NewSessionOptions()
	if err != nil {
		return nil, err
	}
	fail := func(what string, err error) (*ortgo.SessionOptions, error) {
		so.Destroy()
		return nil, fmt.Errorf("session options: %s: %w", what, err)
	}
	if opts.IntraOpThreads < 0 {
		return fail("intra-op threads", fmt.Errorf("want 0 (ONNX Runtime's default) or more, got %d", opts.IntraOpThreads))
	}
	if opts.IntraOpThreads > 0 {
		if err := so.SetIntraOpNumThreads(opts.IntraOpThreads); err != nil {
			return fail("intra-op threads", err)
		}
	}
	if opts.Spinning != nil {
		v := "0"
		if *opts.Spinning {
			v = "1"
		}
		if err := so.AddSessionConfigEntry(spinningKey, v); err != nil {
			return fail(spinningKey, err)
		}
	}
	if err := so.AddSessionConfigEntry(recordPlacementKey, "1"); err != nil {
		return fail(recordPlacementKey, err)
	}
	return so, nil
}

// cudaSessionOptions returns session options with the CUDA provider appended (use_tf32 off, see
// CUDAUseTF32): the plugin library through GetEpDevices + AppendExecutionProviderV2 when it registers,
// else the CUDA provider compiled into the runtime (AppendExecutionProviderCUDA). how says which path
// worked. The error says what is missing and how to install it. Go's signal handlers are restored
// after each call that loads or initializes CUDA (ort.GuardSignals).
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
			// The built-in path would create the same provider from the same library: no device either.
			so.Destroy()
			return nil, "", fmt.Errorf("provider cuda: %w: the CUDA plugin loaded but sees no CUDA device (NVIDIA %s)", ErrNoCUDADevice, ort.DriverInfo().Summary())
		default:
			var err error
			ort.GuardSignals("appending the CUDA provider", func() { err = so.AppendExecutionProviderV2(devs[:1], cudaProviderOptions()) })
			if err != nil {
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
	if missing := ort.MissingCUDALibs(); len(missing) > 0 {
		// The built-in path would load the same plugin file and fail the same way.
		so.Destroy()
		return nil, "", fmt.Errorf("provider cuda: %w: %s not found (LD_LIBRARY_PATH, the ldconfig cache); %s",
			ort.ErrCUDALibsMissing, strings.Join(missing, ", "), ort.CUDAInstallHint)
	}
	// Fallback: an ONNX Runtime build with the CUDA provider compiled in.
	var builtinErr error
	ort.GuardSignals("appending the built-in CUDA provider", func() {
		cu, err := ortgo.NewCUDAProviderOptions()
		if err == nil {
			if err = cu.Update(cudaProviderOptions()); err == nil {
				err = so.AppendExecutionProviderCUDA(cu)
			}
			cu.Destroy()
		}
		builtinErr = err
	})
	if builtinErr == nil {
		return so, "built-in CUDAExecutionProvider via AppendExecutionProviderCUDA", nil
	}
	so.Destroy()
	return nil, "", fmt.Errorf("provider cuda cannot start: plugin path: %v; built-in path: %v; %s", regErr, builtinErr, ort.CUDAInstallHint)
}

// CheckCUDA tells whether the CUDA provider can be appended to session options (ONNX Runtime initialized
// with opts.ORTLib): how it would start, or why it cannot. Appending creates nothing on the device, so
// it proves neither that a session starts nor that its results are right: CUDASelfTest does both.
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
