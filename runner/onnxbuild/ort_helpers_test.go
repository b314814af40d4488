package onnxbuild

import (
	"errors"
	"fmt"
	"testing"

	"github.com/acoer/acoer-bench/runner/ort"
	ortgo "github.com/yalue/onnxruntime_go"
)

// initORT initializes ONNX Runtime or skips the test when the library is not installed.
func initORT(t testing.TB) {
	t.Helper()
	if err := ort.InitDefault(""); err != nil {
		if errors.Is(err, ort.ErrNotFound) {
			t.Skipf("ONNX Runtime library not installed (run `make setup`): %v", err)
		}
		t.Fatal(err)
	}
}

// decoder runs one exported graph step by step, carrying the KV cache in ORT values.
type decoder struct {
	cfg     LlamaConfig
	sess    *ortgo.DynamicAdvancedSession
	inputs  []string
	outputs []string
	past    []ortgo.Value // per layer key, value
	pastLen int
	batch   int
}

func ioNames(cfg LlamaConfig) (in, out []string) {
	in = []string{"input_ids", "attention_mask"}
	if !cfg.NoPositionIDs && !cfg.GenAI {
		in = append(in, "position_ids")
	}
	out = []string{"logits"}
	for i := range cfg.Layers {
		for _, kv := range []string{"key", "value"} {
			in = append(in, fmt.Sprintf("past_key_values.%d.%s", i, kv))
			out = append(out, fmt.Sprintf("present.%d.%s", i, kv))
		}
	}
	return in, out
}

// newDecoder opens model (a path to model.onnx, or the bytes of one) for a batch of batch rows.
func newDecoder(t testing.TB, cfg LlamaConfig, path string, data []byte, batch int) *decoder {
	t.Helper()
	in, out := ioNames(cfg)
	opts, err := ortgo.NewSessionOptions()
	if err != nil {
		t.Fatal(err)
	}
	defer opts.Destroy()
	if err := opts.SetIntraOpNumThreads(1); err != nil {
		t.Fatal(err)
	}
	var s *ortgo.DynamicAdvancedSession
	if path != "" {
		s, err = ortgo.NewDynamicAdvancedSession(path, in, out, opts)
	} else {
		s, err = ortgo.NewDynamicAdvancedSessionWithONNXData(data, in, out, opts)
	}
	if err != nil {
		t.Fatalf("creating session: %v", err)
	}
	d := &decoder{cfg: cfg, sess: s, inputs: in, outputs: out, batch: batch}
	t.Cleanup(d.close)
	for range 2 * cfg.Layers {
		d.past = append(d.past, d.kvTensor(t, 0))
	}
	return d
}

func (d *decoder) kvTensor(t testing.TB, seq int) ortgo.Value {
	t.Helper()
	shape := ortgo.NewShape(int64(d.batch), int64(d.cfg.KVHeads), int64(seq), int64(d.cfg.HeadDim()))
	var v ortgo.Value
	var err error
	if d.cfg.KVFloat16 {
		n := max(2*shape.FlattenedSize(), 1)
		v, err = ortgo.NewCustomDataTensor(shape, make([]byte, n), ortgo.TensorElementDataTypeFloat16)
	} else {
		v, err = ortgo.NewTensor(shape, make([]float32, shape.FlattenedSize()))
	}
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (d *decoder) close() {
	for _, v := range d.past {
		v.Destroy()
	}
	d.past = nil
	if d.sess != nil {
		d.sess.Destroy()
		d.sess = nil
	}
}

// step feeds ids [batch][seq] with the full attention mask [batch][past+seq] and position ids
// [batch][seq], keeps the present values as the next past, and returns logits [batch][seq][vocab].
func (d *decoder) step(t testing.TB, ids, mask, pos [][]int64) [][][]float32 {
	t.Helper()
	flat := func(m [][]int64) ([]int64, ortgo.Shape) {
		var v []int64
		for _, r := range m {
			v = append(v, r...)
		}
		return v, ortgo.NewShape(int64(len(m)), int64(len(m[0])))
	}
	var ins []ortgo.Value
	feeds := [][][]int64{ids, mask, pos}
	if d.cfg.NoPositionIDs || d.cfg.GenAI {
		feeds = feeds[:2]
	}
	for _, m := range feeds {
		v, s := flat(m)
		tt, err := ortgo.NewTensor(s, v)
		if err != nil {
			t.Fatal(err)
		}
		defer tt.Destroy()
		ins = append(ins, tt)
	}
	ins = append(ins, d.past...)
	seq := len(ids[0])
	outs := make([]ortgo.Value, len(d.outputs))
	if d.cfg.KVFloat16 { // onnxruntime_go cannot auto-allocate float16 outputs correctly
		for i := 1; i < len(outs); i++ {
			outs[i] = d.kvTensor(t, d.pastLen+seq)
		}
	}
	if err := d.sess.Run(ins, outs); err != nil {
		t.Fatalf("run: %v", err)
	}
	lt := outs[0].(*ortgo.Tensor[float32])
	defer lt.Destroy()
	data := lt.GetData()
	V := d.cfg.VocabSize
	if want := len(ids) * seq * V; len(data) != want {
		t.Fatalf("logits has %d values, want %d (shape %v)", len(data), want, lt.GetShape())
	}
	logits := make([][][]float32, len(ids))
	for b := range logits {
		logits[b] = make([][]float32, seq)
		for s := range seq {
			off := (b*seq + s) * V
			logits[b][s] = append([]float32(nil), data[off:off+V]...)
		}
	}
	for _, v := range d.past {
		v.Destroy()
	}
	d.past = outs[1:]
	d.pastLen += seq
	return logits
}
