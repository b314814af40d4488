package runner

import (
	"errors"
	"fmt"
	"io"
	"os"

	"google.golang.org/protobuf/encoding/protowire"
)

// graphInfo is what the project reads from an ONNX model file without ONNX Runtime.
type graphInfo struct {
	// ops are the operator types used (domain-qualified, "com.microsoft.GroupQueryAttention"; plain for
	// the default domain), subgraphs included.
	ops map[string]bool
	// weightBytes is the size of every initializer (dims × element size, inline or external);
	// gatheredBytes the part that only Gather / GatherBlockQuantized nodes read (embedding tables: a
	// decode step reads one row of them, not the whole table).
	weightBytes, gatheredBytes int64
}

// graphOps lists the operator types used by an ONNX model file (graphInfo.ops).
func graphOps(file string) (map[string]bool, error) {
	g, err := readGraphInfo(file)
	return g.ops, err
}

// readGraphInfo reads the protobuf as a stream of fields and seeks over everything else (raw weights are
// never loaded), so it costs a few reads even for a model with gigabytes of inline weights.
func readGraphInfo(file string) (graphInfo, error) {
	g := graphInfo{ops: map[string]bool{}}
	f, err := os.Open(file)
	if err != nil {
		return g, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return g, err
	}
	r := &pbReader{f: f}
	sizes := map[string]int64{}
	uses := map[string][2]int{} // initializer name -> uses by Gather (data input), uses by anything else
	// ModelProto.graph = 7
	err = r.fields(0, st.Size(), func(fl pbField) error {
		if fl.num == 7 && fl.typ == protowire.BytesType {
			return r.graph(fl.off, fl.end, &g, sizes, uses, 0)
		}
		return nil
	})
	if err != nil {
		return g, fmt.Errorf("reading the graph of %s: %w", file, err)
	}
	for name, n := range sizes {
		g.weightBytes += n
		if u := uses[name]; u[0] > 0 && u[1] == 0 {
			g.gatheredBytes += n
		}
	}
	return g, nil
}

// pbReader walks the protobuf fields of a file by offset.
type pbReader struct {
	f   io.ReaderAt
	buf [2 * binaryMaxVarint]byte
}

const binaryMaxVarint = 10

// pbField is one field: its number and wire type, the payload range of a length-delimited field, or
// the value of a varint.
type pbField struct {
	num      protowire.Number
	typ      protowire.Type
	off, end int64
	v        uint64
}

// fields calls fn for every field of the message in [off, end).
func (r *pbReader) fields(off, end int64, fn func(pbField) error) error {
	for off < end {
		n, _ := r.f.ReadAt(r.buf[:], off)
		if n == 0 {
			return io.ErrUnexpectedEOF
		}
		b := r.buf[:n]
		num, typ, tl := protowire.ConsumeTag(b)
		if tl < 0 {
			return errors.New("malformed protobuf tag")
		}
		fl := pbField{num: num, typ: typ}
		switch typ {
		case protowire.VarintType:
			v, vl := protowire.ConsumeVarint(b[tl:])
			if vl < 0 {
				return errors.New("malformed protobuf varint")
			}
			fl.v, fl.off, fl.end = v, off+int64(tl), off+int64(tl+vl)
		case protowire.Fixed32Type:
			fl.off, fl.end = off+int64(tl), off+int64(tl+4)
		case protowire.Fixed64Type:
			fl.off, fl.end = off+int64(tl), off+int64(tl+8)
		case protowire.BytesType:
			v, vl := protowire.ConsumeVarint(b[tl:])
			if vl < 0 {
				return errors.New("malformed protobuf length")
			}
			fl.off = off + int64(tl+vl)
			fl.end = fl.off + int64(v)
			if v > uint64(end) || fl.end > end {
				return errors.New("protobuf field runs past its message")
			}
		default:
			return fmt.Errorf("unsupported protobuf wire type %d", typ)
		}
		if err := fn(fl); err != nil {
			return err
		}
		off = fl.end
	}
	return nil
}

// bytes reads [off, end) (small fields only).
func (r *pbReader) bytes(off, end int64) ([]byte, error) {
	if end-off > 1<<20 {
		return nil, errors.New("protobuf string field too long")
	}
	b := make([]byte, end-off)
	_, err := r.f.ReadAt(b, off)
	return b, err
}

// onnxElemSize is the byte size of a TensorProto.DataType (0: unknown or sub-byte, counted by
// onnxElemBits).
func onnxElemBits(t uint64) int64 {
	switch t {
	case 1, 6, 12: // float, int32, uint32
		return 32
	case 2, 3, 9, 17, 18, 19, 20: // uint8, int8, bool, float8 variants
		return 8
	case 4, 5, 10, 16: // uint16, int16, float16, bfloat16
		return 16
	case 7, 11, 13, 14: // int64, double, uint64, complex64
		return 64
	case 15: // complex128
		return 128
	case 21, 22, 23: // uint4, int4, float4
		return 4
	}
	return 0
}

// graph reads a GraphProto: node (1) op types and inputs, initializer (5) sizes, and node attributes'
// subgraphs (AttributeProto.g = 6, graphs = 11).
func (r *pbReader) graph(off, end int64, g *graphInfo, sizes map[string]int64, uses map[string][2]int, depth int) error {
	if depth > 16 {
		return errors.New("subgraphs nested too deep")
	}
	return r.fields(off, end, func(fl pbField) error {
		if fl.typ != protowire.BytesType {
			return nil
		}
		switch fl.num {
		case 5: // initializer TensorProto: dims = 1, data_type = 2, name = 8
			var name string
			var typ uint64
			elems := int64(1)
			err := r.fields(fl.off, fl.end, func(t pbField) error {
				switch {
				case t.num == 1 && t.typ == protowire.VarintType:
					elems *= int64(t.v)
				case t.num == 1 && t.typ == protowire.BytesType: // packed dims
					b, err := r.bytes(t.off, t.end)
					for len(b) > 0 && err == nil {
						v, n := protowire.ConsumeVarint(b)
						if n < 0 {
							return errors.New("malformed packed dims")
						}
						elems *= int64(v)
						b = b[n:]
					}
					return err
				case t.num == 2 && t.typ == protowire.VarintType:
					typ = t.v
				case t.num == 8 && t.typ == protowire.BytesType:
					b, err := r.bytes(t.off, t.end)
					name = string(b)
					return err
				}
				return nil
			})
			if err != nil {
				return err
			}
			sizes[name] = (elems*onnxElemBits(typ) + 7) / 8
		case 1: // node: input = 1, op_type = 4, domain = 7, attribute = 5
			var op, domain string
			var inputs []string
			err := r.fields(fl.off, fl.end, func(t pbField) error {
				if t.typ != protowire.BytesType {
					return nil
				}
				switch t.num {
				case 1, 4, 7:
					b, err := r.bytes(t.off, t.end)
					switch t.num {
					case 1:
						inputs = append(inputs, string(b))
					case 4:
						op = string(b)
					case 7:
						domain = string(b)
					}
					return err
				case 5:
					return r.fields(t.off, t.end, func(a pbField) error {
						if (a.num == 6 || a.num == 11) && a.typ == protowire.BytesType {
							return r.graph(a.off, a.end, g, sizes, uses, depth+1)
						}
						return nil
					})
				}
				return nil
			})
			if err != nil {
				return err
			}
			if domain != "" && domain != "ai.onnx" {
				op = domain + "." + op
			}
			g.ops[op] = true
			for i, in := range inputs {
				u := uses[in]
				if i == 0 && (op == "Gather" || op == "com.microsoft.GatherBlockQuantized") {
					u[0]++
				} else {
					u[1]++
				}
				uses[in] = u
			}
		}
		return nil
	})
}
