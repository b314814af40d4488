package onnxbuild

import (
	"encoding/binary"
	"math"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"
)

// This file hand-encodes the small subset of onnx.proto (ONNX IR) the builder needs. Field numbers
// follow onnx/onnx.proto: ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto,
// ValueInfoProto, TypeProto, TensorShapeProto, OperatorSetIdProto, StringStringEntryProto.

// ONNX TensorProto.DataType values.
const (
	dtFloat   = 1
	dtUint8   = 2
	dtInt8    = 3
	dtInt32   = 6
	dtInt64   = 7
	dtBool    = 9
	dtFloat16 = 10
)

// msDomain is the operator domain of ONNX Runtime's contrib operators.
const msDomain = "com.microsoft"

// AttributeProto.AttributeType values.
const (
	attrFloat  = 1
	attrInt    = 2
	attrString = 3
	attrTensor = 4
	attrGraph  = 5
	attrInts   = 7
)

// tensor is an initializer or constant value. Data holds the raw little-endian bytes.
type tensor struct {
	Name     string
	DataType int
	Dims     []int64
	Raw      []byte
	// External, when set, stores the data outside the model file.
	External *externalRef
}

type externalRef struct {
	Location       string
	Offset, Length int64
}

// dim is one dimension of a value's shape: a fixed size or a symbolic name.
type dim struct {
	Value int64
	Param string
}

// valueInfo declares a graph input or output. A nil Shape declares the element type only (an If
// branch's outputs); an empty one a scalar.
type valueInfo struct {
	Name     string
	DataType int
	Shape    []dim
}

// attr is one node attribute.
type attr struct {
	Name   string
	Type   int
	I      int64
	F      float32
	S      string
	Ints   []int64
	Tensor *tensor
	Graph  *graph // attrGraph: an If branch
}

// node is one operator application. Domain is "" for the default ONNX domain ("com.microsoft" for
// ONNX Runtime's contrib operators).
type node struct {
	OpType  string
	Name    string
	Inputs  []string
	Outputs []string
	Attrs   []attr
	Domain  string
}

// graph is a GraphProto.
type graph struct {
	Name         string
	Nodes        []node
	Initializers []*tensor
	Inputs       []valueInfo
	Outputs      []valueInfo
}

// model is a ModelProto with a default-domain opset import and, when MSOpset > 0, one for
// com.microsoft (ONNX Runtime's contrib operators).
type model struct {
	IRVersion       int64
	Opset           int64
	MSOpset         int64
	ProducerName    string
	ProducerVersion string
	DocString       string
	Graph           *graph
	Metadata        [][2]string
}

func appendString(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func appendVarint(b []byte, num protowire.Number, v int64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(v))
}

func appendMessage(b []byte, num protowire.Number, msg []byte) []byte {
	return appendBytes(b, num, msg)
}

func stringEntry(k, v string) []byte {
	var b []byte
	b = appendString(b, 1, k)
	b = appendString(b, 2, v)
	return b
}

func (t *tensor) marshal() []byte {
	var b []byte
	if len(t.Dims) > 0 {
		for _, d := range t.Dims {
			b = appendVarint(b, 1, d) // dims (proto2 repeated int64, unpacked)
		}
	}
	b = appendVarint(b, 2, int64(t.DataType)) // data_type
	if t.Name != "" {
		b = appendString(b, 8, t.Name) // name
	}
	if t.External != nil {
		b = appendMessage(b, 13, stringEntry("location", t.External.Location)) // external_data
		b = appendMessage(b, 13, stringEntry("offset", itoa(t.External.Offset)))
		b = appendMessage(b, 13, stringEntry("length", itoa(t.External.Length)))
		b = appendVarint(b, 14, 1) // data_location = EXTERNAL
	} else {
		b = appendBytes(b, 9, t.Raw) // raw_data
	}
	return b
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func (a attr) marshal() []byte {
	var b []byte
	b = appendString(b, 1, a.Name)
	switch a.Type {
	case attrFloat:
		b = protowire.AppendTag(b, 2, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(a.F))
	case attrInt:
		b = appendVarint(b, 3, a.I)
	case attrString:
		b = appendString(b, 4, a.S)
	case attrTensor:
		b = appendMessage(b, 5, a.Tensor.marshal())
	case attrGraph:
		b = appendMessage(b, 6, a.Graph.marshal())
	case attrInts:
		for _, v := range a.Ints {
			b = appendVarint(b, 8, v)
		}
	}
	b = appendVarint(b, 20, int64(a.Type))
	return b
}

func (n node) marshal() []byte {
	var b []byte
	for _, in := range n.Inputs {
		b = appendString(b, 1, in)
	}
	for _, out := range n.Outputs {
		b = appendString(b, 2, out)
	}
	if n.Name != "" {
		b = appendString(b, 3, n.Name)
	}
	b = appendString(b, 4, n.OpType)
	for _, a := range n.Attrs {
		b = appendMessage(b, 5, a.marshal())
	}
	if n.Domain != "" {
		b = appendString(b, 7, n.Domain)
	}
	return b
}

func (v valueInfo) marshal() []byte {
	var shape []byte
	for _, d := range v.Shape {
		var db []byte
		if d.Param != "" {
			db = appendString(db, 2, d.Param) // dim_param
		} else {
			db = appendVarint(db, 1, d.Value) // dim_value
		}
		shape = appendMessage(shape, 1, db) // TensorShapeProto.dim
	}
	var tt []byte
	tt = appendVarint(tt, 1, int64(v.DataType)) // TypeProto.Tensor.elem_type
	if v.Shape != nil {
		tt = appendMessage(tt, 2, shape) // TypeProto.Tensor.shape
	}
	var typ []byte
	typ = appendMessage(typ, 1, tt) // TypeProto.tensor_type
	var b []byte
	b = appendString(b, 1, v.Name)
	b = appendMessage(b, 2, typ)
	return b
}

func (g *graph) marshal() []byte {
	var b []byte
	for _, n := range g.Nodes {
		b = appendMessage(b, 1, n.marshal())
	}
	b = appendString(b, 2, g.Name)
	for _, t := range g.Initializers {
		b = appendMessage(b, 5, t.marshal())
	}
	for _, v := range g.Inputs {
		b = appendMessage(b, 11, v.marshal())
	}
	for _, v := range g.Outputs {
		b = appendMessage(b, 12, v.marshal())
	}
	return b
}

func (m *model) marshal() []byte {
	var b []byte
	b = appendVarint(b, 1, m.IRVersion)
	if m.ProducerName != "" {
		b = appendString(b, 2, m.ProducerName)
	}
	if m.ProducerVersion != "" {
		b = appendString(b, 3, m.ProducerVersion)
	}
	if m.DocString != "" {
		b = appendString(b, 6, m.DocString)
	}
	b = appendMessage(b, 7, m.Graph.marshal())
	var opset []byte
	opset = appendString(opset, 1, "")
	opset = appendVarint(opset, 2, m.Opset)
	b = appendMessage(b, 8, opset)
	if m.MSOpset > 0 {
		var ms []byte
		ms = appendString(ms, 1, msDomain)
		ms = appendVarint(ms, 2, m.MSOpset)
		b = appendMessage(b, 8, ms)
	}
	for _, kv := range m.Metadata {
		b = appendMessage(b, 14, stringEntry(kv[0], kv[1]))
	}
	return b
}

// float32Raw returns the little-endian bytes of v.
func float32Raw(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// float16Raw returns the little-endian IEEE binary16 bytes of v (rounded to nearest even).
func float16Raw(v []float32) []byte {
	b := make([]byte, 2*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint16(b[2*i:], Float32ToHalf(x))
	}
	return b
}

// int64Raw returns the little-endian bytes of v.
func int64Raw(v []int64) []byte {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(x))
	}
	return b
}
