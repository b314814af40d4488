package runner

import (
	"encoding/binary"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// TinyDecoder is a hand-encoded, tiny ONNX decoder graph with the KV-cache contract, for doctor's
// self-test and the real-ONNX-Runtime tests (it needs no weights and no model files). It is no language
// model: each layer's present key is past key ++ the fed token ids and present value is past
// value ++ the fed positions, and every position's logits peak at
//
//	next = (7*Σ visible token ids + 3*Σ visible positions) mod vocab     (visible: attention_mask = 1)
//
// so its greedy output depends on exactly what a real decoder may see, and a padding, mask, position or
// cache bug changes it. Variants: float16 KV and logits, no position_ids input.

type TinyDecoder struct {
	Vocab, Layers int
	KV16          bool // float16 past/present
	Logits16      bool // float16 logits
	NoPositions   bool // no position_ids input (present value carries zeros)
	extraInput    bool // an input outside the contract (for the error test)
}

// ONNX protobuf field numbers and enums used below (onnx/onnx.proto).
const (
	onnxFloat   = 1
	onnxInt64   = 7
	onnxFloat16 = 10
	attrFloat   = 1
	attrInt     = 2
	attrInts    = 7
)

type pb []byte

func (b pb) bytes(field protowire.Number, v []byte) pb {
	b = protowire.AppendTag(b, field, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}
func (b pb) str(field protowire.Number, s string) pb { return b.bytes(field, []byte(s)) }
func (b pb) varint(field protowire.Number, v uint64) pb {
	b = protowire.AppendTag(b, field, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func valueInfo(name string, elem int, dims ...any) pb {
	var shape pb
	for _, d := range dims {
		var dim pb
		switch d := d.(type) {
		case int:
			dim = dim.varint(1, uint64(d))
		case string:
			dim = dim.str(2, d)
		}
		shape = shape.bytes(1, dim)
	}
	tensorType := pb{}.varint(1, uint64(elem)).bytes(2, shape)
	return pb{}.str(1, name).bytes(2, pb{}.bytes(1, tensorType))
}

type attr struct {
	name string
	v    any // int, []int64, float32
}

func node(op string, ins, outs []string, attrs ...attr) pb {
	var n pb
	for _, s := range ins {
		n = n.str(1, s)
	}
	for _, s := range outs {
		n = n.str(2, s)
	}
	n = n.str(3, outs[0]+"_node").str(4, op)
	for _, a := range attrs {
		ap := pb{}.str(1, a.name)
		switch v := a.v.(type) {
		case int:
			ap = ap.varint(3, uint64(v)).varint(20, attrInt)
		case float32:
			ap = protowire.AppendTag(ap, 2, protowire.Fixed32Type)
			ap = protowire.AppendFixed32(ap, math.Float32bits(v))
			ap = ap.varint(20, attrFloat)
		case []int64:
			for _, x := range v {
				ap = ap.varint(8, uint64(x))
			}
			ap = ap.varint(20, attrInts)
		}
		n = n.bytes(5, ap)
	}
	return n
}

func initializer(name string, elem int, dims []int64, raw []byte) pb {
	var t pb
	for _, d := range dims {
		t = t.varint(1, uint64(d))
	}
	return t.varint(2, uint64(elem)).str(8, name).bytes(9, raw)
}

func f32raw(vs ...float32) []byte {
	b := make([]byte, 4*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

func i64raw(vs ...int64) []byte {
	b := make([]byte, 8*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(v))
	}
	return b
}

// ONNX returns the encoded model (ONNX IR 8, opset 17, standard operators only).
func (s TinyDecoder) ONNX() []byte {
	kvT := onnxFloat
	if s.KV16 {
		kvT = onnxFloat16
	}
	var g pb
	g = g.str(2, "tiny_decoder")
	arange := make([]float32, s.Vocab)
	for i := range arange {
		arange[i] = float32(i)
	}
	for _, in := range []pb{
		initializer("ax13", onnxInt64, []int64{2}, i64raw(1, 3)),
		initializer("ax123", onnxInt64, []int64{3}, i64raw(1, 2, 3)),
		initializer("ax12", onnxInt64, []int64{2}, i64raw(1, 2)),
		initializer("c7", onnxFloat, nil, f32raw(7)),
		initializer("c3", onnxFloat, nil, f32raw(3)),
		initializer("cV", onnxFloat, nil, f32raw(float32(s.Vocab))),
		initializer("zero", onnxFloat, nil, f32raw(0)),
		initializer("arangeV", onnxFloat, []int64{int64(s.Vocab)}, f32raw(arange...)),
		initializer("vdim", onnxInt64, []int64{1}, i64raw(int64(s.Vocab))),
	} {
		g = g.bytes(5, in)
	}
	nodes := []pb{
		node("Cast", []string{"input_ids"}, []string{"ids_f"}, attr{"to", onnxFloat}),
		node("Unsqueeze", []string{"ids_f", "ax13"}, []string{"k_new"}),
	}
	if s.NoPositions {
		nodes = append(nodes, node("Mul", []string{"k_new", "zero"}, []string{"v_new"}))
	} else {
		nodes = append(nodes,
			node("Cast", []string{"position_ids"}, []string{"pos_f"}, attr{"to", onnxFloat}),
			node("Unsqueeze", []string{"pos_f", "ax13"}, []string{"v_new"}))
	}
	kNew, vNew := "k_new", "v_new"
	if s.KV16 {
		nodes = append(nodes,
			node("Cast", []string{"k_new"}, []string{"k_new16"}, attr{"to", onnxFloat16}),
			node("Cast", []string{"v_new"}, []string{"v_new16"}, attr{"to", onnxFloat16}))
		kNew, vNew = "k_new16", "v_new16"
	}
	for l := range s.Layers {
		nodes = append(nodes,
			node("Concat", []string{fmt.Sprintf("past_key_values.%d.key", l), kNew}, []string{fmt.Sprintf("present.%d.key", l)}, attr{"axis", 2}),
			node("Concat", []string{fmt.Sprintf("past_key_values.%d.value", l), vNew}, []string{fmt.Sprintf("present.%d.value", l)}, attr{"axis", 2}))
	}
	last := s.Layers - 1
	keyAll, valAll := fmt.Sprintf("present.%d.key", last), fmt.Sprintf("present.%d.value", last)
	if s.KV16 {
		nodes = append(nodes,
			node("Cast", []string{keyAll}, []string{"key_all"}, attr{"to", onnxFloat}),
			node("Cast", []string{valAll}, []string{"val_all"}, attr{"to", onnxFloat}))
		keyAll, valAll = "key_all", "val_all"
	}
	logits := "logits"
	if s.Logits16 {
		logits = "logits32"
	}
	nodes = append(nodes,
		node("Cast", []string{"attention_mask"}, []string{"mask_f"}, attr{"to", onnxFloat}),
		node("Unsqueeze", []string{"mask_f", "ax13"}, []string{"mask4"}),
		node("Mul", []string{keyAll, "mask4"}, []string{"k_vis"}),
		node("Mul", []string{valAll, "mask4"}, []string{"v_vis"}),
		node("ReduceSum", []string{"k_vis", "ax123"}, []string{"ks"}, attr{"keepdims", 0}),
		node("ReduceSum", []string{"v_vis", "ax123"}, []string{"vs"}, attr{"keepdims", 0}),
		node("Mul", []string{"ks", "c7"}, []string{"ks7"}),
		node("Mul", []string{"vs", "c3"}, []string{"vs3"}),
		node("Add", []string{"ks7", "vs3"}, []string{"z"}),
		node("Mod", []string{"z", "cV"}, []string{"t"}, attr{"fmod", 1}),
		node("Unsqueeze", []string{"t", "ax12"}, []string{"t3"}),
		node("Sub", []string{"t3", "arangeV"}, []string{"d"}),
		node("Abs", []string{"d"}, []string{"ad"}),
		node("Neg", []string{"ad"}, []string{"l0"}),
		node("Shape", []string{"input_ids"}, []string{"bs"}),
		node("Concat", []string{"bs", "vdim"}, []string{"bsv"}, attr{"axis", 0}),
		node("Expand", []string{"l0", "bsv"}, []string{logits}),
	)
	if s.Logits16 {
		nodes = append(nodes, node("Cast", []string{"logits32"}, []string{"logits"}, attr{"to", onnxFloat16}))
	}
	for _, n := range nodes {
		g = g.bytes(1, n)
	}
	ins := []pb{valueInfo("input_ids", onnxInt64, "batch", "seq"), valueInfo("attention_mask", onnxInt64, "batch", "total")}
	if !s.NoPositions {
		ins = append(ins, valueInfo("position_ids", onnxInt64, "batch", "seq"))
	}
	if s.extraInput {
		ins = append(ins, valueInfo("token_type_ids", onnxInt64, "batch", "seq"))
	}
	for l := range s.Layers {
		ins = append(ins,
			valueInfo(fmt.Sprintf("past_key_values.%d.key", l), kvT, "batch", 1, "past", 1),
			valueInfo(fmt.Sprintf("past_key_values.%d.value", l), kvT, "batch", 1, "past", 1))
	}
	for _, in := range ins {
		g = g.bytes(11, in)
	}
	logitsT := onnxFloat
	if s.Logits16 {
		logitsT = onnxFloat16
	}
	outs := []pb{valueInfo("logits", logitsT, "batch", "seq", s.Vocab)}
	for l := range s.Layers {
		outs = append(outs,
			valueInfo(fmt.Sprintf("present.%d.key", l), kvT, "batch", 1, "total", 1),
			valueInfo(fmt.Sprintf("present.%d.value", l), kvT, "batch", 1, "total", 1))
	}
	for _, o := range outs {
		g = g.bytes(12, o)
	}
	var m pb
	m = m.varint(1, 8) // ir_version
	m = m.str(2, "acoer-bench-tiny-decoder")
	m = m.bytes(7, g)
	m = m.bytes(8, pb{}.str(1, "").varint(2, 17))
	m = m.bytes(14, pb{}.str(1, "purpose").str(2, "acoer-bench self-test graph"))
	return m
}

// Greedy is the model's greedy continuation of prompt (up to n tokens, stopping after eos), computed
// directly in Go.
func (s TinyDecoder) Greedy(prompt []int, n, eos int) []int {
	vocab := s.Vocab
	sumTok, sumPos, pos := 0, 0, 0
	for _, t := range prompt {
		sumTok += t
		sumPos += pos
		pos++
	}
	if s.NoPositions {
		sumPos = 0
	}
	var out []int
	for range n {
		next := (7*sumTok + 3*sumPos) % vocab
		out = append(out, next)
		if next == eos {
			break
		}
		sumTok += next
		if !s.NoPositions {
			sumPos += pos
		}
		pos++
	}
	return out
}
