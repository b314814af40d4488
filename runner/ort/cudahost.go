package ort

// What the CUDA provider needs from the machine, found the way the dynamic loader finds it: each
// shared library the plugin links (dlopen of its soname, the path it resolved to), the NVIDIA driver
// (libcuda's driver API through dlopen: its CUDA version, the devices it shows and their compute
// capability) and the kernel module's release (/proc/driver/nvidia/version, else NVML). Nothing here
// needs a GPU to run: on a machine without one it reports what is missing.

/*
#cgo linux LDFLAGS: -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>

// acoer_ort_probe opens soname as the dynamic loader would for the plugin (which has no RUNPATH:
// LD_LIBRARY_PATH, the ldconfig cache, the default directories) and writes the path it resolved to,
// or dlerror's message. 0 = found.
static int acoer_ort_probe(const char* soname, char* path, size_t n, char* err, size_t errn) {
	dlerror();
	void* h = dlopen(soname, RTLD_LAZY | RTLD_LOCAL);
	if (!h) {
		const char* e = dlerror();
		strncpy(err, e ? e : "dlopen failed", errn - 1);
		err[errn - 1] = 0;
		return 1;
	}
	struct link_map* lm = NULL;
	path[0] = 0;
	if (dlinfo(h, RTLD_DI_LINKMAP, &lm) == 0 && lm && lm->l_name) {
		strncpy(path, lm->l_name, n - 1);
		path[n - 1] = 0;
	}
	dlclose(h);
	return 0;
}

// The driver API calls used (CUresult is an int; 0 = CUDA_SUCCESS).
typedef int (*cu_init_t)(unsigned int);
typedef int (*cu_int_t)(int*);
typedef int (*cu_device_get_t)(int*, int);
typedef int (*cu_name_t)(char*, int, int);
typedef int (*cu_attr_t)(int*, int, int);
typedef int (*cu_mem_t)(size_t*, int);
typedef int (*cu_errstr_t)(int, const char**);

static void* acoer_cuda_lib;

typedef struct {
	int loaded;       // libcuda.so.1 opened
	int init;         // cuInit's result
	int version;      // cuDriverGetVersion (1000*major + 10*minor), 0 when unknown
	int count;        // devices visible
	char err[256];    // dlerror, or cuInit's error string
} acoer_driver;

typedef struct {
	char name[256];
	char pci[64];
	int major, minor;
	size_t mem;
} acoer_device;

static void acoer_cu_errstr(int rc, char* out, size_t n) {
	cu_errstr_t f = (cu_errstr_t)dlsym(acoer_cuda_lib, "cuGetErrorString");
	const char* s = NULL;
	if (f && f(rc, &s) == 0 && s) {
		strncpy(out, s, n - 1);
		out[n - 1] = 0;
	} else {
		out[0] = 0;
	}
}

// acoer_ort_driver opens libcuda.so.1 (kept open: the driver stays initialized) and asks it.
static void acoer_ort_driver(acoer_driver* d) {
	memset(d, 0, sizeof(*d));
	if (!acoer_cuda_lib) {
		dlerror();
		acoer_cuda_lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
	}
	if (!acoer_cuda_lib) {
		const char* e = dlerror();
		strncpy(d->err, e ? e : "dlopen failed", sizeof(d->err) - 1);
		return;
	}
	d->loaded = 1;
	cu_int_t ver = (cu_int_t)dlsym(acoer_cuda_lib, "cuDriverGetVersion");
	if (ver) ver(&d->version);
	cu_init_t init = (cu_init_t)dlsym(acoer_cuda_lib, "cuInit");
	if (!init) {
		d->init = -1;
		strcpy(d->err, "libcuda.so.1 has no cuInit");
		return;
	}
	d->init = init(0);
	if (d->init != 0) {
		acoer_cu_errstr(d->init, d->err, sizeof(d->err));
		return;
	}
	cu_int_t count = (cu_int_t)dlsym(acoer_cuda_lib, "cuDeviceGetCount");
	if (count) count(&d->count);
}

// acoer_ort_device describes device ordinal i (after acoer_ort_driver succeeded). 0 = ok.
static int acoer_ort_device(int i, acoer_device* out) {
	memset(out, 0, sizeof(*out));
	cu_device_get_t get = (cu_device_get_t)dlsym(acoer_cuda_lib, "cuDeviceGet");
	cu_name_t name = (cu_name_t)dlsym(acoer_cuda_lib, "cuDeviceGetName");
	cu_attr_t attr = (cu_attr_t)dlsym(acoer_cuda_lib, "cuDeviceGetAttribute");
	cu_mem_t mem = (cu_mem_t)dlsym(acoer_cuda_lib, "cuDeviceTotalMem_v2");
	cu_name_t pci = (cu_name_t)dlsym(acoer_cuda_lib, "cuDeviceGetPCIBusId");
	int dev = 0;
	if (!get || get(&dev, i) != 0) return 1;
	if (name) name(out->name, sizeof(out->name) - 1, dev);
	if (pci) pci(out->pci, sizeof(out->pci) - 1, dev);
	if (attr) {
		attr(&out->major, 75, dev); // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
		attr(&out->minor, 76, dev); // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR
	}
	if (mem) mem(&out->mem, dev);
	return 0;
}

// NVML, only for the driver release when /proc/driver/nvidia/version is not there.
typedef int (*nvml_init_t)(void);
typedef int (*nvml_ver_t)(char*, unsigned int);

static int acoer_ort_nvml_version(char* out, unsigned int n) {
	out[0] = 0;
	void* h = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!h) return 1;
	nvml_init_t init = (nvml_init_t)dlsym(h, "nvmlInit_v2");
	nvml_ver_t ver = (nvml_ver_t)dlsym(h, "nvmlSystemGetDriverVersion");
	nvml_init_t shut = (nvml_init_t)dlsym(h, "nvmlShutdown");
	int rc = 1;
	if (init && ver && init() == 0) {
		rc = ver(out, n);
		if (shut) shut();
	}
	dlclose(h);
	return rc;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

// CUDALib is one shared library the CUDA provider needs, and whether the dynamic loader finds it.
type CUDALib struct {
	Soname string `json:"soname"`
	// What it is and why it is needed.
	What string `json:"what"`
	// Optional libraries are not linked by the plugin: ops that use them load them at first use.
	Optional bool   `json:"optional,omitempty"`
	Found    bool   `json:"found"`
	Path     string `json:"path,omitempty"`
	Error    string `json:"error,omitempty"`
}

// CUDANeeded are the libraries libonnxruntime_providers_cuda.so (ONNX Runtime 1.29.0's CUDA 13
// plugin, as `make setup-cuda` installs it) links: its ELF NEEDED entries besides the C/C++ runtime
// (readelf -d). The plugin has no RUNPATH, so they are found through LD_LIBRARY_PATH, the ldconfig
// cache or the default directories. CUDAOptional are libraries it opens itself only when an operator
// needs them (cuDNN for convolutions, pooling, RNNs and cuDNN's attention; cuFFT for FFTs): a
// Llama-family decoder needs none of them.
var (
	CUDANeeded = []CUDALib{
		{Soname: "libcudart.so.13", What: "CUDA 13 runtime"},
		{Soname: "libcublas.so.13", What: "cuBLAS 13 (MatMul)"},
		{Soname: "libcublasLt.so.13", What: "cuBLASLt 13 (MatMul)"},
		{Soname: "libcurand.so.10", What: "cuRAND 10 (CUDA 13's)"},
		{Soname: "libcuda.so.1", What: "the NVIDIA driver (R580 or newer for CUDA 13)"},
	}
	CUDAOptional = []CUDALib{
		{Soname: "libcudnn.so.9", What: "cuDNN 9: loaded by the plugin only for ops that use it (not a decoder's)", Optional: true},
	}
)

// CUDAArchs are the GPU architectures the plugin's kernels are compiled for (cubins for sm_75, 80, 86,
// 89, 90 and 120, read from its .nv_fatbin; no PTX, so no other architecture can JIT them). A cubin runs
// on devices of its major version with an equal or higher minor version.
var CUDAArchs = []int{75, 80, 86, 89, 90, 120}

// ArchSupported tells whether a device of compute capability major.minor can run the plugin's kernels.
func ArchSupported(major, minor int) bool {
	for _, a := range CUDAArchs {
		if a/10 == major && a%10 <= minor {
			return true
		}
	}
	return false
}

// MinDriverCUDA is the CUDA version (as cuDriverGetVersion reports it) the driver must support: 13.0,
// which needs driver release 580 or newer.
const MinDriverCUDA = 13000

// ProbeCUDALibs looks each library up (dlopen of its soname) and says where it resolved to. Signal
// handlers the libraries' initializers install are undone (see GuardSignals).
func ProbeCUDALibs() []CUDALib {
	var out []CUDALib
	GuardSignals("probing the CUDA libraries", func() {
		for _, l := range append(append([]CUDALib(nil), CUDANeeded...), CUDAOptional...) {
			l.Found, l.Path, l.Error = probe(l.Soname)
			out = append(out, l)
		}
	})
	return out
}

// ErrCUDALibsMissing marks a CUDA provider that cannot start because libraries the plugin links are not
// found (MissingCUDALibs).
var ErrCUDALibsMissing = errors.New("the CUDA 13 libraries the CUDA plugin links are missing")

// MissingCUDALibs are the sonames of CUDANeeded the dynamic loader does not find.
func MissingCUDALibs() []string {
	var out []string
	for _, l := range ProbeCUDALibs() {
		if !l.Found && !l.Optional {
			out = append(out, l.Soname)
		}
	}
	return out
}

func probe(soname string) (bool, string, string) {
	name := C.CString(soname)
	defer C.free(unsafe.Pointer(name))
	var path [4096]C.char
	var msg [1024]C.char
	if C.acoer_ort_probe(name, &path[0], C.size_t(len(path)), &msg[0], C.size_t(len(msg))) != 0 {
		return false, "", C.GoString(&msg[0])
	}
	return true, C.GoString(&path[0]), ""
}

// GPU is one CUDA device the driver shows (after CUDA_VISIBLE_DEVICES).
type GPU struct {
	Index int    `json:"index"`
	Name  string `json:"name"`
	PCI   string `json:"pci_bus_id,omitempty"`
	// ComputeCapability is "major.minor"; ArchSupported whether the plugin has kernels for it.
	ComputeCapability string `json:"compute_capability"`
	ArchSupported     bool   `json:"arch_supported"`
	MemoryBytes       int64  `json:"memory_bytes"`
}

// Driver is what the NVIDIA driver says about itself and its devices.
type Driver struct {
	// Loaded: libcuda.so.1 was found (Path).
	Loaded bool   `json:"loaded"`
	Path   string `json:"path,omitempty"`
	// Release is the kernel module's version ("580.65.06"), from /proc/driver/nvidia/version or NVML
	// ("" when neither is there).
	Release string `json:"release,omitempty"`
	// CUDAVersion is the CUDA version the driver supports ("13.0"; cuDriverGetVersion).
	CUDAVersion string `json:"cuda_version,omitempty"`
	// CUDAOK: that version is at least MinDriverCUDA.
	CUDAOK bool `json:"cuda_ok"`
	// Error is why libcuda could not be loaded or cuInit failed ("" when it worked).
	Error string `json:"error,omitempty"`
	GPUs  []GPU  `json:"gpus,omitempty"`
	// VisibleDevices is $CUDA_VISIBLE_DEVICES as this process saw it ("" = unset: all devices).
	VisibleDevices string `json:"cuda_visible_devices,omitempty"`
}

// Summary is one line: "driver 580.65.06 (CUDA 13.0), 1 GPU: NVIDIA H100 80GB HBM3 (sm_90)", or
// "no driver (libcuda.so.1: ...)".
func (d Driver) Summary() string {
	if !d.Loaded {
		return "no driver (" + d.Error + ")"
	}
	var b strings.Builder
	b.WriteString("driver ")
	if d.Release != "" {
		b.WriteString(d.Release + " ")
	}
	if d.CUDAVersion != "" {
		fmt.Fprintf(&b, "(CUDA %s)", d.CUDAVersion)
	}
	if d.Error != "" {
		fmt.Fprintf(&b, ", no usable device: %s", d.Error)
		return strings.TrimSpace(b.String())
	}
	fmt.Fprintf(&b, ", %d GPU(s)", len(d.GPUs))
	for i, g := range d.GPUs {
		sep := ": "
		if i > 0 {
			sep = "; "
		}
		fmt.Fprintf(&b, "%s%s (sm_%s)", sep, g.Name, strings.ReplaceAll(g.ComputeCapability, ".", ""))
	}
	return b.String()
}

var driverOnce struct {
	sync.Once
	d Driver
}

// DriverInfo asks the NVIDIA driver (once per process; cuInit is process-wide): its release, the CUDA
// version it supports and the devices it shows. Without a driver, Loaded is false and Error says why.
func DriverInfo() Driver {
	driverOnce.Do(func() {
		var d Driver
		d.VisibleDevices = os.Getenv("CUDA_VISIBLE_DEVICES")
		d.Release = driverRelease()
		GuardSignals("initializing the CUDA driver", func() {
			var cd C.acoer_driver
			C.acoer_ort_driver(&cd)
			d.Loaded = cd.loaded != 0
			if !d.Loaded {
				d.Error = C.GoString(&cd.err[0])
				return
			}
			_, d.Path, _ = probe("libcuda.so.1")
			if v := int(cd.version); v > 0 {
				d.CUDAVersion = fmt.Sprintf("%d.%d", v/1000, v%1000/10)
				d.CUDAOK = v >= MinDriverCUDA
			}
			if cd.init != 0 {
				d.Error = fmt.Sprintf("cuInit: error %d", int(cd.init))
				if s := C.GoString(&cd.err[0]); s != "" {
					d.Error = "cuInit: " + s
				}
				return
			}
			for i := range int(cd.count) {
				var g C.acoer_device
				if C.acoer_ort_device(C.int(i), &g) != 0 {
					continue
				}
				major, minor := int(g.major), int(g.minor)
				d.GPUs = append(d.GPUs, GPU{Index: i, Name: C.GoString(&g.name[0]), PCI: C.GoString(&g.pci[0]),
					ComputeCapability: fmt.Sprintf("%d.%d", major, minor), ArchSupported: ArchSupported(major, minor),
					MemoryBytes: int64(g.mem)})
			}
			if len(d.GPUs) == 0 {
				d.Error = "the driver shows no CUDA device"
			}
		})
		driverOnce.d = d
	})
	return driverOnce.d
}

// driverRelease reads the kernel module's release from /proc/driver/nvidia/version, else NVML.
func driverRelease() string {
	if b, err := os.ReadFile("/proc/driver/nvidia/version"); err == nil {
		if v := ParseNVIDIAVersion(string(b)); v != "" {
			return v
		}
	}
	var buf [96]C.char
	if C.acoer_ort_nvml_version(&buf[0], C.uint(len(buf))) == 0 {
		return C.GoString(&buf[0])
	}
	return ""
}

var nvrmRE = regexp.MustCompile(`Kernel Module\s+(?:for\s+\S+\s+)?(\d+\.\d+(?:\.\d+)?)`)

// ParseNVIDIAVersion finds the driver release in /proc/driver/nvidia/version's text ("" when none):
// "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.65.06  Sun Jul 27 ..." gives "580.65.06" (the
// open kernel module's "NVIDIA UNIX Open Kernel Module for x86_64  580.65.06" too).
func ParseNVIDIAVersion(s string) string {
	if m := nvrmRE.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}

// DriverReleaseMajor is the leading number of a release ("580.65.06" → 580; 0 when unparsable).
func DriverReleaseMajor(release string) int {
	n, _ := strconv.Atoi(strings.SplitN(release, ".", 2)[0])
	return n
}
