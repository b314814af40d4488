package runner

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/acoer/acoer-bench/runner/onnxbuild"
)

// The external weights of a graph are identified by what the graph reads: a retrained checkpoint
// exported to a byte-identical model.onnx differs in DataSHA256, and files beside the graph that it does
// not read (a stale model.onnx_data from another export) do not count.
func TestDataFilesAndSHA256(t *testing.T) {
	cfg, err := onnxbuild.Preset("tiny", len(onnxbuild.ByteTokenizerPieces()))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxSeqLen = 64
	dir := filepath.Join(t.TempDir(), "m")
	yes := true
	if err := onnxbuild.WriteSeededModelDir(dir, cfg, 1, 0, onnxbuild.DirOptions{ExternalData: &yes}); err != nil {
		t.Fatal(err)
	}
	graph := filepath.Join(dir, "model.onnx")
	os.WriteFile(filepath.Join(dir, "model.onnx_data"), []byte("old-style weights of another export"), 0o644)
	files, err := DataFiles(graph)
	if err != nil || !reflect.DeepEqual(files, []string{filepath.Join(dir, "model.onnx.data")}) {
		t.Fatalf("DataFiles = %q, %v", files, err)
	}
	a, err := DataSHA256(graph)
	if err != nil || len(a) != 64 {
		t.Fatalf("DataSHA256 = %q, %v", a, err)
	}
	os.WriteFile(filepath.Join(dir, "model.onnx_data"), []byte("changed, but not read"), 0o644)
	if b, _ := DataSHA256(graph); b != a {
		t.Fatal("a file the graph does not read changed DataSHA256")
	}
	flipByte(t, filepath.Join(dir, "model.onnx.data"), 12345)
	if b, _ := DataSHA256(graph); b == a || len(b) != 64 {
		t.Fatalf("DataSHA256 did not follow the weights: %q -> %q", a, b)
	}
	g, d, err := ModelHashes(dir, "")
	if err != nil || len(g) != 64 || d == a {
		t.Fatalf("ModelHashes = %q %q %v", g, d, err)
	}

	// Inline weights: no data files, no data hash (a stray model.onnx.data is not read).
	inline := filepath.Join(t.TempDir(), "inline")
	if err := onnxbuild.WriteSeededModelDir(inline, cfg, 1, 0, onnxbuild.DirOptions{}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(inline, "model.onnx.data"), []byte("stray"), 0o644)
	if h, err := DataSHA256(filepath.Join(inline, "model.onnx")); err != nil || h != "" {
		t.Fatalf("inline graph: %q %v", h, err)
	}
}
