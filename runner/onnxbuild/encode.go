package onnxbuild

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
	if usesDomain(g, msDomain) {
		m.MSOpset = 1
	}
	if cfg.GenAI {
		m.DocString = "Llama-family decoder with KV cache (onnxruntime-genai model builder I/O: GroupQueryAttention, no position_ids)"
	}
	return m
}

// usesDomain reports whether a node of g or of its subgraphs is of the operator domain.
func usesDomain(g *graph, domain string) bool {
	for _, n := range g.Nodes {
		if n.Domain == domain {
			return true
		}
		for _, a := range n.Attrs {
			if a.Graph != nil && usesDomain(a.Graph, domain) {
				return true
			}
		}
	}
	return false
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

// externalizeFiles moves g's large initializers into the file name in dir, or, with chunk > 0, into
// files of at most chunk bytes each (a larger tensor gets one of its own): name, name_1, name_2, ...
func externalizeFiles(g *graph, dir, name string, chunk int64) error {
	if chunk <= 0 {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if err := externalize(g, name, f); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	// Group the tensors into chunks in order, then write each chunk with externalize on a graph that
	// holds only that chunk's tensors.
	var groups [][]*tensor
	var size int64
	for _, t := range g.Initializers {
		if len(t.Raw) < externalMinBytes {
			continue
		}
		n := int64(len(t.Raw)) + externalAlign
		if len(groups) == 0 || size+n > chunk {
			groups = append(groups, nil)
			size = 0
		}
		groups[len(groups)-1] = append(groups[len(groups)-1], t)
		size += n
	}
	for i, ts := range groups {
		loc := name
		if i > 0 {
			loc = fmt.Sprintf("%s_%d", name, i)
		}
		f, err := os.Create(filepath.Join(dir, loc))
		if err != nil {
			return err
		}
		if err := externalize(&graph{Initializers: ts}, loc, f); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
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
