package runner

// The CUDA runtime, only where ONNX Runtime offers nothing: copies between device buffers when the
// environment has no data transfer for CopyTensors (the CUDA provider compiled into a runtime rather
// than registered as a plugin), and the device's memory use for perf. libcudart is opened with dlopen
// on first use (the CUDA provider needs it anyway); nothing here runs on a machine without CUDA.

/*
#cgo linux LDFLAGS: -ldl
#include <dlfcn.h>
#include <stddef.h>

static void* cudart;
static int (*p_memcpy)(void*, const void*, size_t, int);
static int (*p_memset)(void*, int, size_t);
static int (*p_sync)(void);
static int (*p_meminfo)(size_t*, size_t*);

static int acoer_cudart_open(void) {
	if (cudart) return 0;
	const char* names[] = {"libcudart.so.13", "libcudart.so.12", "libcudart.so", NULL};
	for (int i = 0; names[i] && !cudart; i++) cudart = dlopen(names[i], RTLD_NOW | RTLD_GLOBAL);
	if (!cudart) return 1;
	p_memcpy = (int (*)(void*, const void*, size_t, int))dlsym(cudart, "cudaMemcpy");
	p_memset = (int (*)(void*, int, size_t))dlsym(cudart, "cudaMemset");
	p_sync = (int (*)(void))dlsym(cudart, "cudaDeviceSynchronize");
	p_meminfo = (int (*)(size_t*, size_t*))dlsym(cudart, "cudaMemGetInfo");
	return (p_memcpy && p_memset && p_sync && p_meminfo) ? 0 : 2;
}
// cudaMemcpyDeviceToDevice = 3. Synchronized before and after: ONNX Runtime computes on its own streams.
static int acoer_cuda_copy(void* dst, const void* src, size_t n) {
	int e = p_sync(); if (e) return e;
	e = p_memcpy(dst, src, n, 3); if (e) return e;
	return p_sync();
}
static int acoer_cuda_zero(void* dst, size_t n) {
	int e = p_sync(); if (e) return e;
	e = p_memset(dst, 0, n); if (e) return e;
	return p_sync();
}
static int acoer_cuda_meminfo(size_t* freeb, size_t* total) { return p_meminfo(freeb, total); }
*/
import "C"

import (
	"fmt"
	"sync"
	"unsafe"
)

var cudart struct {
	once sync.Once
	err  error
}

func openCUDART() error {
	cudart.once.Do(func() {
		switch C.acoer_cudart_open() {
		case 0:
		case 1:
			cudart.err = fmt.Errorf("libcudart.so.13 not found")
		default:
			cudart.err = fmt.Errorf("libcudart lacks cudaMemcpy / cudaMemset / cudaDeviceSynchronize / cudaMemGetInfo")
		}
	})
	return cudart.err
}

// cudaCopy copies n bytes between device pointers.
func cudaCopy(dst, src unsafe.Pointer, n int) error {
	if err := openCUDART(); err != nil {
		return err
	}
	if e := C.acoer_cuda_copy(dst, src, C.size_t(n)); e != 0 {
		return fmt.Errorf("cudaMemcpy: CUDA error %d", int(e))
	}
	return nil
}

// cudaZero zeroes n bytes of device memory.
func cudaZero(dst unsafe.Pointer, n int) error {
	if err := openCUDART(); err != nil {
		return err
	}
	if e := C.acoer_cuda_zero(dst, C.size_t(n)); e != 0 {
		return fmt.Errorf("cudaMemset: CUDA error %d", int(e))
	}
	return nil
}

// CUDAMemoryUsed is the current device's memory in use (total - free) and its total, in bytes; an
// error where there is no CUDA runtime or device.
func CUDAMemoryUsed() (used, total int64, err error) {
	if err := openCUDART(); err != nil {
		return 0, 0, err
	}
	var f, t C.size_t
	if e := C.acoer_cuda_meminfo(&f, &t); e != 0 {
		return 0, 0, fmt.Errorf("cudaMemGetInfo: CUDA error %d", int(e))
	}
	return int64(t) - int64(f), int64(t), nil
}
