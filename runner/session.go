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
// a reusable buffer too.
type ortStep struct {
	kvPool
	sess     *ortgo.DynamicAdvancedSession
	c        Contract
	inNames  []string
	outNames []string
	inKV     []int // per input: index of its past tensor, or -1
	outKV    []int // per output: index of its present tensor, or -1 (logits)

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
	return s, nil
}

func (s *ortStep) close() error {
	if s.sess == nil {
		return nil
	}
	err := s.sess.Destroy()
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

func (s *ortStep) step(past *kv, ids, mask, positions []int64, seq int, last []int) ([]float32, *kv, error) {
	batch, p := past.rows, past.width
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

	inputs := make([]ortgo.Value, len(s.inNames))
	for i, name := range s.inNames {
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
			if s.inKV[i] < 0 {
				s.put(present)
				return nil, nil, fmt.Errorf("input %q is not part of the decoder contract", name)
			}
			v, err = add(tensor(s.c.KVType, ortgo.NewShape(b, h, int64(p), d), past.bufs[s.inKV[i]]))
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
	if need := batch * seq * vocab * lsize; cap(s.logits) < need {
		s.logits = make([]byte, need)
	}
	outputs := make([]ortgo.Value, len(s.outNames))
	for i, name := range s.outNames {
		var v ortgo.Value
		var err error
		if s.outKV[i] < 0 {
			v, err = add(tensor(s.c.LogitsType, ortgo.NewShape(b, int64(seq), int64(vocab)), s.logits))
		} else {
			v, err = add(tensor(s.c.KVType, ortgo.NewShape(b, h, int64(p+seq), d), present.bufs[s.outKV[i]]))
		}
		if err != nil {
			s.put(present)
			return nil, nil, fmt.Errorf("output %s: %w", name, err)
		}
		outputs[i] = v
	}
	if err := s.sess.Run(inputs, outputs); err != nil {
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
		off := ((r*seq + pos) * vocab) * lsize
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
