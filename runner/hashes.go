package runner

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
)

// DataFile is one external weight file of a graph, as recorded in results.
type DataFile struct {
	// Location is the file's path relative to the graph's directory, as the graph names it.
	Location string `json:"location"`
	// SHA256 is the file's sha256 ("" until hashed).
	SHA256 string `json:"sha256,omitempty"`
	// Bytes is how much of the file the graph reads.
	Bytes int64 `json:"bytes"`
}

// ModelHashes returns what Info().ModelSHA256 and Info().DataSHA256 record for a model directory,
// without loading ONNX Runtime: the sha256 of the graph file (model.onnx, or genai_config.json's
// decoder.filename) and DataSHA256 of the external weight files the graph reads.
func ModelHashes(dir string) (graph, data string, err error) {
	md, err := readModelDir(dir)
	if err != nil {
		return "", "", err
	}
	graph, data, _, err = modelHashes(md.ModelFile)
	return graph, data, err
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
