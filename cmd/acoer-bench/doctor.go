package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/acoer/acoer-bench/runner"
	"github.com/acoer/acoer-bench/runner/ort"
)

// doctorReport is what doctor found.
type doctorReport struct {
	ORTOK      bool         `json:"ort_ok"`
	ORTLibrary string       `json:"ort_library,omitempty"`
	ORTVersion string       `json:"ort_version,omitempty"`
	ORTError   string       `json:"ort_error,omitempty"`
	CUDALibs   []libStatus  `json:"cuda_libraries,omitempty"`
	CUDAOK     bool         `json:"cuda_ok"`
	CUDAHow    string       `json:"cuda_how,omitempty"`
	CUDAError  string       `json:"cuda_error,omitempty"`
	Devices    []ort.Device `json:"ep_devices,omitempty"`
	GPUs       []ort.Device `json:"gpus,omitempty"`
	Providers  []string     `json:"providers"`
	AutoPicks  string       `json:"auto_picks,omitempty"`
	SelfTests  []selfTest   `json:"self_tests,omitempty"`
	Fixes      []string     `json:"fixes,omitempty"`
}

// selfTest is the result of runner.SelfTest on one provider.
type selfTest struct {
	Provider string `json:"provider"`
	OK       bool   `json:"ok"`
	Error    string `json:"error,omitempty"`
}

type libStatus struct {
	Path    string `json:"path"`
	Present bool   `json:"present"`
}

func cmdDoctor(ctx context.Context, e env) error {
	fs := newFlags("doctor", "[--json] [--ort-lib PATH]", `  acoer-bench doctor
  acoer-bench doctor --ort-lib /opt/onnxruntime-gpu/lib/libonnxruntime.so --json`, e.stderr)
	asJSON := fs.Bool("json", false, "print one JSON object")
	ortLib := fs.String("ort-lib", "", "ONNX Runtime library to load (default: $ACOER_ORT_LIB, then the one make setup installed)")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return badInputf("doctor takes no positional arguments")
	}
	r := doctor(ctx, *ortLib)
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return err
		}
	} else {
		printDoctor(e, r)
	}
	if !r.ORTOK {
		return errors.New("ONNX Runtime is not usable (see above)")
	}
	for _, st := range r.SelfTests {
		if !st.OK {
			return fmt.Errorf("the %s self-test failed (see above)", st.Provider)
		}
	}
	return nil
}

func doctor(ctx context.Context, ortLib string) doctorReport {
	r := doctorReport{}
	path, err := ort.Discover(ortLib)
	if err == nil {
		err = ort.Init(path)
	}
	if err != nil {
		r.ORTError = err.Error()
		r.Fixes = append(r.Fixes, "install ONNX Runtime "+ort.Version+": `make setup` (or pass --ort-lib PATH / set "+ort.EnvVar+")")
		return r
	}
	r.ORTOK, r.ORTLibrary, r.ORTVersion = true, ort.LibraryPath(), ort.RuntimeVersion()
	r.Providers = []string{runner.ProviderCPU}
	if r.ORTVersion != ort.Version {
		r.Fixes = append(r.Fixes, fmt.Sprintf("ONNX Runtime %s is loaded; acoer-bench is tested with %s (`make setup`)", r.ORTVersion, ort.Version))
	}
	cuda, shared := ort.CUDAProviderPaths()
	missing := false
	for _, p := range []string{cuda, shared} {
		_, err := os.Stat(p)
		r.CUDALibs = append(r.CUDALibs, libStatus{p, err == nil})
		missing = missing || err != nil
	}
	how, err := runner.CheckCUDA(runner.Options{ORTLib: ortLib})
	if err == nil {
		r.CUDAOK, r.CUDAHow = true, how
		r.Providers = append(r.Providers, runner.ProviderCUDA)
		r.AutoPicks = runner.ProviderCUDA
	} else {
		r.CUDAError = err.Error()
		r.AutoPicks = runner.ProviderCPU
		if missing {
			r.Fixes = append(r.Fixes, "for --provider cuda: `make setup-cuda` (CUDA 13 provider plugins for ONNX Runtime "+ort.Version+")")
		} else {
			r.Fixes = append(r.Fixes, "for --provider cuda: "+ort.CUDAInstallHint)
		}
	}
	for _, p := range r.Providers {
		st := selfTest{Provider: p}
		if _, err := runner.SelfTest(ctx, runner.Options{Provider: p, ORTLib: ortLib, Log: io.Discard}); err != nil {
			st.Error = err.Error()
			r.Fixes = append(r.Fixes, fmt.Sprintf("the %s self-test failed: %v", p, err))
		} else {
			st.OK = true
		}
		r.SelfTests = append(r.SelfTests, st)
	}
	if devs, err := ort.Devices(); err == nil {
		r.Devices = devs
		for _, d := range devs {
			if ort.IsCUDAEP(d.EP) {
				r.GPUs = append(r.GPUs, d)
			}
		}
	}
	return r
}

func printDoctor(e env, r doctorReport) {
	w := e.stdout
	if !r.ORTOK {
		fmt.Fprintf(w, "ONNX Runtime    MISSING: %s\n", r.ORTError)
	} else {
		fmt.Fprintf(w, "ONNX Runtime    %s  %s\n", r.ORTVersion, r.ORTLibrary)
		for _, l := range r.CUDALibs {
			state := "ok"
			if !l.Present {
				state = "missing"
			}
			fmt.Fprintf(w, "CUDA library    %-8s %s\n", state, l.Path)
		}
		if r.CUDAOK {
			fmt.Fprintf(w, "CUDA provider   ok (%s)\n", r.CUDAHow)
		} else {
			fmt.Fprintf(w, "CUDA provider   unavailable: %s\n", r.CUDAError)
		}
		fmt.Fprintln(w, "EP devices (GetEpDevices):")
		if len(r.Devices) == 0 {
			fmt.Fprintln(w, "  none reported")
		}
		for _, d := range r.Devices {
			fmt.Fprintf(w, "  %s (%s)\n", d.EP, d.Vendor)
		}
		gpus := "none"
		if len(r.GPUs) > 0 {
			gpus = fmt.Sprintf("%d CUDA device(s)", len(r.GPUs))
		}
		fmt.Fprintf(w, "GPUs            %s\nproviders       %v (--provider auto picks %s)\n", gpus, r.Providers, r.AutoPicks)
		for _, st := range r.SelfTests {
			res := "ok (tiny decoder, batched greedy = reference)"
			if !st.OK {
				res = "FAILED: " + st.Error
			}
			fmt.Fprintf(w, "self-test %-5s %s\n", st.Provider, res)
		}
	}
	if len(r.Fixes) > 0 {
		fmt.Fprintln(w, "to fix:")
		for _, f := range r.Fixes {
			fmt.Fprintf(w, "  - %s\n", f)
		}
	}
}
