package runner

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// This file reads what the runner needs from an ONNX graph file without ONNX Runtime: the graph's
// inputs and outputs (the decoder contract), the model's metadata, and every external data location
// its tensors name (TensorProto.external_data, in the main graph, in subgraphs of If/Loop/Scan nodes,
// in node attributes and in functions). ONNX Runtime's own ways to get the first two create a session,
// which loads the weights: seconds and gigabytes for a real checkpoint. The file is read as a stream:
// tensor bytes are skipped, never read, so a 2 GB graph with inline weights costs a few reads.
//
// Field numbers follow onnx/onnx.proto (runner/onnxbuild/proto.go writes the same messages).

// graphFile is what readGraphFile found in an ONNX file.
type graphFile struct {
	Inputs, Outputs []TensorInfo // the main graph's inputs (initializers excluded, as ONNX Runtime lists them) and outputs
	Metadata        map[string]string
	External        []externalRef // one per tensor stored outside the file, in file order
	// Ops are the operator types used, subgraphs and functions included (domain-qualified,
	// "com.microsoft.GroupQueryAttention"; plain for the default domain).
	Ops map[string]bool
	// WeightBytes is the size of every initializer (dims x element size, inline or external);
	// GatheredBytes the part that only Gather / GatherBlockQuantized nodes read as their data (embedding
	// and rotary tables: a decode step reads one row of them, not the whole table).
	WeightBytes, GatheredBytes int64

	initBytes map[string]int64  // initializer sizes, for the two above
	uses      map[string][2]int // per name: uses as a gathered table, other uses
}

// externalRef is one tensor whose data lies in another file.
type externalRef struct {
	Tensor   string // the tensor's name ("" when it has none)
	Location string // as written in the graph
	Offset   int64
	Length   int64 // -1 when the graph gives neither a length nor a computable size
}

// ExternalFile is one file a graph reads its weights from.
type ExternalFile struct {
	// Location is the file's path relative to the graph's directory, as the graph names it (slashes).
	Location string `json:"location"`
	// Path is the absolute path.
	Path string `json:"path"`
	// Need is the number of bytes the graph reads from it (the largest offset+length of its tensors).
	Need int64 `json:"need"`
	// Tensors is how many tensors the graph keeps there.
	Tensors int `json:"tensors"`
	// Graph is the graph file that reads it (for errors).
	Graph string `json:"-"`
}

// ErrNotONNX marks a graph file that is not a readable ONNX model (empty, a Git LFS pointer, not a
// protobuf ModelProto, truncated). It matches ErrBadModelDir too.
var ErrNotONNX = errors.New("not an ONNX model")

type notONNX struct{ msg string }

func (e notONNX) Error() string   { return e.msg }
func (e notONNX) Unwrap() []error { return []error{ErrNotONNX, ErrBadModelDir} }

// lfsPrefix starts every Git LFS pointer file.
const lfsPrefix = "version https://git-lfs.github.com/spec/"

// checkContent refuses an empty file or a Git LFS pointer in place of a real one (what a clone without
// git-lfs leaves behind), naming the file; what names what the file should be ("the model", "the
// tokenizer").
func checkContent(path, what string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.IsDir() {
		return notONNX{fmt.Sprintf("%s is a directory, not %s", path, what)}
	}
	if st.Size() == 0 {
		return notONNX{fmt.Sprintf("%s is an empty file, not %s", path, what)}
	}
	head := make([]byte, len(lfsPrefix))
	if n, _ := io.ReadFull(f, head); n == len(head) && string(head) == lfsPrefix && st.Size() < 1024 {
		return notONNX{fmt.Sprintf("%s is a Git LFS pointer, not %s: run git lfs pull (in the repository that holds it)", path, what)}
	}
	return nil
}

// ExternalData lists the files the ONNX graph modelFile reads its weights from, read from the graph's
// TensorProto.external_data entries (subgraphs, attributes and functions included), sorted by
// location; nil when every tensor is inside the file. Locations that leave the graph's directory are
// an error, as are a file that is not an ONNX model and a malformed external_data entry. It does not
// check that the files exist (CheckExternalData does).
func ExternalData(modelFile string) ([]ExternalFile, error) {
	g, err := readGraphFile(modelFile)
	if err != nil {
		return nil, err
	}
	return externalFiles(modelFile, g.External)
}

func externalFiles(modelFile string, refs []externalRef) ([]ExternalFile, error) {
	dir := filepath.Dir(modelFile)
	byLoc := map[string]*ExternalFile{}
	for _, r := range refs {
		loc := filepath.ToSlash(filepath.Clean(filepath.FromSlash(r.Location)))
		if r.Location == "" || filepath.IsAbs(filepath.FromSlash(r.Location)) || loc == "." || loc == ".." || strings.HasPrefix(loc, "../") {
			return nil, notONNX{fmt.Sprintf("%s: tensor %q keeps its data at %q, outside the model directory (ONNX Runtime refuses such paths too)", modelFile, r.Tensor, r.Location)}
		}
		f := byLoc[loc]
		if f == nil {
			abs, err := filepath.Abs(filepath.Join(dir, filepath.FromSlash(loc)))
			if err != nil {
				return nil, err
			}
			f = &ExternalFile{Location: loc, Path: abs, Graph: modelFile}
			byLoc[loc] = f
		}
		f.Tensors++
		end := r.Offset
		if r.Length > 0 {
			end += r.Length
		}
		f.Need = max(f.Need, end)
	}
	if len(byLoc) == 0 {
		return nil, nil
	}
	out := make([]ExternalFile, 0, len(byLoc))
	for _, f := range byLoc {
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Location < out[j].Location })
	return out, nil
}

// CheckExternalData checks that each external data file is there, is not a Git LFS pointer and is long
// enough for what the graph reads from it (a truncated download is found here, not as an ONNX Runtime
// error deep in session creation).
func CheckExternalData(modelFile string, files []ExternalFile) error {
	for _, f := range files {
		st, err := os.Stat(f.Path)
		if errors.Is(err, os.ErrNotExist) {
			return badModelDir(fmt.Errorf("%s keeps its weights in %s, which is missing", modelFile, f.Path))
		}
		if err != nil {
			return badModelDir(err)
		}
		if err := checkContent(f.Path, "the model's weights"); err != nil {
			return err
		}
		if st.Size() < f.Need {
			return badModelDir(fmt.Errorf("%s is %d bytes but %s reads %d bytes from it (a truncated or partial download?)", f.Path, st.Size(), filepath.Base(modelFile), f.Need))
		}
	}
	return nil
}

// readGraphFile reads the inputs, outputs, metadata and external data references of an ONNX file.
func readGraphFile(path string) (*graphFile, error) {
	if err := checkContent(path, "an ONNX model"); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, badModelDir(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, badModelDir(err)
	}
	g, err := parseGraphFile(f, st.Size())
	if err != nil {
		var ne notONNX
		if errors.As(err, &ne) {
			return nil, notONNX{fmt.Sprintf("%s is not an ONNX model: %s", path, ne.msg)}
		}
		return nil, badModelDir(fmt.Errorf("reading %s: %w", path, err))
	}
	return g, nil
}

// parseGraphFile parses a ModelProto of size bytes from r. Protobuf errors are notONNX values.
func parseGraphFile(r io.ReaderAt, size int64) (*graphFile, error) {
	p := &pbFile{r: r, size: size}
	g := &graphFile{Metadata: map[string]string{}, Ops: map[string]bool{}, initBytes: map[string]int64{}, uses: map[string][2]int{}}
	sawGraph := false
	var version uint64
	custom := map[string]string{}
	err := p.fields(0, size, func(num protowire.Number, typ protowire.Type, start, end int64, v uint64) error {
		switch {
		case num == 7 && typ == protowire.BytesType: // graph
			if sawGraph {
				return p.malformed("more than one graph")
			}
			sawGraph = true
			return p.graph(start, end, g, true, 0)
		case num == 25 && typ == protowire.BytesType: // functions
			return p.function(start, end, g, 0)
		case num == 2 && typ == protowire.BytesType: // producer_name
			return p.meta(g, "producer", start, end)
		case num == 4 && typ == protowire.BytesType: // domain
			return p.meta(g, "domain", start, end)
		case num == 6 && typ == protowire.BytesType: // doc_string
			return p.meta(g, "description", start, end)
		case num == 5 && typ == protowire.VarintType: // model_version
			version = v
		case num == 14 && typ == protowire.BytesType: // metadata_props
			k, val, err := p.entry(start, end)
			if err != nil {
				return err
			}
			custom[k] = val
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !sawGraph {
		return nil, p.malformed("no graph")
	}
	// As ONNX Runtime reports them: model_version 0 or INT64_MAX means none; the custom metadata_props
	// come after the built-in fields and win over them.
	if version != 0 && version != math.MaxInt64 {
		g.Metadata["version"] = strconv.FormatUint(version, 10)
	}
	for k, v := range custom {
		g.Metadata[k] = v
	}
	for name, n := range g.initBytes {
		g.WeightBytes += n
		if u := g.uses[name]; u[0] > 0 && u[1] == 0 {
			g.GatheredBytes += n
		}
	}
	return g, nil
}

func (p *pbFile) meta(g *graphFile, key string, start, end int64) error {
	s, err := p.str(start, end)
	if err != nil || s == "" {
		return err
	}
	g.Metadata[key] = s
	return nil
}

// maxGraphDepth bounds the nesting of subgraphs (If inside Loop inside ...); deeper files are refused
// rather than risking the stack.
const maxGraphDepth = 64

// graph walks a GraphProto; top marks the model's main graph, whose inputs and outputs are recorded.
func (p *pbFile) graph(start, end int64, g *graphFile, top bool, depth int) error {
	if depth > maxGraphDepth {
		return p.malformed("subgraphs nested too deep")
	}
	var inputs []TensorInfo
	inits := map[string]bool{}
	err := p.fields(start, end, func(num protowire.Number, typ protowire.Type, s, e int64, _ uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 1: // node
			return p.node(s, e, g, depth)
		case 2: // name
			if top {
				return p.meta(g, "graph", s, e)
			}
		case 5: // initializer
			name, err := p.tensor(s, e, g)
			if top {
				inits[name] = true
			}
			g.initBytes[name] = p.lastBytes
			return err
		case 15: // sparse_initializer
			name, err := p.sparse(s, e, g)
			if top {
				inits[name] = true
			}
			return err
		case 11, 12: // input, output
			if !top {
				return nil
			}
			t, err := p.valueInfo(s, e)
			if err != nil {
				return err
			}
			if num == 11 {
				inputs = append(inputs, t)
			} else {
				g.Outputs = append(g.Outputs, t)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if top {
		g.Inputs = g.Inputs[:0]
		for _, t := range inputs {
			if !inits[t.Name] { // IR < 4 lists initializers among the inputs; ONNX Runtime does not
				g.Inputs = append(g.Inputs, t)
			}
		}
	}
	return nil
}

// node reads a NodeProto: its op type, domain and inputs, and its attributes' tensors and subgraphs.
func (p *pbFile) node(start, end int64, g *graphFile, depth int) error {
	var op, domain string
	var inputs []string
	err := p.fields(start, end, func(num protowire.Number, typ protowire.Type, s, e int64, _ uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		var err error
		switch num {
		case 5: // attribute
			return p.attribute(s, e, g, depth)
		case 1: // input
			var in string
			in, err = p.str(s, e)
			inputs = append(inputs, in)
		case 4: // op_type
			op, err = p.str(s, e)
		case 7: // domain
			domain, err = p.str(s, e)
		}
		return err
	})
	if domain != "" && domain != "ai.onnx" {
		op = domain + "." + op
	}
	g.Ops[op] = true
	for i, in := range inputs {
		u := g.uses[in]
		if i == 0 && (op == "Gather" || op == "com.microsoft.GatherBlockQuantized") {
			u[0]++
		} else {
			u[1]++
		}
		g.uses[in] = u
	}
	return err
}

func (p *pbFile) attribute(start, end int64, g *graphFile, depth int) error {
	return p.fields(start, end, func(num protowire.Number, typ protowire.Type, s, e int64, _ uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		var err error
		switch num {
		case 5, 10: // t, tensors
			_, err = p.tensor(s, e, g)
		case 6, 11: // g, graphs
			err = p.graph(s, e, g, false, depth+1)
		case 22, 23: // sparse_tensor, sparse_tensors
			_, err = p.sparse(s, e, g)
		}
		return err
	})
}

func (p *pbFile) function(start, end int64, g *graphFile, depth int) error {
	return p.fields(start, end, func(num protowire.Number, typ protowire.Type, s, e int64, _ uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 7: // node
			return p.node(s, e, g, depth+1)
		case 11: // attribute_proto (default attribute values)
			return p.attribute(s, e, g, depth+1)
		}
		return nil
	})
}

func (p *pbFile) sparse(start, end int64, g *graphFile) (string, error) {
	var name string
	err := p.fields(start, end, func(num protowire.Number, typ protowire.Type, s, e int64, _ uint64) error {
		if typ != protowire.BytesType || (num != 1 && num != 2) { // values, indices
			return nil
		}
		n, err := p.tensor(s, e, g)
		if num == 1 {
			name = n // a sparse initializer is named by its values tensor
		}
		return err
	})
	return name, err
}

// elemBits is the storage size in bits of each ONNX element type whose size is fixed.
var elemBits = map[uint64]int64{1: 32, 2: 8, 3: 8, 4: 16, 5: 16, 6: 32, 7: 64, 9: 8, 10: 16, 11: 64, 12: 32, 13: 64,
	14: 64, 15: 128, 16: 16, 17: 8, 18: 8, 19: 8, 20: 8, 21: 4, 22: 4, 23: 4}

// tensor reads a TensorProto's name, shape and external data entries, and records its external data.
func (p *pbFile) tensor(start, end int64, g *graphFile) (string, error) {
	var name, loc string
	var hasLoc, external bool
	var dims []int64
	var dtype uint64
	ref := externalRef{Length: -1}
	err := p.fields(start, end, func(num protowire.Number, typ protowire.Type, s, e int64, v uint64) error {
		switch {
		case num == 8 && typ == protowire.BytesType:
			var err error
			name, err = p.str(s, e)
			return err
		case num == 1 && typ == protowire.VarintType:
			dims = append(dims, int64(v))
		case num == 1 && typ == protowire.BytesType: // packed dims
			b, err := p.bytes(s, e)
			if err != nil {
				return err
			}
			for len(b) > 0 {
				x, n := protowire.ConsumeVarint(b)
				if n < 0 {
					return p.malformed("bad packed dims")
				}
				dims = append(dims, int64(x))
				b = b[n:]
			}
		case num == 2 && typ == protowire.VarintType:
			dtype = v
		case num == 14 && typ == protowire.VarintType:
			external = v == 1
		case num == 13 && typ == protowire.BytesType:
			k, val, err := p.entry(s, e)
			if err != nil {
				return err
			}
			switch k {
			case "location":
				loc, hasLoc = val, true
			case "offset", "length":
				n, err := strconv.ParseInt(val, 10, 64)
				if err != nil || n < 0 {
					return p.malformed(fmt.Sprintf("tensor %q: external_data %s %q is not a byte count", name, k, val))
				}
				if k == "offset" {
					ref.Offset = n
				} else {
					ref.Length = n
				}
			}
		}
		return nil
	})
	p.lastBytes = 0
	if bits, ok := elemBits[dtype]; ok {
		n := int64(1)
		for _, d := range dims {
			n *= d
		}
		p.lastBytes = (n*bits + 7) / 8
	}
	if err != nil || !external {
		return name, err
	}
	if !hasLoc || loc == "" {
		return name, p.malformed(fmt.Sprintf("tensor %q: data_location EXTERNAL without a location", name))
	}
	if _, ok := elemBits[dtype]; ok && ref.Length < 0 {
		ref.Length = p.lastBytes
	}
	ref.Tensor, ref.Location = name, loc
	g.External = append(g.External, ref)
	return name, nil
}

// valueInfo reads a ValueInfoProto as a TensorInfo (dims: -1 when symbolic or unknown).
func (p *pbFile) valueInfo(start, end int64) (TensorInfo, error) {
	var t TensorInfo
	var elem uint64
	var tensor bool
	err := p.fields(start, end, func(num protowire.Number, typ protowire.Type, s, e int64, _ uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 1:
			var err error
			t.Name, err = p.str(s, e)
			return err
		case 2: // type: TypeProto
			return p.fields(s, e, func(num protowire.Number, typ protowire.Type, s, e int64, _ uint64) error {
				if num != 1 || typ != protowire.BytesType { // tensor_type
					return nil
				}
				tensor = true
				return p.fields(s, e, func(num protowire.Number, typ protowire.Type, s, e int64, v uint64) error {
					switch {
					case num == 1 && typ == protowire.VarintType: // elem_type
						elem = v
					case num == 2 && typ == protowire.BytesType: // shape
						t.Dims = []int64{}
						return p.fields(s, e, func(num protowire.Number, typ protowire.Type, s, e int64, _ uint64) error {
							if num != 1 || typ != protowire.BytesType { // dim
								return nil
							}
							d := int64(-1)
							err := p.fields(s, e, func(num protowire.Number, typ protowire.Type, _, _ int64, v uint64) error {
								if num == 1 && typ == protowire.VarintType && int64(v) >= 0 { // dim_value
									d = int64(v)
								}
								return nil
							})
							t.Dims = append(t.Dims, d)
							return err
						})
					}
					return nil
				})
			})
		}
		return nil
	})
	if !tensor {
		elem = 0
	}
	t.Type = onnxTypeName(elem)
	return t, err
}

// entry reads a StringStringEntryProto.
func (p *pbFile) entry(start, end int64) (k, v string, err error) {
	err = p.fields(start, end, func(num protowire.Number, typ protowire.Type, s, e int64, _ uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		var err error
		switch num {
		case 1:
			k, err = p.str(s, e)
		case 2:
			v, err = p.str(s, e)
		}
		return err
	})
	return k, v, err
}

// pbFile reads protobuf fields from a file through a small window, skipping the bytes of fields it
// does not descend into.
type pbFile struct {
	r      io.ReaderAt
	size   int64
	buf    []byte
	bufOff int64
	// lastBytes is the size of the tensor tensor() read last (0 for an element type of no fixed size).
	lastBytes int64
}

const pbWindow = 64 << 10

// maxPBString bounds the strings and packed fields read into memory (names, locations, metadata).
const maxPBString = 16 << 20

func (p *pbFile) malformed(msg string) error { return notONNX{msg} }

// at returns up to n bytes at off (fewer at the end of the file).
func (p *pbFile) at(off int64, n int) ([]byte, error) {
	if off >= p.bufOff && off+int64(n) <= p.bufOff+int64(len(p.buf)) {
		return p.buf[off-p.bufOff : off-p.bufOff+int64(n)], nil
	}
	size := max(n, pbWindow)
	if rest := p.size - off; int64(size) > rest {
		size = int(max(rest, 0))
	}
	if cap(p.buf) < size {
		p.buf = make([]byte, size)
	}
	p.buf = p.buf[:size]
	k, err := p.r.ReadAt(p.buf, off)
	if k < size && err != nil && err != io.EOF {
		return nil, err
	}
	p.buf, p.bufOff = p.buf[:k], off
	return p.buf[:min(n, k)], nil
}

// fields calls fn for each field of the message in [start, end): for a length-delimited field with
// its content's range, for a varint with its value. Groups are refused (ONNX has none).
func (p *pbFile) fields(start, end int64, fn func(num protowire.Number, typ protowire.Type, s, e int64, v uint64) error) error {
	if end > p.size {
		return p.malformed("truncated")
	}
	for off := start; off < end; {
		b, err := p.at(off, min(20, int(end-off)))
		if err != nil {
			return err
		}
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return p.malformed(fmt.Sprintf("bad field tag at byte %d", off))
		}
		off += int64(n)
		b = b[n:]
		switch typ {
		case protowire.VarintType:
			v, m := protowire.ConsumeVarint(b)
			if m < 0 {
				return p.malformed(fmt.Sprintf("bad varint at byte %d", off))
			}
			off += int64(m)
			if err := fn(num, typ, 0, 0, v); err != nil {
				return err
			}
		case protowire.Fixed32Type:
			off += 4
		case protowire.Fixed64Type:
			off += 8
		case protowire.BytesType:
			l, m := protowire.ConsumeVarint(b)
			if m < 0 || l > uint64(end-off-int64(m)) {
				return p.malformed(fmt.Sprintf("field %d at byte %d runs past its message (a truncated file?)", num, off))
			}
			s := off + int64(m)
			off = s + int64(l)
			if err := fn(num, typ, s, off, 0); err != nil {
				return err
			}
		default:
			return p.malformed(fmt.Sprintf("unsupported wire type %d at byte %d", typ, off))
		}
		if off > end {
			return p.malformed(fmt.Sprintf("a field runs past its message at byte %d (a truncated file?)", off))
		}
	}
	return nil
}

func (p *pbFile) bytes(start, end int64) ([]byte, error) {
	if end-start > maxPBString {
		return nil, p.malformed(fmt.Sprintf("a %d-byte string field at byte %d", end-start, start))
	}
	b := make([]byte, end-start)
	if _, err := p.r.ReadAt(b, start); err != nil && !(err == io.EOF && int64(len(b)) == end-start) {
		return nil, err
	}
	return b, nil
}

func (p *pbFile) str(start, end int64) (string, error) {
	b, err := p.bytes(start, end)
	return string(b), err
}

// onnxTypes names ONNX element types the way the contract does.
var onnxTypes = map[uint64]string{0: "undefined", 1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32",
	7: "int64", 8: "string", 9: "bool", 10: "float16", 11: "float64", 12: "uint32", 13: "uint64", 14: "complex64",
	15: "complex128", 16: "bfloat16", 17: "float8e4m3fn", 18: "float8e4m3fnuz", 19: "float8e5m2", 20: "float8e5m2fnuz",
	21: "uint4", 22: "int4", 23: "float4e2m1"}

func onnxTypeName(t uint64) string {
	if s, ok := onnxTypes[t]; ok {
		return s
	}
	return fmt.Sprintf("onnx type %d", t)
}
