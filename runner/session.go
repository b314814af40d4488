package runner

import (
	"encoding/binary"
	"fmt"
	"unsafe"

	ortgo "github.com/yalue/onnxruntime_go"
)

// ortStep is the stepper backed by an ONNX Runtime session. The KV cache lives in two pre-allocated Go
// buffers per layer and per key/value, used in turn: a step reads "past" from one side and ONNX Runtime
// writes "present" straight into the other (outputs are bound to pre-allocated tensors, so nothing is
// allocated or copied per step beyond the small OrtValue headers). Logits are written into a reusable
// buffer too.
type ortStep struct {
	sess     *ortgo.DynamicAdvancedSession
	c        Contract
	inNames  []string
	outNames []string
	inKV     []int // per input: index into kv[side] of its past buffer, or -1
	outKV    []int // per output: index into kv[side] of its present buffer, or -1 (logits)
	fp16KV   bool

	side   int         // which side of kv holds the current past
	kv     [2][][]byte // kv[side][2*layer+{0 key,1 value}], raw float32 or float16 bytes
	logits []byte      // [batch, seq, vocab] raw float32 or float16 bytes
	last   []float32   // [batch, vocab] last-position logits returned to the loop
	batch  int
}

// ortCache is the KV cache handle the loop carries: which side holds it and its length.
type ortCache struct{ side, n int }

func (c *ortCache) length() int { return c.n }

// newORTStep opens the session for a contract.
func newORTStep(modelFile string, c Contract, so *ortgo.SessionOptions) (*ortStep, error) {
	s := &ortStep{c: c, fp16KV: c.KVType == "float16"}
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
	return err
}

func (s *ortStep) elemSize() int {
	if s.fp16KV {
		return 2
	}
	return 4
}

// begin sizes the KV buffers for batch rows of up to maxLen positions (kept for later calls when big
// enough).
func (s *ortStep) begin(batch, maxLen int) error {
	need := batch * s.c.KVHeads * maxLen * s.c.HeadDim * s.elemSize()
	for side := range s.kv {
		if len(s.kv[side]) != 2*len(s.c.Layers) {
			s.kv[side] = make([][]byte, 2*len(s.c.Layers))
		}
		for i := range s.kv[side] {
			if cap(s.kv[side][i]) < need {
				s.kv[side][i] = make([]byte, need)
			}
		}
	}
	s.side, s.batch = 0, batch
	return nil
}

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

func (s *ortStep) step(ids, mask, positions []int64, batch, seq int, past kvCache) ([]float32, kvCache, error) {
	p := 0
	if past != nil {
		pc := past.(*ortCache)
		if pc.side != s.side {
			return nil, nil, fmt.Errorf("internal error: stale KV cache")
		}
		p = pc.n
	}
	if batch != s.batch {
		return nil, nil, fmt.Errorf("internal error: step batch %d after begin(%d)", batch, s.batch)
	}
	var vals []ortgo.Value
	defer func() {
		for _, v := range vals {
			if v != nil {
				v.Destroy()
			}
		}
	}()
	add := func(v ortgo.Value, err error) (ortgo.Value, error) {
		if err == nil {
			vals = append(vals, v)
		}
		return v, err
	}
	b, h, d := int64(batch), int64(s.c.KVHeads), int64(s.c.HeadDim)
	pastBufs, presentBufs := s.kv[s.side], s.kv[1-s.side]

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
				return nil, nil, fmt.Errorf("input %q is not part of the decoder contract", name)
			}
			v, err = add(tensor(s.c.KVType, ortgo.NewShape(b, h, int64(p), d), pastBufs[s.inKV[i]]))
		}
		if err != nil {
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
			v, err = add(tensor(s.c.KVType, ortgo.NewShape(b, h, int64(p+seq), d), presentBufs[s.outKV[i]]))
		}
		if err != nil {
			return nil, nil, fmt.Errorf("output %s: %w", name, err)
		}
		outputs[i] = v
	}
	if err := s.sess.Run(inputs, outputs); err != nil {
		return nil, nil, err
	}

	// The last position's logits of each row.
	if cap(s.last) < batch*vocab {
		s.last = make([]float32, batch*vocab)
	}
	s.last = s.last[:batch*vocab]
	for r := range batch {
		off := ((r*seq + seq - 1) * vocab) * lsize
		dst := s.last[r*vocab : (r+1)*vocab]
		if lsize == 4 {
			copy(dst, unsafe.Slice((*float32)(unsafe.Pointer(&s.logits[off])), vocab))
			continue
		}
		for j := range dst {
			dst[j] = halfToFloat32(binary.LittleEndian.Uint16(s.logits[off+2*j:]))
		}
	}
	s.side = 1 - s.side
	return s.last, &ortCache{side: s.side, n: p + seq}, nil
}
