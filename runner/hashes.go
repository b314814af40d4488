package runner

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// DataFile is one file besides the decoder graph that a model reads (an external weight file, or a
// split pair's first-step graph), as recorded in results.
type DataFile struct {
	// Location is the file's path relative to the model directory (for a graph at the top, as the
	// graph's external_data entries name it; onnx/model.onnx_data for onnx/model.onnx's).
	Location string `json:"location"`
	// SHA256 is the file's sha256 ("" until hashed).
	SHA256 string `json:"sha256,omitempty"`
	// Bytes is how much of the file the graph reads.
	Bytes int64 `json:"bytes"`
}

// ModelHashes returns what Info().ModelSHA256 and Info().DataSHA256 record for a model directory and
// graph variant ("" = the plain file name; see Options.Variant), without loading ONNX Runtime: the
// sha256 of the decoder graph file (model.onnx, genai_config.json's decoder.filename,
// onnx/model_<variant>.onnx, decoder_model_merged.onnx, a split pair's decoder_with_past_model.onnx) and
// DataSHA256 of every other file the model reads (the graphs' external weights, a split pair's
// decoder_model.onnx).
func ModelHashes(dir, variant string) (graph, data string, err error) {
	md, err := readModelDir(dir, variant)
	if err != nil {
		return "", "", err
	}
	gs, err := readGraphs(md)
	if err != nil {
		return "", "", err
	}
	if graph, err = fileSHA256(md.ModelFile); err != nil {
		return "", "", err
	}
	data, _, err = dataHashes(gs.files)
	return graph, data, err
}

// modelGraphs are a model directory's parsed graphs and the other files they read.
type modelGraphs struct {
	main  *graphFile
	first *graphFile // a split pair's decoder_model.onnx; nil otherwise
	// files are every file besides the main graph that the model reads, by their path relative to the
	// model directory (slashes), sorted: each graph's external data (as its external_data entries name
	// it), and a split pair's first-step graph itself.
	files []ExternalFile
}

// readGraphs parses md's graph(s) and lists the files they read.
func readGraphs(md *modelDir) (*modelGraphs, error) {
	gs := &modelGraphs{}
	var err error
	if gs.main, err = readGraphFile(md.ModelFile); err != nil {
		return nil, err
	}
	byLoc := map[string]ExternalFile{}
	add := func(graphPath string, g *graphFile) error {
		ext, err := externalFiles(graphPath, g.External)
		if err != nil {
			return err
		}
		for _, f := range ext {
			f.Location = relSlash(md.Dir, f.Path)
			if old, ok := byLoc[f.Location]; ok {
				f.Need, f.Tensors = max(f.Need, old.Need), f.Tensors+old.Tensors
			}
			byLoc[f.Location] = f
		}
		return nil
	}
	if err := add(md.ModelFile, gs.main); err != nil {
		return nil, err
	}
	if md.FirstFile != "" {
		if gs.first, err = readGraphFile(md.FirstFile); err != nil {
			return nil, err
		}
		st, err := os.Stat(md.FirstFile)
		if err != nil {
			return nil, badModelDir(err)
		}
		loc := relSlash(md.Dir, md.FirstFile)
		byLoc[loc] = ExternalFile{Location: loc, Path: md.FirstFile, Need: st.Size(), Graph: md.FirstFile}
		if err := add(md.FirstFile, gs.first); err != nil {
			return nil, err
		}
	}
	for _, f := range byLoc {
		gs.files = append(gs.files, f)
	}
	sort.Slice(gs.files, func(i, j int) bool { return gs.files[i].Location < gs.files[j].Location })
	return gs, nil
}

// relSlash is path relative to dir, with slashes.
func relSlash(dir, path string) string {
	rel, err := filepath.Rel(dir, path)
	if err != nil {
		return filepath.ToSlash(path)
	}
	return filepath.ToSlash(rel)
}

// modelHashes hashes a graph file and the external data files it reads.
func modelHashes(modelFile string) (graph, data string, files []DataFile, err error) {
	ext, err := ExternalData(modelFile)
	if err != nil {
		return "", "", nil, err
	}
	if graph, err = fileSHA256(modelFile); err != nil {
		return "", "", nil, err
	}
	data, files, err = dataHashes(ext)
	return graph, data, files, err
}

// dataHashes hashes each external file and combines them as DataSHA256 does.
func dataHashes(ext []ExternalFile) (string, []DataFile, error) {
	if len(ext) == 0 {
		return "", nil, nil
	}
	h := sha256.New()
	files := make([]DataFile, len(ext))
	for i, f := range ext {
		sum, err := fileSHA256(f.Path)
		if err != nil {
			return "", nil, err
		}
		files[i] = DataFile{Location: f.Location, SHA256: sum, Bytes: f.Need}
		fmt.Fprintf(h, "%s %s\n", f.Location, sum)
	}
	return hex.EncodeToString(h.Sum(nil)), files, nil
}

// hash fills info's sha256 fields from p's files.
func (p *prepared) hash(info *Info) error {
	sum, err := fileSHA256(p.md.ModelFile)
	if err != nil {
		return err
	}
	data, files, err := dataHashes(p.ext)
	if err != nil {
		return err
	}
	info.ModelSHA256, info.DataSHA256, info.DataFiles = sum, data, files
	return nil
}

// DataFiles lists the external weight files the graph modelFile reads (absolute paths, sorted by
// their location in the graph): read from the graph's TensorProto.external_data entries, whatever the
// files are called (model.onnx.data, model.onnx_data, model.onnx_data_1, ...). See ExternalData.
func DataFiles(modelFile string) ([]string, error) {
	ext, err := ExternalData(modelFile)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range ext {
		out = append(out, f.Path)
	}
	return out, nil
}

// DataSHA256 is the sha256 of the lines "LOCATION SHA256\n" of the external weight files the graph
// reads, sorted by location ("" when it has none): a retrained checkpoint exported to the same graph
// differs here even when model.onnx is byte-identical.
func DataSHA256(modelFile string) (string, error) {
	ext, err := ExternalData(modelFile)
	if err != nil {
		return "", err
	}
	sum, _, err := dataHashes(ext)
	return sum, err
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
