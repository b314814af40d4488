package onnxbuild

import (
	"bufio"
	"fmt"
	"io"
)

// ExternalDataName is the external data file written next to model.onnx for large models.
const ExternalDataName = "model.onnx.data"

// Producer identifies this builder in the model's producer_name.
const Producer = "acoer-bench onnxbuild"

const (
	// externalMinBytes: initializers smaller than this stay inline even in external mode (as
	// onnx.save's size_threshold does).
	externalMinBytes = 1024
	// externalAlign aligns external tensors' offsets so ONNX Runtime can mmap them.
	externalAlign = 4096
)

func newModel(cfg LlamaConfig, g *graph) *model {
	rope := "half"
	if cfg.RopeInterleaved {
		rope = "interleaved"
	}
	m := &model{
		IRVersion:    irVersion,
		Opset:        opsetVer,
		ProducerName: Producer,
		DocString:    "Llama-family decoder with KV cache (optimum text-generation-with-past I/O)",
		Graph:        g,
		Metadata:     [][2]string{{"rope_layout", rope}},
	}
	if cfg.GenAI {
		m.MSOpset = 1
		m.DocString = "Llama-family decoder with KV cache (onnxruntime-genai model builder I/O: GroupQueryAttention, no position_ids)"
	}
	return m
}

// BuildONNX returns a self-contained model.onnx for cfg and w (all weights inline; protobuf limits
// this to models under 2 GB).
func BuildONNX(cfg LlamaConfig, w *Weights) ([]byte, error) {
	g, err := buildGraph(cfg, w)
	if err != nil {
		return nil, err
	}
	return newModel(cfg, g).marshal(), nil
}

// weightBytes is the total size of g's initializers.
func weightBytes(g *graph) int64 {
	var n int64
	for _, t := range g.Initializers {
		n += int64(len(t.Raw))
	}
	return n
}

// externalize writes the data of g's large initializers to data (named location relative to the
// model file) and points the tensors at it.
func externalize(g *graph, location string, data io.Writer) error {
	bw := bufio.NewWriterSize(data, 1<<20)
	var off int64
	pad := make([]byte, externalAlign)
	for _, t := range g.Initializers {
		if len(t.Raw) < externalMinBytes {
			continue
		}
		if r := off % externalAlign; r != 0 {
			if _, err := bw.Write(pad[:externalAlign-r]); err != nil {
				return err
			}
			off += externalAlign - r
		}
		if _, err := bw.Write(t.Raw); err != nil {
			return fmt.Errorf("writing external data: %w", err)
		}
		t.External = &externalRef{Location: location, Offset: off, Length: int64(len(t.Raw))}
		off += int64(len(t.Raw))
		t.Raw = nil
	}
	return bw.Flush()
}
