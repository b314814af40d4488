package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/acoer/acoer-bench/runner"
	"github.com/acoer/acoer-bench/runner/ort"
)

// doctorReport is what doctor found.
type doctorReport struct {
	ORTOK      bool   `json:"ort_ok"`
	ORTLibrary string `json:"ort_library,omitempty"`
	ORTVersion string `json:"ort_version,omitempty"`
	ORTError   string `json:"ort_error,omitempty"`
	// PluginFiles are the provider plugin files `make setup-cuda` installs next to the runtime.
	PluginFiles []libStatus `json:"cuda_plugin_files,omitempty"`
	// CUDALibs are the libraries the plugin links (and the optional ones), as the loader finds them.
	CUDALibs []ort.CUDALib `json:"cuda_libraries,omitempty"`
	Driver   *ort.Driver   `json:"driver,omitempty"`
	// CUDAProvider is how the CUDA provider starts ("" when it cannot: CUDAProviderError says why).
	CUDAProvider      string `json:"cuda_provider,omitempty"`
	CUDAProviderError string `json:"cuda_provider_error,omitempty"`
	// CUDASelfTest is the decode-step comparison with the CPU (run when the provider starts); CUDAOK is
	// its verdict, and what provider auto goes by.
	CUDASelfTest *runner.CUDACheck `json:"cuda_self_test,omitempty"`
	CUDAOK       bool              `json:"cuda_ok"`
	Devices      []ort.Device      `json:"ep_devices,omitempty"`
	Providers    []string          `json:"providers"`
	AutoPicks    string            `json:"auto_picks,omitempty"`
	AutoWhy      string            `json:"auto_why,omitempty"`
	SelfTests    []selfTest        `json:"self_tests,omitempty"`
	Warnings     []string          `json:"warnings,omitempty"`
	Fixes        []string          `json:"fixes,omitempty"`
}

// selfTest is the result of runner.SelfTest (the tiny decoder's batched greedy generation against its
// Go reference) on one provider.
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
	fs := newFlags("doctor", "[--json] [--model DIR] [--ort-lib PATH]", `  acoer-bench doctor
  acoer-bench doctor --model models/trained     # also: would this model run well on CUDA?
  acoer-bench doctor --json > doctor.json
  CUDA_VISIBLE_DEVICES=1 acoer-bench doctor          # the GPU a shard would use
  acoer-bench doctor --ort-lib /opt/onnxruntime-gpu/lib/libonnxruntime.so --json`, e.stderr)
	asJSON := fs.Bool("json", false, "print one JSON object")
	ortLib := fs.String("ort-lib", "", "ONNX Runtime library to load (default: $ACOER_ORT_LIB, then the one make setup installed)")
	model := fs.String("model", "", "also check a model directory for CUDA: what its graph would do there (float32 GroupQueryAttention)")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return badInputf("doctor takes no positional arguments")
	}
	var modelWarnings []string
	if *model != "" {
		c, err := runner.Check(*model, runner.Options{ORTLib: *ortLib, Log: io.Discard})
		if err != nil {
			return modelError(err)
		}
		for _, w := range runner.CUDAContractWarnings(c.Contract()) {
			modelWarnings = append(modelWarnings, *model+": "+w)
		}
	}
	r := doctor(ctx, *ortLib)
	r.Warnings = append(modelWarnings, r.Warnings...)
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
	if r.CUDAProvider != "" && !r.CUDAOK {
		return errors.New("the CUDA provider starts but its self-test failed: CUDA results would be wrong (see above)")
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
	pluginMissing := false
	for _, p := range []string{cuda, shared} {
		_, err := os.Stat(p)
		r.PluginFiles = append(r.PluginFiles, libStatus{p, err == nil})
		pluginMissing = pluginMissing || err != nil
	}
	r.CUDALibs = ort.ProbeCUDALibs()
	d := ort.DriverInfo()
	r.Driver = &d
	r.Fixes = append(r.Fixes, cudaFixes(pluginMissing, r.CUDALibs, d)...)

	opts := runner.Options{ORTLib: ortLib, Log: io.Discard}
	if how, err := runner.CheckCUDA(opts); err != nil {
		r.CUDAProviderError = err.Error()
		r.AutoPicks, r.AutoWhy = runner.ProviderCPU, "the CUDA provider cannot start"
	} else {
		st := runner.CUDASelfTest(ctx, opts)
		r.CUDASelfTest, r.CUDAOK = &st, st.OK
		if st.Started {
			r.CUDAProvider = how
		} else {
			r.CUDAProviderError = "the provider appends (" + how + ") but no CUDA session starts: " + st.Error
		}
		switch {
		case !st.Started:
			r.AutoPicks, r.AutoWhy = runner.ProviderCPU, "no CUDA session starts"
		case st.OK:
			r.Providers = append(r.Providers, runner.ProviderCUDA)
			r.AutoPicks, r.AutoWhy = runner.ProviderCUDA, "the CUDA self-test passed"
		default:
			r.AutoPicks, r.AutoWhy = runner.ProviderCPU, "the CUDA provider starts but its self-test failed: "+st.Error
			r.Fixes = append(r.Fixes, "the CUDA self-test failed ("+st.Error+"): use --provider cpu until it passes")
		}
		for _, g := range st.Graphs {
			if g.Note != "" {
				r.Warnings = append(r.Warnings, g.Graph+": "+g.Note)
			} else if len(g.ComputeOnCPU) > 0 {
				r.Warnings = append(r.Warnings, fmt.Sprintf("%s: decoder ops placed on the CPU on CUDA: %v", g.Graph, g.ComputeOnCPU))
			}
		}
		if rs := st.SignalHandlersRestored; len(rs) > 0 {
			r.Warnings = append(r.Warnings, "the CUDA libraries replaced Go's signal handlers, restored: "+strings.Join(rs, "; "))
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
	}
	return r
}

// cudaFixes says what to do about what is missing for CUDA (nothing when all is there).
func cudaFixes(pluginMissing bool, libs []ort.CUDALib, d ort.Driver) []string {
	var fixes []string
	if pluginMissing {
		fixes = append(fixes, "for --provider cuda: `make setup-cuda` (the CUDA 13 provider plugin for ONNX Runtime "+ort.Version+")")
	}
	var missing []string
	for _, l := range libs {
		if !l.Found && !l.Optional && l.Soname != "libcuda.so.1" {
			missing = append(missing, l.Soname)
		}
	}
	if len(missing) > 0 {
		fixes = append(fixes, "for --provider cuda: make "+strings.Join(missing, ", ")+" findable (LD_LIBRARY_PATH): `pip install nvidia-cuda-runtime==13.* nvidia-cublas==13.* nvidia-curand==10.*` then `export LD_LIBRARY_PATH=$(scripts/cuda-ld-path.sh)`, or a CUDA 13 toolkit's lib64")
	}
	switch {
	case !d.Loaded:
		fixes = append(fixes, "for --provider cuda: an NVIDIA driver of release 580 or newer (libcuda.so.1 was not found: "+d.Error+")")
	case d.CUDAVersion != "" && !d.CUDAOK:
		fixes = append(fixes, fmt.Sprintf("for --provider cuda: the driver supports CUDA %s; the plugin needs CUDA 13 (driver release 580 or newer)", d.CUDAVersion))
	}
	for _, g := range d.GPUs {
		if !g.ArchSupported {
			fixes = append(fixes, fmt.Sprintf("GPU %d (%s) has compute capability %s: the plugin's kernels are built for sm_75/80/86/89/90/120 only (no PTX), so CUDA cannot run on it", g.Index, g.Name, g.ComputeCapability))
		}
	}
	return fixes
}

func printDoctor(e env, r doctorReport) {
	w := e.stdout
	if !r.ORTOK {
		fmt.Fprintf(w, "ONNX Runtime    MISSING: %s\n", r.ORTError)
	} else {
		fmt.Fprintf(w, "ONNX Runtime    %s  %s\n", r.ORTVersion, r.ORTLibrary)
		for _, l := range r.PluginFiles {
			state := "ok"
			if !l.Present {
				state = "missing"
			}
			fmt.Fprintf(w, "CUDA plugin     %-8s %s\n", state, l.Path)
		}
		fmt.Fprintln(w, "CUDA libraries (what the plugin links, as the loader finds them):")
		for _, l := range r.CUDALibs {
			state, where := "found", l.Path
			if !l.Found {
				state, where = "MISSING", l.Error
				if l.Optional {
					state = "absent"
				}
			}
			fmt.Fprintf(w, "  %-18s %-8s %s  [%s]\n", l.Soname, state, where, l.What)
		}
		if r.Driver != nil {
			fmt.Fprintf(w, "NVIDIA driver   %s\n", r.Driver.Summary())
			for _, g := range r.Driver.GPUs {
				arch := "kernels: yes"
				if !g.ArchSupported {
					arch = "kernels: NONE for this architecture"
				}
				fmt.Fprintf(w, "  GPU %d  %s  sm_%s  %.1f GiB  %s  %s\n", g.Index, g.Name, strings.ReplaceAll(g.ComputeCapability, ".", ""),
					float64(g.MemoryBytes)/(1<<30), g.PCI, arch)
			}
			if r.Driver.VisibleDevices != "" {
				fmt.Fprintf(w, "  CUDA_VISIBLE_DEVICES=%s\n", r.Driver.VisibleDevices)
			}
		}
		if r.CUDAProvider != "" {
			fmt.Fprintf(w, "CUDA provider   starts (%s)\n", r.CUDAProvider)
		} else {
			fmt.Fprintf(w, "CUDA provider   cannot start: %s\n", r.CUDAProviderError)
		}
		if st := r.CUDASelfTest; st != nil && st.Started {
			verdict := "ok"
			if !st.OK {
				verdict = "FAILED"
			}
			fmt.Fprintf(w, "CUDA self-test  %s: a prefill and 8 decode steps on CUDA and on the CPU, the same tokens fed, logits compared\n", verdict)
			for _, g := range st.Graphs {
				res := "ok"
				if !g.OK {
					res = "FAILED: " + g.Error
				}
				fmt.Fprintf(w, "  %-44s max |Δlogit| %.3g (tolerance %g × %.3g)  %s\n", g.Graph, g.MaxAbsDiff, g.Tolerance, g.Scale, res)
				if g.Placement != "" {
					fmt.Fprintf(w, "  %-44s placement: %s\n", "", g.Placement)
				}
			}
		}
		fmt.Fprintln(w, "EP devices (GetEpDevices):")
		if len(r.Devices) == 0 {
			fmt.Fprintln(w, "  none reported")
		}
		for _, d := range r.Devices {
			fmt.Fprintf(w, "  %s (%s)\n", d.EP, d.Vendor)
		}
		fmt.Fprintf(w, "providers       %v\n--provider auto picks %s (%s)\n", r.Providers, r.AutoPicks, r.AutoWhy)
		for _, st := range r.SelfTests {
			res := "ok (tiny decoder, batched greedy = reference)"
			if !st.OK {
				res = "FAILED: " + st.Error
			}
			fmt.Fprintf(w, "self-test %-5s %s\n", st.Provider, res)
		}
	}
	if len(r.Warnings) > 0 {
		fmt.Fprintln(w, "warnings:")
		for _, x := range r.Warnings {
			fmt.Fprintf(w, "  - %s\n", x)
		}
	}
	if len(r.Fixes) > 0 {
		fmt.Fprintln(w, "to fix:")
		for _, f := range r.Fixes {
			fmt.Fprintf(w, "  - %s\n", f)
		}
	}
}
