package runner

import (
	"encoding/binary"
	"fmt"
	"unsafe"

	ortgo "github.com/yalue/onnxruntime_go"
)

// ortStep is the stepper backed by an ONNX Runtime session. The KV cache lives in Go buffers from a
// pool (kv.go): a step reads "past" from one cache and ONNX Runtime writes "present" straight into
// another (outputs are bound to pre-allocated tensors, so nothing is allocated or copied per step beyond
// the small OrtValue headers); the past's buffers then serve the next present. Logits are written into
// a reusable buffer too. What a step feeds besides ids, mask, positions and the past, and which of the
// split pair's graphs runs, comes from feedsFor (feeds.go).
type ortStep struct {
	kvPool
	sess     *ortgo.DynamicAdvancedSession
	c        Contract
	inNames  []string
	outNames []string
	inKV     []int // per input: index of its past tensor, or -1
	outKV    []int // per output: index of its present tensor, or -1 (logits)
	// first is a split pair's first-step graph (Contract.First), run instead of sess for a step from an
	// empty cache (past width 0); firstIn are its input names. nil for one-graph layouts.
	first   *ortgo.DynamicAdvancedSession
	firstIn []string

	logits []byte    // [batch, seq, vocab] raw float32 or float16 bytes
	last   []float32 // [batch, vocab] last-position logits returned to the loop
}

// newORTStep opens the session for a contract.
func newORTStep(modelFile string, c Contract, so *ortgo.SessionOptions) (*ortStep, error) {
	s := &ortStep{c: c}
	s.shape = kvShape{tensors: 2 * len(c.Layers), heads: c.KVHeads, headDim: c.HeadDim, elem: 4}
	if c.KVType == "float16" {
		s.shape.elem = 2
	}
	for _, t := range c.Inputs {
		s.inNames = append(s.inNames, t.Name)
	}
	s.outNames = append(s.outNames, c.Logits)
	s.outKV = append(s.outKV, -1)
	past := map[string]int{}
	for i, l := range c.Layers {
		s.outNames = append(s.outNames, l.PresentKey, l.PresentValue)
		s.outKV = append(s.outKV, 2*i, 2*i+1)
		past[l.PastKey], past[l.PastValue] = 2*i, 2*i+1
	}
	for _, name := range s.inNames {
		k, ok := past[name]
		if !ok {
			k = -1
		}
		s.inKV = append(s.inKV, k)
	}
	sess, err := ortgo.NewDynamicAdvancedSession(modelFile, s.inNames, s.outNames, so)
	if err != nil {
		return nil, err
	}
	s.sess = sess
	if c.First != nil {
		for _, t := range c.First.Inputs {
			s.firstIn = append(s.firstIn, t.Name)
		}
		if s.first, err = ortgo.NewDynamicAdvancedSession(c.First.File, s.firstIn, s.outNames, so); err != nil {
			sess.Destroy()
			return nil, fmt.Errorf("%s: %w", c.First.File, err)
		}
	}
	return s, nil
}

func (s *ortStep) close() error {
	if s.sess == nil {
		return nil
	}
	err := s.sess.Destroy()
	if s.first != nil {
		if ferr := s.first.Destroy(); err == nil {
			err = ferr
		}
		s.first = nil
	}
	s.sess = nil
	s.free = nil
	return err
}

func (s *ortStep) begin(slots, maxLen int) { s.rowsHint = slots }
func (s *ortStep) alloc(rows, width int) *kv {
	return s.get(rows, width)
}
func (s *ortStep) release(c *kv) { s.put(c) }

// tensor wraps data (raw bytes of typ elements) as an OrtValue of the given shape, without copying.
func tensor(typ string, shape ortgo.Shape, data []byte) (ortgo.Value, error) {
	n := int(shape.FlattenedSize())
	switch typ {
	case "float32":
		var f []float32
		if n > 0 {
			f = unsafe.Slice((*float32)(unsafe.Pointer(&data[0])), n)
		}
		return ortgo.NewTensor(shape, f)
	case "float16":
		// CustomDataTensor wants at least one byte even for an empty tensor.
		return ortgo.NewCustomDataTensor(shape, data[:max(2*n, 2)], ortgo.TensorElementDataTypeFloat16)
	}
	return nil, fmt.Errorf("unsupported tensor type %s", typ)
}

// extraTensor makes the OrtValue of an extra input's value (feeds.go).
func extraTensor(v extraValue) (ortgo.Value, error) {
	shape := ortgo.NewShape(v.Shape...)
	switch v.Type {
	case "bool":
		if len(v.Shape) == 0 {
			return ortgo.NewScalar(v.Bool[0])
		}
		return ortgo.NewTensor(shape, v.Bool)
	case "int64":
		if len(v.Shape) == 0 {
			return ortgo.NewScalar(v.Int[0])
		}
		return ortgo.NewTensor(shape, v.Int)
	case "int32":
		i32 := make([]int32, len(v.Int))
		for i, x := range v.Int {
			i32[i] = int32(x)
		}
		if len(v.Shape) == 0 {
			return ortgo.NewScalar(i32[0])
		}
		return ortgo.NewTensor(shape, i32)
	}
	return nil, fmt.Errorf("unsupported extra input type %s", v.Type)
}

func (s *ortStep) step(past *kv, ids, mask, positions []int64, seq int, last []int) ([]float32, *kv, error) {
	batch, p := past.rows, past.width
	f, err := s.c.feedsFor(batch, p, seq, last)
	if err != nil {
		s.put(past)
		return nil, nil, err
	}
	sess, inNames, inKV := s.sess, s.inNames, s.inKV
	if f.First {
		sess, inNames, inKV = s.first, s.firstIn, nil
	}
	present := s.get(batch, p+seq)
	var vals []ortgo.Value
	defer func() {
		for _, v := range vals {
			if v != nil {
				v.Destroy()
			}
		}
		s.put(past)
	}()
	add := func(v ortgo.Value, err error) (ortgo.Value, error) {
		if err == nil {
			vals = append(vals, v)
		}
		return v, err
	}
	b, h, d := int64(batch), int64(s.c.KVHeads), int64(s.c.HeadDim)

	inputs := make([]ortgo.Value, len(inNames))
	for i, name := range inNames {
		var v ortgo.Value
		var err error
		switch name {
		case s.c.InputIDs:
			v, err = add(ortgo.NewTensor(ortgo.NewShape(b, int64(seq)), ids))
		case s.c.AttentionMask:
			v, err = add(ortgo.NewTensor(ortgo.NewShape(b, int64(p+seq)), mask))
		case s.c.PositionIDs:
			v, err = add(ortgo.NewTensor(ortgo.NewShape(b, int64(seq)), positions))
		default:
			if x, ok := f.Extra[name]; ok {
				v, err = add(extraTensor(x))
				break
			}
			if inKV == nil || inKV[i] < 0 {
				s.put(present)
				return nil, nil, fmt.Errorf("input %q is not part of the decoder contract", name)
			}
			v, err = add(tensor(s.c.KVType, ortgo.NewShape(b, h, int64(p), d), past.bufs[inKV[i]]))
		}
		if err != nil {
			s.put(present)
			return nil, nil, fmt.Errorf("input %s: %w", name, err)
		}
		inputs[i] = v
	}

	vocab := s.c.Vocab
	lsize := 4
	if s.c.LogitsType == "float16" {
		lsize = 2
	}
	if need := batch * f.Covered * vocab * lsize; cap(s.logits) < need {
		s.logits = make([]byte, need)
	}
	outputs := make([]ortgo.Value, len(s.outNames))
	for i, name := range s.outNames {
		var v ortgo.Value
		var err error
		if s.outKV[i] < 0 {
			v, err = add(tensor(s.c.LogitsType, ortgo.NewShape(f.LogitsShape...), s.logits))
		} else {
			v, err = add(tensor(s.c.KVType, ortgo.NewShape(b, h, int64(p+seq), d), present.bufs[s.outKV[i]]))
		}
		if err != nil {
			s.put(present)
			return nil, nil, fmt.Errorf("output %s: %w", name, err)
		}
		outputs[i] = v
	}
	if err := sess.Run(inputs, outputs); err != nil {
		s.put(present)
		return nil, nil, err
	}

	// The logits of each row's last position (or the one last names).
	if cap(s.last) < batch*vocab {
		s.last = make([]float32, batch*vocab)
	}
	s.last = s.last[:batch*vocab]
	for r := range batch {
		pos := seq - 1
		if last != nil {
			pos = last[r]
		}
		j, err := f.logitsRow(pos, seq)
		if err != nil {
			s.put(present)
			return nil, nil, err
		}
		off := ((r*f.Covered + j) * vocab) * lsize
		dst := s.last[r*vocab : (r+1)*vocab]
		if lsize == 4 {
			copy(dst, unsafe.Slice((*float32)(unsafe.Pointer(&s.logits[off])), vocab))
			continue
		}
		for j := range dst {
			dst[j] = halfToFloat32(binary.LittleEndian.Uint16(s.logits[off+2*j:]))
		}
	}
	return s.last, present, nil
}
