package runner

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// The external weights of a graph are identified too: a retrained checkpoint exported to a byte-identical
// model.onnx differs in DataSHA256.
func TestDataFilesAndSHA256(t *testing.T) {
	dir := t.TempDir()
	w := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w("model.onnx", "graph")
	w("tokenizer.json", "{}")
	w("model.onnxfoo", "not data")
	graph := filepath.Join(dir, "model.onnx")
	if h, err := DataSHA256(graph); err != nil || h != "" {
		t.Fatalf("no data files: %q %v", h, err)
	}
	w("model.onnx.data", "weights A")
	w("model.onnx_data", "old-style weights")
	files, err := DataFiles(graph)
	if err != nil || !reflect.DeepEqual(files, []string{filepath.Join(dir, "model.onnx.data"), filepath.Join(dir, "model.onnx_data")}) {
		t.Fatalf("DataFiles = %q, %v", files, err)
	}
	a, _ := DataSHA256(graph)
	w("model.onnx.data", "weights B")
	if b, _ := DataSHA256(graph); a == "" || a == b || len(b) != 64 {
		t.Fatalf("DataSHA256 did not follow the weights: %q -> %q", a, b)
	}
}
