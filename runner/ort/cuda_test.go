package ort

import (
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestArchSupported(t *testing.T) {
	for _, c := range []struct {
		major, minor int
		want         bool
	}{
		{9, 0, true}, {8, 0, true}, {8, 6, true}, {8, 7, true}, {8, 9, true}, {7, 5, true}, {12, 0, true}, {12, 1, true},
		{10, 0, false}, {10, 3, false}, {7, 0, false}, {6, 1, false}, {11, 0, false},
	} {
		if got := ArchSupported(c.major, c.minor); got != c.want {
			t.Errorf("sm_%d%d: %v, want %v", c.major, c.minor, got, c.want)
		}
	}
}

func TestParseNVIDIAVersion(t *testing.T) {
	for in, want := range map[string]string{
		"NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.65.06  Sun Jul 27 07:09:02 UTC 2025\nGCC version:  gcc version 12.2.0\n":        "580.65.06",
		"NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.82.07  Release Build  (dvs-builder@U16-I3-B03-4-3)  Wed Aug 27 2025\n": "580.82.07",
		"NVRM version: NVIDIA UNIX aarch64 Kernel Module  575.51  Tue Apr 1 2025":                                                            "575.51",
		"garbage": "",
	} {
		if got := ParseNVIDIAVersion(in); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
	if DriverReleaseMajor("580.65.06") != 580 || DriverReleaseMajor("") != 0 {
		t.Fatal("DriverReleaseMajor")
	}
}

// The probe finds a library the process can load and says where it resolved; a missing soname is
// reported with the loader's message, not a crash.
func TestProbe(t *testing.T) {
	ok, path, msg := probe("libc.so.6")
	if !ok || !strings.Contains(path, "libc.so.6") || msg != "" {
		t.Fatalf("libc.so.6: %v %q %q", ok, path, msg)
	}
	ok, path, msg = probe("libacoer-nope.so.7")
	if ok || path != "" || !strings.Contains(msg, "libacoer-nope.so.7") {
		t.Fatalf("missing: %v %q %q", ok, path, msg)
	}
	libs := ProbeCUDALibs()
	if len(libs) != len(CUDANeeded)+len(CUDAOptional) {
		t.Fatalf("%d libraries", len(libs))
	}
	for _, l := range libs {
		if l.Found == (l.Error != "") || l.Found != (l.Path != "") {
			t.Errorf("%+v", l)
		}
	}
}

// DriverInfo on this machine: with libcuda.so.1 it asked the driver; without it, "no driver" and why.
func TestDriverInfo(t *testing.T) {
	d := DriverInfo()
	found, _, _ := probe("libcuda.so.1")
	if d.Loaded != found {
		t.Fatalf("Loaded %v, libcuda.so.1 found %v", d.Loaded, found)
	}
	if !found {
		if !strings.HasPrefix(d.Summary(), "no driver (") || !strings.Contains(d.Error, "libcuda.so.1") || len(d.GPUs) != 0 {
			t.Fatalf("no driver: %+v, %q", d, d.Summary())
		}
		return
	}
	if d.CUDAVersion == "" || (d.Error == "") != (len(d.GPUs) > 0) {
		t.Fatalf("driver: %+v", d)
	}
	for _, g := range d.GPUs {
		if g.Name == "" || g.ComputeCapability == "" || g.MemoryBytes <= 0 {
			t.Fatalf("GPU %+v", g)
		}
	}
}

// A C handler without SA_ONSTACK installed during a guarded call (what the CUDA libraries do) is
// replaced by Go's again, and Go receives the signal; CheckSignals does the same after the window.
func TestGuardSignalsRestoresGoHandlers(t *testing.T) {
	sig := syscall.SIGUSR1
	if !handlerOnStack(sig) {
		t.Fatal("Go's SIGUSR1 handler has no SA_ONSTACK")
	}
	restored := GuardSignals("a test's foreign handler", func() {
		if err := installForeignHandler(sig); err != nil {
			t.Fatal(err)
		}
		if handlerOnStack(sig) {
			t.Fatal("the foreign handler has SA_ONSTACK")
		}
	})
	if len(restored) != 1 || restored[0] != sig || !handlerOnStack(sig) {
		t.Fatalf("restored %v, on stack %v", restored, handlerOnStack(sig))
	}
	if r := strings.Join(Restored(), ";"); !strings.Contains(r, "SIGUSR1 (a test's foreign handler)") {
		t.Fatalf("Restored() = %q", r)
	}
	receives := func() bool {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, sig)
		defer signal.Stop(ch)
		syscall.Kill(os.Getpid(), sig)
		select {
		case <-ch:
			return true
		case <-time.After(2 * time.Second):
			return false
		}
	}
	if !receives() {
		t.Fatal("Go did not receive SIGUSR1 after the restore")
	}
	installForeignHandler(sig)
	if got := CheckSignals("a test step"); len(got) != 1 || got[0] != sig || !handlerOnStack(sig) {
		t.Fatalf("CheckSignals restored %v", got)
	}
	if !receives() {
		t.Fatal("Go did not receive SIGUSR1 after CheckSignals")
	}
	if got := CheckSignals("nothing changed"); len(got) != 0 {
		t.Fatalf("CheckSignals with nothing replaced restored %v", got)
	}
}

// BenchmarkCheckSignals is the per-step cost of CheckSignals on a CUDA session.
func BenchmarkCheckSignals(b *testing.B) {
	GuardSignals("benchmark", func() {})
	for b.Loop() {
		CheckSignals("benchmark")
	}
}
