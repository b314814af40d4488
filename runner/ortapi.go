package runner

// The few ONNX Runtime C API calls that onnxruntime_go 1.35 does not offer: binding outputs to a
// device, taking the OrtValues a run allocated without copying them to Go, creating tensors on a
// session's device and copying between them. They are called through the OrtApi function table of the
// library onnxruntime_go already loaded (dlopen with RTLD_NOLOAD, OrtGetApiBase, GetApi), declared here
// by their positions in the table; TestOrtAPITableIndexes checks every position against the header
// onnxruntime_go ships (onnxruntime_c_api.h in the module cache), compiled with the system's C compiler.
// The table is append-only across ONNX Runtime versions, so the positions hold for every library that
// supports the requested API version.

/*
#cgo linux LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <stddef.h>

typedef void* P; // every ONNX Runtime object is opaque here

// Positions in struct OrtApi (see TestOrtAPITableIndexes).
enum {
	I_GetErrorMessage = 2,
	I_CreateEnv = 3,
	I_SessionGetInputCount = 30,
	I_CreateTensorAsOrtValue = 48,
	I_CreateTensorWithDataAsOrtValue = 49,
	I_GetTensorMutableData = 51,
	I_CreateCpuMemoryInfo = 69,
	I_MemoryInfoGetName = 71,
	I_AllocatorFree = 76,
	I_GetAllocatorWithDefaultOptions = 78,
	I_ReleaseEnv = 92,
	I_ReleaseStatus = 93,
	I_ReleaseMemoryInfo = 94,
	I_ReleaseValue = 96,
	I_CreateAllocator = 131,
	I_ReleaseAllocator = 132,
	I_RunWithBinding = 133,
	I_CreateIoBinding = 134,
	I_ReleaseIoBinding = 135,
	I_BindInput = 136,
	I_BindOutput = 137,
	I_BindOutputToDevice = 138,
	I_GetBoundOutputValues = 140,
	I_ClearBoundInputs = 141,
	I_ClearBoundOutputs = 142,
	I_GetTensorMemoryInfo = 194,
	I_SessionGetMemoryInfoForOutputs = 381,
	I_CopyTensors = 386,
};

// The API version requested: 23 is the first with SessionGetMemoryInfoForOutputs and CopyTensors.
#define ACOER_ORT_API_VERSION 23

typedef struct { const void* (*GetApi)(uint32_t); const char* (*GetVersionString)(void); } ApiBase;

static void** acoer_api;

// acoer_init finds the OrtApi table of the already loaded library at path. 0 = ok.
static int acoer_init(const char* path) {
	void* h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
	if (!h) return 1;
	const ApiBase* (*base)(void) = (const ApiBase* (*)(void))dlsym(h, "OrtGetApiBase");
	if (!base) { dlclose(h); return 2; }
	acoer_api = (void**)base()->GetApi(ACOER_ORT_API_VERSION);
	dlclose(h); // the library stays loaded: onnxruntime_go holds it
	return acoer_api ? 0 : 3;
}

#define F(i, T) ((T)acoer_api[i])

static const char* acoer_error_message(P st) { return F(I_GetErrorMessage, const char* (*)(P))(st); }
static void acoer_release_status(P st) { F(I_ReleaseStatus, void (*)(P))(st); }
static P acoer_create_env(P* out) { return F(I_CreateEnv, P (*)(int, const char*, P*))(3, "acoer-bench", out); } // 3: ORT_LOGGING_LEVEL_ERROR
static void acoer_release_env(P e) { F(I_ReleaseEnv, void (*)(P))(e); }
static P acoer_session_input_count(P s, size_t* n) { return F(I_SessionGetInputCount, P (*)(P, size_t*))(s, n); }
static P acoer_create_tensor(P alloc, const int64_t* shape, size_t n, int type, P* out) {
	return F(I_CreateTensorAsOrtValue, P (*)(P, const int64_t*, size_t, int, P*))(alloc, shape, n, type, out);
}
static P acoer_create_tensor_with_data(P info, void* data, size_t len, const int64_t* shape, size_t n, int type, P* out) {
	return F(I_CreateTensorWithDataAsOrtValue, P (*)(P, void*, size_t, const int64_t*, size_t, int, P*))(info, data, len, shape, n, type, out);
}
static P acoer_tensor_data(P v, void** out) { return F(I_GetTensorMutableData, P (*)(P, void**))(v, out); }
static P acoer_create_cpu_memory_info(P* out) { return F(I_CreateCpuMemoryInfo, P (*)(int, int, P*))(1, 0, out); } // OrtArenaAllocator, OrtMemTypeDefault
static P acoer_memory_info_name(P info, const char** out) { return F(I_MemoryInfoGetName, P (*)(P, const char**))(info, out); }
static void acoer_release_memory_info(P info) { F(I_ReleaseMemoryInfo, void (*)(P))(info); }
static P acoer_allocator_free(P alloc, void* p) { return F(I_AllocatorFree, P (*)(P, void*))(alloc, p); }
static P acoer_default_allocator(P* out) { return F(I_GetAllocatorWithDefaultOptions, P (*)(P*))(out); }
static void acoer_release_value(P v) { F(I_ReleaseValue, void (*)(P))(v); }
static P acoer_create_allocator(P sess, P info, P* out) { return F(I_CreateAllocator, P (*)(P, P, P*))(sess, info, out); }
static void acoer_release_allocator(P a) { F(I_ReleaseAllocator, void (*)(P))(a); }
static P acoer_run_with_binding(P sess, P b) { return F(I_RunWithBinding, P (*)(P, P, P))(sess, NULL, b); }
static P acoer_create_io_binding(P sess, P* out) { return F(I_CreateIoBinding, P (*)(P, P*))(sess, out); }
static void acoer_release_io_binding(P b) { F(I_ReleaseIoBinding, void (*)(P))(b); }
static P acoer_bind_input(P b, const char* name, P v) { return F(I_BindInput, P (*)(P, const char*, P))(b, name, v); }
static P acoer_bind_output(P b, const char* name, P v) { return F(I_BindOutput, P (*)(P, const char*, P))(b, name, v); }
static P acoer_bind_output_to_device(P b, const char* name, P info) { return F(I_BindOutputToDevice, P (*)(P, const char*, P))(b, name, info); }
static P acoer_bound_outputs(P b, P alloc, P** out, size_t* n) { return F(I_GetBoundOutputValues, P (*)(P, P, P**, size_t*))(b, alloc, out, n); }
static void acoer_clear_bound(P b) { F(I_ClearBoundInputs, void (*)(P))(b); F(I_ClearBoundOutputs, void (*)(P))(b); }
static P acoer_tensor_memory_info(P v, P* out) { return F(I_GetTensorMemoryInfo, P (*)(P, P*))(v, out); }
static P acoer_output_memory_infos(P sess, P* out, size_t n) { return F(I_SessionGetMemoryInfoForOutputs, P (*)(P, P*, size_t))(sess, out, n); }
static P acoer_copy_tensors(P env, P* src, P* dst, size_t n) { return F(I_CopyTensors, P (*)(P, P*, P*, P, size_t))(env, src, dst, NULL, n); }
*/
import "C"

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/acoer/acoer-bench/runner/ort"
	ortgo "github.com/yalue/onnxruntime_go"
)

// cptr is a pointer to an ONNX Runtime object or to C memory (never to Go memory).
type cptr = unsafe.Pointer

// capi is the ONNX Runtime C API, found once per process.
var capi struct {
	once sync.Once
	err  error
	env  C.P // the process's OrtEnv (CreateEnv returns the one onnxruntime_go made, counted)
}

// liveValues counts the OrtValues this package created or took from ONNX Runtime through the C API
// and has not released: tests check that a long run does not leak them.
var liveValues atomic.Int64

// ONNX tensor element types used here.
const (
	onnxTypeFloat32 = 1
	onnxTypeInt32   = 6
	onnxTypeInt64   = 7
	onnxTypeBool    = 9
	onnxTypeFloat16 = 10
)

func initCAPI() error {
	capi.once.Do(func() {
		if ort.LibraryPath() == "" {
			capi.err = errors.New("ONNX Runtime is not initialized")
			return
		}
		path := C.CString(ort.LibraryPath())
		defer C.free(unsafe.Pointer(path))
		switch C.acoer_init(path) {
		case 0:
		case 1:
			capi.err = fmt.Errorf("the ONNX Runtime library %s is not loaded in this process", ort.LibraryPath())
			return
		case 2:
			capi.err = fmt.Errorf("%s has no OrtGetApiBase", ort.LibraryPath())
			return
		default:
			capi.err = fmt.Errorf("%s does not offer the C API version %d (ONNX Runtime 1.23 or newer is needed for device-resident KV caches)", ort.LibraryPath(), C.ACOER_ORT_API_VERSION)
			return
		}
		capi.err = statusErr(C.acoer_create_env(&capi.env))
	})
	return capi.err
}

// statusErr turns an OrtStatus into an error (nil for none) and releases it.
func statusErr(st C.P) error {
	if st == nil {
		return nil
	}
	msg := C.GoString(C.acoer_error_message(st))
	C.acoer_release_status(st)
	return errors.New(msg)
}

// sessionPtr is the OrtSession* behind an onnxruntime_go session: DynamicAdvancedSession holds one
// *AdvancedSession, whose first field is the session pointer (onnxruntime_go v1.35.0; newBindStep
// checks it against the session's input count).
func sessionPtr(s *ortgo.DynamicAdvancedSession) cptr {
	adv := *(*unsafe.Pointer)(unsafe.Pointer(s))
	return *(*cptr)(adv)
}

func sessionInputCount(sess cptr) (int, error) {
	var n C.size_t
	err := statusErr(C.acoer_session_input_count(C.P(sess), &n))
	return int(n), err
}

// releaseValue releases an OrtValue (nil is ignored).
func releaseValue(v cptr) {
	if v != nil {
		C.acoer_release_value(C.P(v))
		liveValues.Add(-1)
	}
}

// tensorData is the data pointer of a tensor (device memory for a device tensor).
func tensorData(v cptr) (unsafe.Pointer, error) {
	var p unsafe.Pointer
	err := statusErr(C.acoer_tensor_data(C.P(v), &p))
	return p, err
}

// cShape copies a shape into C memory (freed by the caller).
func cShape(shape []int64) *C.int64_t {
	p := (*C.int64_t)(C.malloc(C.size_t(8 * max(len(shape), 1))))
	s := unsafe.Slice(p, max(len(shape), 1))
	for i, d := range shape {
		s[i] = C.int64_t(d)
	}
	return p
}

// tensorOver makes a tensor of the given shape over memory at p described by info (host or device),
// without copying; the memory must outlive it.
func tensorOver(info cptr, p unsafe.Pointer, bytes int, shape []int64, typ int) (cptr, error) {
	sh := cShape(shape)
	defer C.free(unsafe.Pointer(sh))
	var v C.P
	if err := statusErr(C.acoer_create_tensor_with_data(C.P(info), p, C.size_t(bytes), sh, C.size_t(len(shape)), C.int(typ), &v)); err != nil {
		return nil, err
	}
	liveValues.Add(1)
	return cptr(v), nil
}

// newTensor allocates a tensor with an ONNX Runtime allocator (on its device).
func newTensor(alloc cptr, shape []int64, typ int) (cptr, error) {
	sh := cShape(shape)
	defer C.free(unsafe.Pointer(sh))
	var v C.P
	if err := statusErr(C.acoer_create_tensor(C.P(alloc), sh, C.size_t(len(shape)), C.int(typ), &v)); err != nil {
		return nil, err
	}
	liveValues.Add(1)
	return cptr(v), nil
}

// memoryInfoName is a memory info's allocator name ("Cpu", "Cuda", ...).
func memoryInfoName(info cptr) string {
	var s *C.char
	if statusErr(C.acoer_memory_info_name(C.P(info), &s)) != nil || s == nil {
		return ""
	}
	return C.GoString(s)
}

// cpuMemoryInfo creates a host memory info (release with releaseMemoryInfo).
func cpuMemoryInfo() (cptr, error) {
	var p C.P
	err := statusErr(C.acoer_create_cpu_memory_info(&p))
	return cptr(p), err
}

func releaseMemoryInfo(p cptr) {
	if p != nil {
		C.acoer_release_memory_info(C.P(p))
	}
}

// outputMemoryInfos are the memory infos of a session's outputs (owned by the session).
func outputMemoryInfos(sess cptr, n int) ([]cptr, error) {
	arr := (*C.P)(C.malloc(C.size_t(max(n, 1) * int(unsafe.Sizeof(C.P(nil))))))
	defer C.free(unsafe.Pointer(arr))
	if err := statusErr(C.acoer_output_memory_infos(C.P(sess), arr, C.size_t(n))); err != nil {
		return nil, err
	}
	out := make([]cptr, n)
	for i, p := range unsafe.Slice(arr, n) {
		out[i] = cptr(p)
	}
	return out, nil
}

func newAllocator(sess, info cptr) (cptr, error) {
	var p C.P
	err := statusErr(C.acoer_create_allocator(C.P(sess), C.P(info), &p))
	return cptr(p), err
}

func releaseAllocator(p cptr) {
	if p != nil {
		C.acoer_release_allocator(C.P(p))
	}
}

func newIOBinding(sess cptr) (cptr, error) {
	var p C.P
	err := statusErr(C.acoer_create_io_binding(C.P(sess), &p))
	return cptr(p), err
}

func releaseIOBinding(p cptr) {
	if p != nil {
		C.acoer_release_io_binding(C.P(p))
	}
}

func bindInput(b cptr, name *cchar, v cptr) error {
	return statusErr(C.acoer_bind_input(C.P(b), name, C.P(v)))
}

func bindOutput(b cptr, name *cchar, v cptr) error {
	return statusErr(C.acoer_bind_output(C.P(b), name, C.P(v)))
}

func bindOutputToDevice(b cptr, name *cchar, info cptr) error {
	return statusErr(C.acoer_bind_output_to_device(C.P(b), name, C.P(info)))
}

func clearBound(b cptr) { C.acoer_clear_bound(C.P(b)) }

func runWithBinding(sess, b cptr) error {
	return statusErr(C.acoer_run_with_binding(C.P(sess), C.P(b)))
}

// boundOutputs are the OrtValues of a run's bound outputs, in binding order (each to be released).
func boundOutputs(b cptr) ([]cptr, error) {
	var def C.P
	if err := statusErr(C.acoer_default_allocator(&def)); err != nil {
		return nil, err
	}
	var arr *C.P
	var n C.size_t
	if err := statusErr(C.acoer_bound_outputs(C.P(b), def, &arr, &n)); err != nil {
		return nil, err
	}
	out := make([]cptr, int(n))
	for i, p := range unsafe.Slice(arr, int(n)) {
		out[i] = cptr(p)
	}
	liveValues.Add(int64(n))
	return out, statusErr(C.acoer_allocator_free(def, unsafe.Pointer(arr)))
}

// cchar is a C string (names ONNX Runtime reads).
type cchar = C.char

// cString, cFreeString, goString, cAlloc, cFree: C strings and memory for names and host buffers
// ONNX Runtime reads during a run (so not Go memory).
func cString(s string) *cchar     { return C.CString(s) }
func cFreeString(s *cchar)        { C.free(unsafe.Pointer(s)) }
func goString(s *cchar) string    { return C.GoString(s) }
func cAlloc(n int) unsafe.Pointer { return C.calloc(C.size_t(n), 1) }
func cFree(p unsafe.Pointer)      { C.free(p) }

// copyTensors copies src[i] into dst[i] (same sizes) on whatever devices they are, through the
// environment's data transfers.
func copyTensors(src, dst []cptr) error {
	if len(src) == 0 {
		return nil
	}
	n := len(src)
	arr := (*C.P)(C.malloc(C.size_t(2 * n * int(unsafe.Sizeof(C.P(nil))))))
	defer C.free(unsafe.Pointer(arr))
	s := unsafe.Slice(arr, 2*n)
	for i := range n {
		s[i], s[n+i] = C.P(src[i]), C.P(dst[i])
	}
	return statusErr(C.acoer_copy_tensors(capi.env, &s[0], &s[n], C.size_t(n)))
}
