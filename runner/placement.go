package runner

// Where a session's nodes run. ONNX Runtime records which execution provider each node was assigned
// to when the session config entry session.record_ep_graph_assignment_info is "1" (every session here
// sets it), and gives it back through the C API's Session_GetEpGraphAssignmentInfo (ONNX Runtime 1.24
// and newer; onnxruntime_go 1.35 has no wrapper). It is called, like ortapi.go's calls, through the
// OrtApi table of the library onnxruntime_go loaded, by position; TestPlacementAPITableIndexes checks
// the positions against the header onnxruntime_go ships.
//
// This is how a CPU fallback on CUDA is seen: ONNX Runtime assigns a node it has no CUDA kernel for
// (GroupQueryAttention in float32, for one) to the CPU and says so only in a warning that the
// error-level log hides.

/*
#cgo linux LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <stddef.h>

enum {
	PL_GetErrorMessage = 2,
	PL_ReleaseStatus = 93,
	PL_Session_GetEpGraphAssignmentInfo = 407,
	PL_EpAssignedSubgraph_GetEpName = 408,
	PL_EpAssignedSubgraph_GetNodes = 409,
	PL_EpAssignedNode_GetName = 410,
	PL_EpAssignedNode_GetDomain = 411,
	PL_EpAssignedNode_GetOperatorType = 412,
};

// 24: the first API version with Session_GetEpGraphAssignmentInfo.
#define ACOER_PL_API_VERSION 24

typedef void* acoer_pl_p;
typedef struct { const void* (*GetApi)(uint32_t); const char* (*GetVersionString)(void); } acoer_pl_base;
static void** acoer_pl_api;

static int acoer_pl_init(const char* path) {
	void* h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
	if (!h) return 1;
	const acoer_pl_base* (*base)(void) = (const acoer_pl_base* (*)(void))dlsym(h, "OrtGetApiBase");
	if (!base) { dlclose(h); return 2; }
	acoer_pl_api = (void**)base()->GetApi(ACOER_PL_API_VERSION);
	dlclose(h);
	return acoer_pl_api ? 0 : 3;
}

#define PLF(i, T) ((T)acoer_pl_api[i])

// acoer_pl_err copies a status's message into out and releases it (NULL status: "").
static void acoer_pl_err(acoer_pl_p st, char* out, size_t n) {
	out[0] = 0;
	if (!st) return;
	const char* m = PLF(PL_GetErrorMessage, const char* (*)(acoer_pl_p))(st);
	size_t i = 0;
	for (; m && m[i] && i + 1 < n; i++) out[i] = m[i];
	out[i] = 0;
	PLF(PL_ReleaseStatus, void (*)(acoer_pl_p))(st);
}

static acoer_pl_p acoer_pl_subgraphs(acoer_pl_p sess, const acoer_pl_p** out, size_t* n) {
	return PLF(PL_Session_GetEpGraphAssignmentInfo, acoer_pl_p (*)(acoer_pl_p, const acoer_pl_p**, size_t*))(sess, out, n);
}
static acoer_pl_p acoer_pl_ep_name(acoer_pl_p sg, const char** out) {
	return PLF(PL_EpAssignedSubgraph_GetEpName, acoer_pl_p (*)(acoer_pl_p, const char**))(sg, out);
}
static acoer_pl_p acoer_pl_nodes(acoer_pl_p sg, const acoer_pl_p** out, size_t* n) {
	return PLF(PL_EpAssignedSubgraph_GetNodes, acoer_pl_p (*)(acoer_pl_p, const acoer_pl_p**, size_t*))(sg, out, n);
}
static acoer_pl_p acoer_pl_node_str(int which, acoer_pl_p node, const char** out) {
	int i = which == 0 ? PL_EpAssignedNode_GetName : which == 1 ? PL_EpAssignedNode_GetDomain : PL_EpAssignedNode_GetOperatorType;
	return PLF(i, acoer_pl_p (*)(acoer_pl_p, const char**))(node, out);
}
static acoer_pl_p acoer_pl_at(const acoer_pl_p* arr, size_t i) { return arr[i]; }
*/
import "C"

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"unsafe"

	"github.com/acoer/acoer-bench/runner/ort"
)

// recordPlacementKey is the session config entry that makes ONNX Runtime record node placement.
const recordPlacementKey = "session.record_ep_graph_assignment_info"

var plAPI struct {
	once sync.Once
	err  error
}

func initPlacementAPI() error {
	plAPI.once.Do(func() {
		if ort.LibraryPath() == "" {
			plAPI.err = errors.New("ONNX Runtime is not initialized")
			return
		}
		path := C.CString(ort.LibraryPath())
		defer C.free(unsafe.Pointer(path))
		switch C.acoer_pl_init(path) {
		case 0:
		case 1:
			plAPI.err = fmt.Errorf("the ONNX Runtime library %s is not loaded in this process", ort.LibraryPath())
		case 2:
			plAPI.err = fmt.Errorf("%s has no OrtGetApiBase", ort.LibraryPath())
		default:
			plAPI.err = fmt.Errorf("%s does not offer C API version %d (ONNX Runtime 1.24 or newer reports node placement)", ort.LibraryPath(), C.ACOER_PL_API_VERSION)
		}
	})
	return plAPI.err
}

// NodePlacement is one node and the execution provider it was assigned to.
type NodePlacement struct {
	EP     string `json:"ep"`
	Name   string `json:"name"`
	Domain string `json:"domain,omitempty"`
	OpType string `json:"op_type"`
}

// Placement is where a session's nodes run (after ONNX Runtime's basic graph optimizations).
type Placement struct {
	// Nodes per execution provider ("CUDAExecutionProvider": 40, "CPUExecutionProvider": 12).
	NodesPerEP map[string]int `json:"nodes_per_ep"`
	// OnCPU are the operator types placed on the CPU, with their counts ("Shape": 3), for a session
	// whose first provider is not the CPU's.
	OnCPU map[string]int `json:"on_cpu,omitempty"`
	// ComputeOnCPU are the operator types among OnCPU that carry a decoder's arithmetic (attention,
	// MatMul, normalization, Softmax, ...): on a GPU session each is a CPU fallback that costs a device
	// round trip and CPU time. Shape arithmetic on the CPU is normal and not listed.
	ComputeOnCPU []string        `json:"compute_on_cpu,omitempty"`
	Nodes        []NodePlacement `json:"-"`
}

// computeOps are the operator types whose placement on the CPU, in a GPU session, is a fallback worth
// a warning (what ONNX Runtime places on the CPU on purpose is shape arithmetic on int64 tensors).
var computeOps = map[string]bool{
	"GroupQueryAttention": true, "MultiHeadAttention": true, "Attention": true, "PagedAttention": true,
	"MatMul": true, "Gemm": true, "MatMulNBits": true, "MatMulInteger": true, "FusedMatMul": true,
	"Softmax": true, "SimplifiedLayerNormalization": true, "SkipSimplifiedLayerNormalization": true,
	"LayerNormalization": true, "SkipLayerNormalization": true, "RotaryEmbedding": true, "Gelu": true,
	"FastGelu": true, "QuickGelu": true, "BiasGelu": true, "Sigmoid": true, "ReduceMean": true,
}

// sessionPlacement reads where a session's nodes were assigned (the session must have been created with
// recordPlacementKey set). firstEP is the session's preferred provider: nodes elsewhere are OnCPU.
func sessionPlacement(sess cptr, firstEP string) (*Placement, error) {
	if sess == nil {
		return nil, errors.New("no session")
	}
	if err := initPlacementAPI(); err != nil {
		return nil, err
	}
	var msg [1024]C.char
	var sgs *C.acoer_pl_p
	var n C.size_t
	C.acoer_pl_err(C.acoer_pl_subgraphs(C.acoer_pl_p(sess), &sgs, &n), &msg[0], C.size_t(len(msg)))
	if s := C.GoString(&msg[0]); s != "" {
		return nil, fmt.Errorf("Session_GetEpGraphAssignmentInfo: %s", s)
	}
	p := &Placement{NodesPerEP: map[string]int{}}
	str := func(st C.acoer_pl_p, s *C.char) (string, error) {
		C.acoer_pl_err(st, &msg[0], C.size_t(len(msg)))
		if e := C.GoString(&msg[0]); e != "" {
			return "", errors.New(e)
		}
		return C.GoString(s), nil
	}
	for i := range int(n) {
		sg := C.acoer_pl_at(sgs, C.size_t(i))
		var cname *C.char
		ep, err := str(C.acoer_pl_ep_name(sg, &cname), cname)
		if err != nil {
			return nil, err
		}
		var nodes *C.acoer_pl_p
		var nn C.size_t
		C.acoer_pl_err(C.acoer_pl_nodes(sg, &nodes, &nn), &msg[0], C.size_t(len(msg)))
		if e := C.GoString(&msg[0]); e != "" {
			return nil, errors.New(e)
		}
		for j := range int(nn) {
			node := C.acoer_pl_at(nodes, C.size_t(j))
			var np NodePlacement
			np.EP = ep
			for k, dst := range []*string{&np.Name, &np.Domain, &np.OpType} {
				var s *C.char
				if *dst, err = str(C.acoer_pl_node_str(C.int(k), node, &s), s); err != nil {
					return nil, err
				}
			}
			p.Nodes = append(p.Nodes, np)
		}
	}
	p.summarize(firstEP)
	return p, nil
}

func (p *Placement) summarize(firstEP string) {
	p.NodesPerEP = map[string]int{}
	p.OnCPU, p.ComputeOnCPU = nil, nil
	for _, n := range p.Nodes {
		p.NodesPerEP[n.EP]++
		if firstEP != "" && firstEP != cpuEP && n.EP == cpuEP {
			if p.OnCPU == nil {
				p.OnCPU = map[string]int{}
			}
			p.OnCPU[n.OpType]++
		}
	}
	for op := range p.OnCPU {
		if computeOps[op] {
			p.ComputeOnCPU = append(p.ComputeOnCPU, op)
		}
	}
	sort.Strings(p.ComputeOnCPU)
}

// cpuEP is the CPU execution provider's name.
const cpuEP = "CPUExecutionProvider"

// String is "CUDAExecutionProvider 41 nodes, CPUExecutionProvider 9 (Shape 3, Gather 2, ...)".
func (p *Placement) String() string {
	if p == nil {
		return "unknown"
	}
	eps := make([]string, 0, len(p.NodesPerEP))
	for ep := range p.NodesPerEP {
		eps = append(eps, ep)
	}
	sort.Slice(eps, func(i, j int) bool {
		if p.NodesPerEP[eps[i]] != p.NodesPerEP[eps[j]] {
			return p.NodesPerEP[eps[i]] > p.NodesPerEP[eps[j]]
		}
		return eps[i] < eps[j]
	})
	var parts []string
	for _, ep := range eps {
		s := fmt.Sprintf("%s %d nodes", ep, p.NodesPerEP[ep])
		if ep == cpuEP && len(p.OnCPU) > 0 {
			ops := make([]string, 0, len(p.OnCPU))
			for op, n := range p.OnCPU {
				ops = append(ops, fmt.Sprintf("%s %d", op, n))
			}
			sort.Strings(ops)
			s += " (" + strings.Join(ops, ", ") + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}
