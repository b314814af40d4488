package runner

import (
	"errors"
	"fmt"
	"io"
	"os"

	"google.golang.org/protobuf/encoding/protowire"
)

// graphOps lists the operator types (domain-qualified, "com.microsoft.GroupQueryAttention"; plain for the
// default domain) used by an ONNX model file, subgraphs included. It reads the protobuf as a stream of
// fields and seeks over everything else (initializers are never loaded), so it costs a few reads even
// for a model with gigabytes of inline weights.
func graphOps(file string) (map[string]bool, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	ops := map[string]bool{}
	r := &pbReader{f: f}
	// ModelProto.graph = 7
	err = r.fields(0, st.Size(), func(num protowire.Number, off, end int64) error {
		if num == 7 {
			return r.graph(off, end, ops, 0)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the operators of %s: %w", file, err)
	}
	return ops, nil
}

// pbReader walks length-delimited protobuf fields of a file by offset.
type pbReader struct {
	f   io.ReaderAt
	buf [binaryMaxVarint * 2]byte
}

const binaryMaxVarint = 10

// fields calls fn for every length-delimited field of the message in [off, end) with the field's
// payload range; other wire types are skipped.
func (r *pbReader) fields(off, end int64, fn func(num protowire.Number, off, end int64) error) error {
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
		var size int64
		var hl int
		switch typ {
		case protowire.VarintType:
			_, vl := protowire.ConsumeVarint(b[tl:])
			if vl < 0 {
				return errors.New("malformed protobuf varint")
			}
			off += int64(tl + vl)
			continue
		case protowire.Fixed32Type:
			off += int64(tl + 4)
			continue
		case protowire.Fixed64Type:
			off += int64(tl + 8)
			continue
		case protowire.BytesType:
			v, vl := protowire.ConsumeVarint(b[tl:])
			if vl < 0 {
				return errors.New("malformed protobuf length")
			}
			size, hl = int64(v), tl+vl
		default:
			return fmt.Errorf("unsupported protobuf wire type %d", typ)
		}
		start := off + int64(hl)
		if size < 0 || start+size > end {
			return errors.New("protobuf field runs past its message")
		}
		if err := fn(num, start, start+size); err != nil {
			return err
		}
		off = start + size
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

// graph collects the op types of GraphProto.node (1), recursing into node attributes' graphs
// (AttributeProto.g = 6, graphs = 11).
func (r *pbReader) graph(off, end int64, ops map[string]bool, depth int) error {
	if depth > 16 {
		return errors.New("subgraphs nested too deep")
	}
	return r.fields(off, end, func(num protowire.Number, off, end int64) error {
		if num != 1 {
			return nil
		}
		var op, domain string
		err := r.fields(off, end, func(num protowire.Number, off, end int64) error {
			switch num {
			case 4, 7: // op_type, domain
				b, err := r.bytes(off, end)
				if num == 4 {
					op = string(b)
				} else {
					domain = string(b)
				}
				return err
			case 5: // attribute
				return r.fields(off, end, func(num protowire.Number, off, end int64) error {
					if num == 6 || num == 11 {
						return r.graph(off, end, ops, depth+1)
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
		ops[op] = true
		return nil
	})
}
