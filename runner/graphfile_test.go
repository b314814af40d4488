package runner

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/acoer/acoer-bench/runner/onnxbuild"
	ortgo "github.com/yalue/onnxruntime_go"
	"google.golang.org/protobuf/encoding/protowire"
)

// graphDirs builds model directories of every kind the project writes (and copies in the shared
// onnxruntime-genai fp16 directory when ../shared is there), by name.
func graphDirs(t *testing.T) map[string]string {
	t.Helper()
	dirs := map[string]string{}
	for name, td := range map[string]TinyDecoder{
		"tiny-kv16":        {Vocab: 32, Layers: 3, KV16: true},
		"tiny-nopositions": {Vocab: 40, Layers: 1, NoPositions: true},
		"tiny-logits16":    {Vocab: 24, Layers: 2, Logits16: true},
	} {
		dir := t.TempDir()
		if err := td.WriteDir(dir, 64, 3); err != nil {
			t.Fatal(err)
		}
		dirs[name] = dir
	}
	yes := true
	for name, c := range map[string]struct {
		adjust func(*onnxbuild.LlamaConfig)
		opts   onnxbuild.DirOptions
	}{
		"seeded-inline":   {nil, onnxbuild.DirOptions{}},
		"seeded-external": {nil, onnxbuild.DirOptions{ExternalData: &yes}},
		"seeded-renamed":  {nil, onnxbuild.DirOptions{ExternalData: &yes, ExternalDataName: "weights.bin"}},
		"seeded-kv16":     {func(c *onnxbuild.LlamaConfig) { c.KVFloat16 = true }, onnxbuild.DirOptions{}},
		"genai":           {func(c *onnxbuild.LlamaConfig) { c.GenAI = true }, onnxbuild.DirOptions{ExternalData: &yes}},
		"genai-int4":      {func(c *onnxbuild.LlamaConfig) { c.GenAI, c.Int4 = true, true }, onnxbuild.DirOptions{}},
		"tjs-q4-chunks": {func(c *onnxbuild.LlamaConfig) { c.Quant = onnxbuild.QuantQ4 },
			onnxbuild.DirOptions{Layout: onnxbuild.LayoutTransformersJS, ExternalData: &yes, ExternalChunkBytes: 64 << 10}},
		"tjs-bnb4-keep": {func(c *onnxbuild.LlamaConfig) { c.Quant, c.LogitsToKeep = onnxbuild.QuantBnb4, "num_logits_to_keep" },
			onnxbuild.DirOptions{Layout: onnxbuild.LayoutTransformersJS}},
		"merged-cachepos": {func(c *onnxbuild.LlamaConfig) { c.CachePosition, c.Quant = true, onnxbuild.QuantQ8 },
			onnxbuild.DirOptions{Layout: onnxbuild.LayoutOptimumMerged, ExternalData: &yes}},
		"split-last-logits16": {func(c *onnxbuild.LlamaConfig) {
			c.LastLogitsOnly, c.LogitsFloat16, c.Quant = true, true, onnxbuild.QuantFP16
		},
			onnxbuild.DirOptions{Layout: onnxbuild.LayoutOptimumSplit, Subfolder: true}},
	} {
		cfg, err := onnxbuild.Preset("tiny", len(onnxbuild.ByteTokenizerPieces()))
		if err != nil {
			t.Fatal(err)
		}
		cfg.MaxSeqLen = 128
		if c.adjust != nil {
			c.adjust(&cfg)
		}
		dir := filepath.Join(t.TempDir(), name)
		if err := onnxbuild.WriteSeededModelDir(dir, cfg, 3, 0, c.opts); err != nil {
			t.Fatal(err)
		}
		dirs[name] = dir
	}
	return dirs
}

// sharedGenAICopy copies ../shared/models/genai-tiny-llama-fp16 into a temp dir (tests may damage it).
func sharedGenAICopy(t *testing.T) string {
	t.Helper()
	src := filepath.Join(sharedDir(t), "models", "genai-tiny-llama-fp16")
	if _, err := os.Stat(src); err != nil {
		t.Skipf("shared genai fp16 model not found at %s", src)
	}
	dst := filepath.Join(t.TempDir(), "genai-fp16")
	copyDir(t, src, dst)
	return dst
}

// The graph's inputs, outputs and metadata read from the file equal what ONNX Runtime reports from a
// session, for every kind of graph the project builds and the real onnxruntime-genai fp16 export.
func TestGraphFileMatchesORT(t *testing.T) {
	needORT(t)
	dirs := graphDirs(t)
	if _, err := os.Stat(filepath.Join(sharedDirOrEmpty(), "models", "genai-tiny-llama-fp16")); err == nil {
		dirs["shared-genai-fp16"] = sharedGenAICopy(t)
	}
	for name, dir := range dirs {
		md, err := readModelDir(dir, "")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, file := range []string{md.ModelFile, md.FirstFile} {
			if file != "" {
				graphMatchesORT(t, name, file)
			}
		}
	}
}

// graphMatchesORT compares what readGraphFile finds in file with what ONNX Runtime reports.
func graphMatchesORT(t *testing.T, name, file string) {
	t.Helper()
	{
		g, err := readGraphFile(file)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ins, outs, err := ortgo.GetInputOutputInfo(file)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if want := tensorInfos(ins); !reflect.DeepEqual(g.Inputs, want) {
			t.Errorf("%s: inputs\n got %v\nwant %v", name, g.Inputs, want)
		}
		if want := tensorInfos(outs); !reflect.DeepEqual(g.Outputs, want) {
			t.Errorf("%s: outputs\n got %v\nwant %v", name, g.Outputs, want)
		}
		want, err := ortMetadata(file)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(g.Metadata, want) {
			t.Errorf("%s: metadata\n got %v\nwant %v", name, g.Metadata, want)
		}
	}
}

// sharedDirOrEmpty is ../shared next to the repository root, or "" (no skip).
func sharedDirOrEmpty() string {
	d, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, "..", "shared")
		}
		if filepath.Dir(d) == d {
			return ""
		}
		d = filepath.Dir(d)
	}
}

// External data is found by what the graph reads, whatever the file is called.
func TestExternalDataFromGraph(t *testing.T) {
	dirs := graphDirs(t)
	for name, want := range map[string]string{"seeded-external": "model.onnx.data", "seeded-renamed": "weights.bin", "genai": "model.onnx.data"} {
		file := filepath.Join(dirs[name], "model.onnx")
		files, err := ExternalData(file)
		if err != nil || len(files) != 1 || files[0].Location != want || files[0].Path != filepath.Join(dirs[name], want) || files[0].Tensors == 0 {
			t.Fatalf("%s: %+v, %v", name, files, err)
		}
		st, err := os.Stat(files[0].Path)
		if err != nil || files[0].Need != st.Size() {
			t.Errorf("%s: need %d bytes, file has %v (%v)", name, files[0].Need, st.Size(), err)
		}
		if err := CheckExternalData(file, files); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, name := range []string{"seeded-inline", "tiny-kv16", "genai-int4"} {
		if files, err := ExternalData(filepath.Join(dirs[name], "model.onnx")); err != nil || files != nil {
			t.Errorf("%s: inline weights, got %+v, %v", name, files, err)
		}
	}

	// The weights' hash follows the renamed file (the old name-based lookup found nothing here).
	dir := dirs["seeded-renamed"]
	graph := filepath.Join(dir, "model.onnx")
	a, err := DataSHA256(graph)
	if err != nil || len(a) != 64 {
		t.Fatalf("DataSHA256 = %q, %v", a, err)
	}
	flipByte(t, filepath.Join(dir, "weights.bin"), 5000)
	b, _ := DataSHA256(graph)
	if b == a {
		t.Fatal("changed weights.bin, same DataSHA256")
	}
	// A stray file beside the graph that it does not read changes nothing.
	os.WriteFile(filepath.Join(dir, "model.onnx.data"), []byte("unrelated"), 0o644)
	if c, _ := DataSHA256(graph); c != b {
		t.Fatal("a file the graph does not read changed DataSHA256")
	}

	// Missing, truncated and LFS-pointer data files are named before ONNX Runtime sees them.
	files, _ := ExternalData(graph)
	data := filepath.Join(dir, "weights.bin")
	full, _ := os.ReadFile(data)
	for _, c := range []struct {
		body []byte
		want string
	}{
		{nil, "weights.bin, which is missing"},
		{full[:len(full)-1], "(a truncated or partial download?)"},
		{[]byte(lfsPrefix + "v1\noid sha256:abc\nsize 123\n"), "is a Git LFS pointer, not the model's weights: run git lfs pull"},
		{[]byte{}, "is an empty file"},
	} {
		os.Remove(data)
		if c.body != nil {
			os.WriteFile(data, c.body, 0o644)
		}
		err := CheckExternalData(graph, files)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), data) || strings.Contains(err.Error(), "\n") {
			t.Errorf("want %q naming %s, got %v", c.want, data, err)
		}
	}
}

func flipByte(t *testing.T, path string, off int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[off%int64(len(b))] ^= 0xff
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Tensors kept outside the file are found wherever ONNX allows them: initializers, sparse
// initializers, Constant node attributes, If/Loop subgraphs (nested), attribute lists and functions.
func TestExternalDataEverywhere(t *testing.T) {
	ext := func(name, loc string, off, length int64) []byte {
		var b []byte
		b = protowire.AppendTag(b, 1, protowire.VarintType)
		b = protowire.AppendVarint(b, 4)
		b = protowire.AppendTag(b, 2, protowire.VarintType)
		b = protowire.AppendVarint(b, 1) // float
		b = protowire.AppendTag(b, 8, protowire.BytesType)
		b = protowire.AppendString(b, name)
		entry := func(k, v string) {
			var e []byte
			e = protowire.AppendTag(e, 1, protowire.BytesType)
			e = protowire.AppendString(e, k)
			e = protowire.AppendTag(e, 2, protowire.BytesType)
			e = protowire.AppendString(e, v)
			b = protowire.AppendTag(b, 13, protowire.BytesType)
			b = protowire.AppendBytes(b, e)
		}
		entry("location", loc)
		entry("offset", strconv.FormatInt(off, 10))
		if length >= 0 {
			entry("length", strconv.FormatInt(length, 10))
		}
		b = protowire.AppendTag(b, 14, protowire.VarintType)
		b = protowire.AppendVarint(b, 1)
		return b
	}
	msg := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	field := func(num protowire.Number, v []byte) []byte {
		b := protowire.AppendTag(nil, num, protowire.BytesType)
		return protowire.AppendBytes(b, v)
	}
	inner := msg(field(5, ext("deep", "deep/w.bin", 0, 8))) // graph with an initializer
	ifAttr := msg(field(1, []byte("then_branch")), field(6, msg(field(1, msg(field(5, msg(field(6, inner))))))))
	listAttr := msg(field(1, []byte("x")), field(10, ext("listed", "list.bin", 16, 16)), field(11, inner))
	constAttr := msg(field(1, []byte("value")), field(5, ext("const", "const.bin", 0, -1)))
	sparse := msg(field(1, ext("sp_values", "sparse.bin", 0, 4)), field(2, ext("sp_idx", "sparse.bin", 4, 8)))
	graph := msg(
		field(1, msg(field(4, []byte("If")), field(5, ifAttr))),
		field(1, msg(field(4, []byte("Custom")), field(5, listAttr))),
		field(1, msg(field(4, []byte("Constant")), field(5, constAttr))),
		field(5, ext("w0", "model.onnx_data", 0, 1024)),
		field(5, ext("w1", "model.onnx_data_1", 512, 100)),
		field(15, sparse),
	)
	fn := msg(field(7, msg(field(4, []byte("Constant")), field(5, msg(field(5, ext("fnconst", "fn.bin", 0, 2)))))))
	model := msg(protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 8), field(7, graph), field(25, fn))

	dir := t.TempDir()
	file := filepath.Join(dir, "model_fp16.onnx")
	if err := os.WriteFile(file, model, 0o644); err != nil {
		t.Fatal(err)
	}
	files, err := ExternalData(file)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][2]int64{}
	for _, f := range files {
		got[f.Location] = [2]int64{f.Need, int64(f.Tensors)}
	}
	want := map[string][2]int64{
		"deep/w.bin": {8, 2}, "list.bin": {32, 1}, "const.bin": {16, 1}, // 4 float32 without a length: 16 bytes
		"model.onnx_data": {1024, 1}, "model.onnx_data_1": {612, 1}, "sparse.bin": {12, 2}, "fn.bin": {2, 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}

	// A location outside the directory is refused.
	bad := msg(field(7, msg(field(5, ext("w", "../elsewhere.bin", 0, 4)))))
	os.WriteFile(file, bad, 0o644)
	if _, err := ExternalData(file); err == nil || !strings.Contains(err.Error(), "outside the model directory") {
		t.Errorf("escaping location: %v", err)
	}
}

// A file that is not an ONNX model says so in one line: empty, a Git LFS pointer, text, truncated.
func TestGraphFileNotONNX(t *testing.T) {
	dirs := graphDirs(t)
	good, err := os.ReadFile(filepath.Join(dirs["seeded-inline"], "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "model.onnx")
	for _, c := range []struct {
		body []byte
		want string
	}{
		{[]byte{}, "is an empty file, not an ONNX model"},
		{[]byte(lfsPrefix + "v1\noid sha256:4859e5dbde90e059988a0a2136d8df3f2773d4d2fc4c4543690028f0b2166e7f\nsize 2097152\n"), "is a Git LFS pointer, not an ONNX model: run git lfs pull"},
		{[]byte("<html>404 Not Found</html>\n"), "is not an ONNX model"},
		{good[:len(good)/2], "is not an ONNX model"},
		{[]byte{0x08, 0x08}, "is not an ONNX model: no graph"},
	} {
		os.WriteFile(file, c.body, 0o644)
		_, err := readGraphFile(file)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), file) || strings.Contains(err.Error(), "\n") ||
			!isBadModelDir(err) {
			t.Errorf("%.30q: want %q, got %v", c.body, c.want, err)
		}
	}
}

func isBadModelDir(err error) bool {
	for e := err; e != nil; {
		if e == ErrBadModelDir {
			return true
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				if isBadModelDir(x) {
					return true
				}
			}
			return false
		case interface{ Unwrap() error }:
			e = u.Unwrap()
		default:
			return false
		}
	}
	return false
}

// FuzzGraphFile: any bytes give a graph or an error, never a panic or a hang.
func FuzzGraphFile(f *testing.F) {
	td := TinyDecoder{Vocab: 8, Layers: 1}
	f.Add(td.ONNX())
	f.Add([]byte{0x3a, 0x02, 0x2a, 0x00})
	f.Add([]byte(lfsPrefix))
	f.Fuzz(func(t *testing.T, b []byte) {
		if g, err := parseGraphFile(bytesReaderAt(b), int64(len(b))); err == nil {
			externalFiles("/m/model.onnx", g.External)
		}
	})
}

type bytesReaderAt []byte

func (b bytesReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(b)) {
		return 0, io.EOF
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// ortMetadata is the model metadata as ONNX Runtime reports it (it creates a session), for comparison.
func ortMetadata(file string) (map[string]string, error) {
	m, err := ortgo.GetModelMetadata(file)
	if err != nil {
		return nil, err
	}
	defer m.Destroy()
	out := map[string]string{}
	if v, err := m.GetProducerName(); err == nil && v != "" {
		out["producer"] = v
	}
	if v, err := m.GetGraphName(); err == nil && v != "" {
		out["graph"] = v
	}
	if v, err := m.GetDomain(); err == nil && v != "" {
		out["domain"] = v
	}
	if v, err := m.GetDescription(); err == nil && v != "" {
		out["description"] = v
	}
	if v, err := m.GetVersion(); err == nil && v != 0 && v != math.MaxInt64 {
		out["version"] = fmt.Sprint(v)
	}
	keys, err := m.GetCustomMetadataMapKeys()
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if v, ok, err := m.LookupCustomMetadataMap(k); err == nil && ok {
			out[k] = v
		}
	}
	return out, nil
}
