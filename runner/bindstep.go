package runner

// bindStep is the stepper whose KV cache stays where the model runs: ONNX Runtime allocates each
// step's present tensors on the session's device (outputs bound with BindOutputToDevice), and the
// OrtValues it returns are bound as the next step's past without leaving the device. Only the logits
// come back to the host (bound to host memory of ours). The scheduler's slot refills and column
// compaction are device copies (CopyTensors between views of the cache tensors). On the CPU the same
// code runs with the CPU's memory info, so everything but that choice is exercised without a GPU.
//
// For GroupQueryAttention graphs whose genai_config.json sets past_present_share_buffer, the batch
// cache is one buffer per tensor of the batch's longest possible length, bound as both past and
// present: the operator writes each step's keys in place, and a change of the batch's width is only a
// change of the attention mask.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unsafe"

	ortgo "github.com/yalue/onnxruntime_go"
)

// devCache is a kv's device side: one tensor per cache tensor.
type devCache struct {
	owners  []cptr // the allocations (ORT-owned tensors)
	views   []cptr // tensors of the kv's current shape over the owners' memory (nil: the owners are them)
	ownRows int    // rows the owners hold
	stride  int    // the owners' width (positions per row and head)
	shared  bool   // past and present are this one buffer (GroupQueryAttention share-buffer mode)
}

// tensors are the tensors to bind for the kv's current shape.
func (d *devCache) tensors() []cptr {
	if d.views != nil {
		return d.views
	}
	return d.owners
}

type bindStep struct {
	sess      *ortgo.DynamicAdvancedSession
	cs        cptr // the OrtSession behind sess
	binding   cptr
	c         Contract
	shape     kvShape
	kvType    int
	logType   int
	cpu       cptr // host memory info (ours)
	dev       cptr // memory info of the present outputs (the session's)
	devName   string
	allocator cptr // allocator on dev
	inNames   []*cchar
	inKV      []int // per input: its past tensor, or -1
	outNames  []*cchar
	outKV     []int // per output: its present tensor, or -1 (logits)
	// first is a split pair's first-step graph (Contract.First, no past inputs), run instead of sess for
	// a step from an empty cache, with its own binding and input names; nil for one-graph layouts.
	first *firstSession

	shareBuffer bool // use one buffer for past and present (GroupQueryAttention + genai share_buffer)
	hostMem     bool // the cache lives in host memory (the CPU provider): copies are plain memory moves
	useCUDART   bool // device copies through cudaMemcpy (see cudaFallback)
	rowsHint    int
	maxLen      int // the longest row the current call can reach (share-buffer length)

	host   map[string]*cbuf // host scratch buffers by use
	zeros  cptr             // a device tensor of zeros (for pad columns), zeroB bytes long
	zeroB  int
	last   []float32
	copied int64 // cache bytes moved by copyCols (device copies)
	err    error // the first failed cache operation's (see fail)
}

// firstSession is the session of a split pair's first-step graph (decoder_model.onnx).
type firstSession struct {
	sess    *ortgo.DynamicAdvancedSession
	cs      cptr
	binding cptr
	inNames []*cchar
}

// cbuf is C memory that grows as needed (ONNX Runtime keeps pointers to it during a run, so it is not
// Go memory).
type cbuf struct {
	p   unsafe.Pointer
	cap int
}

func (b *cbuf) ensure(n int) unsafe.Pointer {
	n = max(n, 16)
	if n > b.cap {
		cFree(b.p)
		b.p, b.cap = cAlloc(n), n
	}
	return b.p
}

func (b *cbuf) bytes(n int) []byte { return unsafe.Slice((*byte)(b.p), n) }

// newBindStep opens the session for a contract and prepares its binding on the session's device.
func newBindStep(modelFile string, c Contract, so *ortgo.SessionOptions, shareBuffer bool) (*bindStep, error) {
	if err := initCAPI(); err != nil {
		return nil, err
	}
	s := &bindStep{c: c, shape: kvShape{tensors: 2 * len(c.Layers), heads: c.KVHeads, headDim: c.HeadDim, elem: 4},
		kvType: onnxTypeFloat32, logType: onnxTypeFloat32, host: map[string]*cbuf{}}
	if c.KVType == "float16" {
		s.shape.elem, s.kvType = 2, onnxTypeFloat16
	}
	if c.LogitsType == "float16" {
		s.logType = onnxTypeFloat16
	}
	s.shareBuffer = shareBuffer && c.GroupQueryAttention
	var inNames, outNames []string
	past := map[string]int{}
	for i, l := range c.Layers {
		past[l.PastKey], past[l.PastValue] = 2*i, 2*i+1
	}
	for _, t := range c.Inputs {
		inNames = append(inNames, t.Name)
		k, ok := past[t.Name]
		if !ok {
			k = -1
		}
		s.inKV = append(s.inKV, k)
	}
	outNames = append(outNames, c.Logits)
	s.outKV = append(s.outKV, -1)
	for i, l := range c.Layers {
		outNames = append(outNames, l.PresentKey, l.PresentValue)
		s.outKV = append(s.outKV, 2*i, 2*i+1)
	}
	sess, err := ortgo.NewDynamicAdvancedSession(modelFile, inNames, outNames, so)
	if err != nil {
		return nil, err
	}
	s.sess, s.cs = sess, sessionPtr(sess)
	for _, n := range inNames {
		s.inNames = append(s.inNames, cString(n))
	}
	for _, n := range outNames {
		s.outNames = append(s.outNames, cString(n))
	}
	if err := s.prepare(len(outNames)); err != nil {
		s.close()
		return nil, err
	}
	if c.First != nil {
		f := &firstSession{}
		s.first = f
		var names []string
		for _, t := range c.First.Inputs {
			names = append(names, t.Name)
			f.inNames = append(f.inNames, cString(t.Name))
		}
		if f.sess, err = ortgo.NewDynamicAdvancedSession(c.First.File, names, outNames, so); err != nil {
			s.close()
			return nil, fmt.Errorf("%s: %w", c.First.File, err)
		}
		f.cs = sessionPtr(f.sess)
		if f.binding, err = newIOBinding(f.cs); err != nil {
			s.close()
			return nil, err
		}
	}
	return s, nil
}

func (s *bindStep) prepare(outputs int) error {
	if n, err := sessionInputCount(s.cs); err != nil || n != len(s.c.Inputs) {
		return fmt.Errorf("internal error: the session pointer reports %d inputs, the contract %d (%v)", n, len(s.c.Inputs), err)
	}
	var err error
	if s.cpu, err = cpuMemoryInfo(); err != nil {
		return err
	}
	infos, err := outputMemoryInfos(s.cs, outputs)
	if err != nil {
		return fmt.Errorf("the memory of the session's outputs: %w", err)
	}
	s.dev = infos[1] // the first present output's: where the cache lives
	s.devName = memoryInfoName(s.dev)
	s.hostMem = s.devName == "Cpu"
	if s.allocator, err = newAllocator(s.cs, s.dev); err != nil {
		return fmt.Errorf("an allocator on %s: %w", s.devName, err)
	}
	s.binding, err = newIOBinding(s.cs)
	return err
}

func (s *bindStep) close() error {
	if f := s.first; f != nil {
		releaseIOBinding(f.binding)
		for _, n := range f.inNames {
			cFreeString(n)
		}
		if f.sess != nil {
			f.sess.Destroy()
		}
		s.first = nil
	}
	releaseIOBinding(s.binding)
	s.binding = nil
	releaseValue(s.zeros)
	s.zeros = nil
	releaseAllocator(s.allocator)
	releaseMemoryInfo(s.cpu)
	s.allocator, s.cpu = nil, nil
	for _, b := range s.host {
		cFree(b.p)
	}
	s.host = map[string]*cbuf{}
	for _, n := range append(s.inNames, s.outNames...) {
		cFreeString(n)
	}
	s.inNames, s.outNames = nil, nil
	if s.sess == nil {
		return nil
	}
	err := s.sess.Destroy()
	s.sess = nil
	return err
}

func (s *bindStep) buf(name string) *cbuf {
	b := s.host[name]
	if b == nil {
		b = &cbuf{}
		s.host[name] = b
	}
	return b
}

func (s *bindStep) begin(slots, maxLen int) { s.rowsHint, s.maxLen = slots, maxLen }

// extraTensor puts an extra input's value (feeds.go) into host memory of its own and makes a tensor
// over it.
func (s *bindStep) extraTensor(name string, v extraValue) (cptr, error) {
	var typ, size int
	switch v.Type {
	case "bool":
		typ, size = onnxTypeBool, 1
	case "int32":
		typ, size = onnxTypeInt32, 4
	case "int64":
		typ, size = onnxTypeInt64, 8
	default:
		return nil, fmt.Errorf("unsupported extra input type %s", v.Type)
	}
	n := max(len(v.Bool), len(v.Int))
	p := s.buf("extra:" + name).ensure(n * size)
	b := unsafe.Slice((*byte)(p), n*size)
	for i := range n {
		switch v.Type {
		case "bool":
			b[i] = 0
			if v.Bool[i] {
				b[i] = 1
			}
		case "int32":
			binary.LittleEndian.PutUint32(b[4*i:], uint32(int32(v.Int[i])))
		case "int64":
			binary.LittleEndian.PutUint64(b[8*i:], uint64(v.Int[i]))
		}
	}
	return tensorOver(s.cpu, p, n*size, v.Shape, typ)
}

// fail records the first error of a cache operation: the interface's cache operations cannot return
// one, so the next step does (and every operation until then does nothing).
func (s *bindStep) fail(format string, a ...any) {
	if s.err == nil {
		s.err = fmt.Errorf(format, a...)
	}
}

// alloc makes a cache of rows x width positions on the device: room for rowsHint rows, so that
// admitting rows rarely reallocates; in share-buffer mode, maxLen positions per row.
func (s *bindStep) alloc(rows, width int) *kv {
	c := &kv{rows: rows, width: width}
	if width == 0 || s.err != nil {
		return c
	}
	d := &devCache{ownRows: max(rows, s.rowsHint), stride: width, shared: s.shareBuffer}
	if d.shared {
		d.stride = max(s.maxLen, width)
	}
	c.dev = d
	for range s.shape.tensors {
		v, err := newTensor(s.allocator, []int64{int64(d.ownRows), int64(s.shape.heads), int64(d.stride), int64(s.shape.headDim)}, s.kvType)
		if err != nil {
			s.fail("allocating a KV cache of %d rows x %d positions on %s: %w", d.ownRows, d.stride, s.devName, err)
			s.release(c)
			return c
		}
		d.owners = append(d.owners, v)
	}
	s.setViews(c)
	return c
}

// setViews makes the tensors of c's current rows over its owners (none when the owners have exactly
// that shape: they are then bound themselves).
func (s *bindStep) setViews(c *kv) {
	d := c.dev
	for _, v := range d.views {
		releaseValue(v)
	}
	d.views = nil
	if c.rows == d.ownRows {
		return
	}
	shape := []int64{int64(c.rows), int64(s.shape.heads), int64(d.stride), int64(s.shape.headDim)}
	for _, o := range d.owners {
		v, err := s.over(o, 0, s.shape.bytes(c.rows, d.stride), shape)
		if err != nil {
			s.fail("a view of the KV cache: %w", err)
			return
		}
		d.views = append(d.views, v)
	}
}

// over makes a tensor of the given shape over bytes of tensor t's memory from byte off.
func (s *bindStep) over(t cptr, off, bytes int, shape []int64) (cptr, error) {
	p, err := tensorData(t)
	if err != nil {
		return nil, err
	}
	return tensorOver(s.dev, unsafe.Add(p, off), bytes, shape, s.kvType)
}

func (s *bindStep) release(c *kv) {
	if c == nil || c.dev == nil {
		return
	}
	for _, v := range c.dev.views {
		releaseValue(v)
	}
	for _, v := range c.dev.owners {
		releaseValue(v)
	}
	c.dev = nil
}

// fits: the same width (another one only within a shared buffer, whose rows are left-aligned) and no
// more rows than the owners hold.
func (s *bindStep) fits(c *kv, rows, width int) bool {
	if c.dev == nil {
		return false
	}
	return rows <= c.dev.ownRows && (width == c.width || c.dev.shared && width <= c.dev.stride)
}

func (s *bindStep) reshape(c *kv, rows, width int) {
	c.width = width
	if c.rows != rows {
		c.rows = rows
		if c.dev != nil {
			s.setViews(c)
		}
	}
}

// zeroView is a view of n bytes of a device tensor of zeros (made once, from host zeros, and grown as
// needed).
func (s *bindStep) zeroView(n int) (cptr, error) {
	if n > s.zeroB {
		releaseValue(s.zeros)
		s.zeros, s.zeroB = nil, 0
		size := max(n, 1<<16)
		z, err := newTensor(s.allocator, []int64{int64(size / s.shape.elem)}, s.kvType)
		if err != nil {
			return nil, err
		}
		h := s.buf("zeros")
		src, err := tensorOver(s.cpu, h.ensure(size), size, []int64{int64(size / s.shape.elem)}, s.kvType)
		if err == nil {
			err = copyTensors([]cptr{src}, []cptr{z})
			releaseValue(src)
		}
		if err != nil {
			releaseValue(z)
			return nil, err
		}
		s.zeros, s.zeroB = z, size
	}
	return s.over(s.zeros, 0, n, []int64{int64(n / s.shape.elem)})
}

// copyCols copies n positions of every cache tensor and head between device caches, in one
// CopyTensors call over views of the rows' column ranges. A copy into another cache's right-aligned
// row (dc > 0, not a shared buffer) also zeroes the row's columns before dc: pads, which the mask
// hides but attention still multiplies by, so uninitialized device memory must not be there.
func (s *bindStep) copyCols(dst *kv, dr, dc int, src *kv, sr, sc, n int) {
	if n <= 0 || s.err != nil || dst.dev == nil || src.dev == nil {
		return
	}
	cb := s.shape.colBytes()
	zero := dc > 0 && dst != src && !dst.dev.shared
	switch {
	case s.hostMem:
		s.copyRaw(dst, dr, dc, src, sr, sc, n, zero)
		return
	case s.useCUDART:
		s.copyRaw(dst, dr, dc, src, sr, sc, n, zero)
		return
	}
	var from, to []cptr
	defer func() {
		for _, v := range from {
			releaseValue(v)
		}
		for _, v := range to {
			releaseValue(v)
		}
	}()
	add := func(a, b cptr, err error) bool {
		if a != nil {
			from = append(from, a)
		}
		if b != nil {
			to = append(to, b)
		}
		if err != nil {
			s.fail("a view of the KV cache: %w", err)
			return false
		}
		return true
	}
	moved := 0
	for t := range s.shape.tensors {
		for h := range s.shape.heads {
			so := ((sr*s.shape.heads+h)*src.dev.stride + sc) * cb
			do := ((dr*s.shape.heads+h)*dst.dev.stride + dc) * cb
			elems := []int64{int64(n * cb / s.shape.elem)}
			a, err1 := s.over(src.dev.owners[t], so, n*cb, elems)
			b, err2 := s.over(dst.dev.owners[t], do, n*cb, elems)
			if !add(a, b, errors.Join(err1, err2)) {
				return
			}
			moved += n * cb
			if zero {
				pad := []int64{int64(dc * cb / s.shape.elem)}
				z, err1 := s.zeroView(dc * cb)
				if err1 != nil && s.cudaFallback() {
					s.copyRaw(dst, dr, dc, src, sr, sc, n, zero)
					return
				}
				p, err2 := s.over(dst.dev.owners[t], do-dc*cb, dc*cb, pad)
				if !add(z, p, errors.Join(err1, err2)) {
					return
				}
			}
		}
	}
	if err := copyTensors(from, to); err != nil {
		if s.cudaFallback() {
			s.copyRaw(dst, dr, dc, src, sr, sc, n, zero)
			return
		}
		s.fail("copying the KV cache on %s: %w", s.devName, err)
		return
	}
	s.copied += int64(moved)
}

// cudaFallback switches the device copies of a CUDA cache to the CUDA runtime (cudaMemcpy) when the
// environment has no data transfer for CopyTensors (a runtime with the CUDA provider compiled in rather
// than registered as a plugin). It reports whether it did.
func (s *bindStep) cudaFallback() bool {
	if s.useCUDART || !strings.Contains(s.devName, "Cuda") || openCUDART() != nil {
		return false
	}
	s.useCUDART = true
	return true
}

// copyRaw is copyCols on the tensors' data pointers: memory moves for a cache in host memory (the CPU
// provider; ONNX Runtime has no CPU-to-CPU data transfer for CopyTensors), cudaMemcpy for a CUDA cache
// without one (see cudaFallback).
func (s *bindStep) copyRaw(dst *kv, dr, dc int, src *kv, sr, sc, n int, zero bool) {
	cb := s.shape.colBytes()
	for t := range s.shape.tensors {
		sp, err1 := tensorData(src.dev.owners[t])
		dp, err2 := tensorData(dst.dev.owners[t])
		if err := errors.Join(err1, err2); err != nil {
			s.fail("the KV cache's memory: %w", err)
			return
		}
		for h := range s.shape.heads {
			so := ((sr*s.shape.heads+h)*src.dev.stride + sc) * cb
			do := ((dr*s.shape.heads+h)*dst.dev.stride + dc) * cb
			if !s.hostMem {
				err := cudaCopy(unsafe.Add(dp, do), unsafe.Add(sp, so), n*cb)
				if err == nil && zero {
					err = cudaZero(unsafe.Add(dp, do-dc*cb), dc*cb)
				}
				if err != nil {
					s.fail("copying the KV cache on %s: %w", s.devName, err)
					return
				}
				continue
			}
			sb := unsafe.Slice((*byte)(unsafe.Add(sp, so)), n*cb)
			db := unsafe.Slice((*byte)(unsafe.Add(dp, do-dc*cb)), (dc+n)*cb)
			copy(db[dc*cb:], sb)
			if zero {
				clear(db[:dc*cb])
			}
		}
	}
	s.copied += int64(s.shape.tensors * s.shape.heads * n * cb)
}

// step binds the inputs (ids, mask and positions from host memory, the past where it is), the logits
// to host memory and the presents to the device (or, in a shared buffer, the past itself), runs, and
// takes the presents ONNX Runtime allocated as the new cache.
func (s *bindStep) step(past *kv, ids, mask, positions []int64, seq int, last []int) ([]float32, *kv, error) {
	if s.err != nil {
		s.release(past)
		return nil, nil, s.err
	}
	rows, p := past.rows, past.width
	shared := past.dev != nil && past.dev.shared
	// What the step feeds besides ids, mask, positions and the past, and which graph runs (feeds.go).
	f, err := s.c.feedsFor(rows, p, seq, last)
	if err != nil {
		s.release(past)
		return nil, nil, err
	}
	cs, binding, inputs, inNames, inKV := s.cs, s.binding, s.c.Inputs, s.inNames, s.inKV
	if f.First {
		cs, binding, inputs, inNames, inKV = s.first.cs, s.first.binding, f.Inputs, s.first.inNames, nil
	}
	var temps []cptr
	defer func() {
		for _, v := range temps {
			releaseValue(v)
		}
	}()
	hostTensor := func(name string, data []int64, shape []int64) (cptr, error) {
		b := s.buf(name)
		ptr := b.ensure(8 * len(data))
		if len(data) > 0 {
			copy(unsafe.Slice((*int64)(ptr), len(data)), data)
		}
		v, err := tensorOver(s.cpu, ptr, 8*len(data), shape, onnxTypeInt64)
		if err == nil {
			temps = append(temps, v)
		}
		return v, err
	}
	fail := func(err error) ([]float32, *kv, error) {
		clearBound(binding)
		s.release(past)
		return nil, nil, err
	}
	clearBound(binding)
	var emptyPast cptr
	for i, name := range inputs {
		var v cptr
		var err error
		x, extra := f.Extra[name.Name]
		switch {
		case name.Name == s.c.InputIDs:
			v, err = hostTensor("ids", ids, []int64{int64(rows), int64(seq)})
		case name.Name == s.c.AttentionMask:
			v, err = hostTensor("mask", mask, []int64{int64(rows), int64(p + seq)})
		case name.Name == s.c.PositionIDs:
			v, err = hostTensor("positions", positions, []int64{int64(rows), int64(seq)})
		case extra:
			v, err = s.extraTensor(name.Name, x)
			if err == nil {
				temps = append(temps, v)
			}
		case inKV == nil || inKV[i] < 0:
			err = fmt.Errorf("input %q is not part of the decoder contract", name.Name)
		case past.dev == nil: // an empty past: a host tensor without elements
			if emptyPast == nil {
				emptyPast, err = tensorOver(s.cpu, s.buf("empty").ensure(16), 0,
					[]int64{int64(rows), int64(s.shape.heads), 0, int64(s.shape.headDim)}, s.kvType)
				if err == nil {
					temps = append(temps, emptyPast)
				}
			}
			v = emptyPast
		default:
			v = past.dev.tensors()[inKV[i]]
		}
		if err == nil {
			err = bindInput(binding, inNames[i], v)
		}
		if err != nil {
			return fail(fmt.Errorf("input %s: %w", name.Name, err))
		}
	}
	vocab := s.c.Vocab
	lsize := 4
	if s.logType == onnxTypeFloat16 {
		lsize = 2
	}
	lb := s.buf("logits")
	lptr := lb.ensure(rows * f.Covered * vocab * lsize)
	for i := range s.outNames {
		var err error
		switch {
		case s.outKV[i] < 0:
			var v cptr
			v, err = tensorOver(s.cpu, lptr, rows*f.Covered*vocab*lsize, f.LogitsShape, s.logType)
			if err == nil {
				temps = append(temps, v)
				err = bindOutput(binding, s.outNames[i], v)
			}
		case shared:
			err = bindOutput(binding, s.outNames[i], past.dev.tensors()[s.outKV[i]])
		default:
			err = bindOutputToDevice(binding, s.outNames[i], s.dev)
		}
		if err != nil {
			return fail(fmt.Errorf("output %s: %w", goString(s.outNames[i]), err))
		}
	}
	if err := runWithBinding(cs, binding); err != nil {
		return fail(err)
	}
	var present *kv
	if shared {
		present = past
		present.width = p + seq
	} else {
		outs, err := boundOutputs(binding)
		if err != nil {
			for _, v := range outs {
				releaseValue(v)
			}
			return fail(err)
		}
		present = &kv{rows: rows, width: p + seq, dev: &devCache{ownRows: rows, stride: p + seq}}
		for i, v := range outs {
			if s.outKV[i] < 0 {
				releaseValue(v) // the logits: read from our buffer
				continue
			}
			present.dev.owners = append(present.dev.owners, v)
		}
		s.release(past)
	}
	clearBound(binding) // no binding keeps a cache tensor alive past its release

	// The logits of each row's last position (or the one last names).
	if cap(s.last) < rows*vocab {
		s.last = make([]float32, rows*vocab)
	}
	s.last = s.last[:rows*vocab]
	logits := lb.bytes(rows * f.Covered * vocab * lsize)
	for r := range rows {
		pos := seq - 1
		if last != nil {
			pos = last[r]
		}
		j, err := f.logitsRow(pos, seq)
		if err != nil {
			s.release(present)
			return nil, nil, err
		}
		off := (r*f.Covered + j) * vocab * lsize
		dst := s.last[r*vocab : (r+1)*vocab]
		if lsize == 4 {
			copy(dst, unsafe.Slice((*float32)(unsafe.Pointer(&logits[off])), vocab))
			continue
		}
		for j := range dst {
			dst[j] = halfToFloat32(binary.LittleEndian.Uint16(logits[off+2*j:]))
		}
	}
	return s.last, present, nil
}
