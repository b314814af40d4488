package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
)

// ManifestVersion is the manifest.json schema version.
const ManifestVersion = 1

// Manifest records what the samples of a results directory were made from. It is rewritten atomically
// whenever a model or dataset is first seen.
type Manifest struct {
	SchemaVersion int `json:"schema_version"`
	// ConfigHash is Config.Hash(); Config the parsed config and ConfigYAML its file.
	ConfigHash string  `json:"config_hash"`
	Config     *Config `json:"config"`
	ConfigYAML string  `json:"config_yaml"`
	// Tasks maps "model/dataset/decoding" to its Config.TaskHash.
	Tasks map[string]string `json:"tasks"`
	// Models and Datasets are the provenance of the files used, by name.
	Models   map[string]ModelInfo   `json:"models"`
	Datasets map[string]DatasetInfo `json:"datasets"`
	// Shards lists the shards that wrote here ("i/n"; empty = unsharded).
	Shards []string `json:"shards,omitempty"`
	// Revision is the git revision of the binary that first wrote the directory.
	Revision string `json:"revision,omitempty"`
}

func manifestPath(dir string) string { return filepath.Join(dir, "manifest.json") }

// ReadManifest reads dir/manifest.json.
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(manifestPath(dir))
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, jsonFileError(manifestPath(dir), err)
	}
	if m.SchemaVersion != ManifestVersion {
		return nil, fmt.Errorf("%s: schema_version %d, this binary reads %d", manifestPath(dir), m.SchemaVersion, ManifestVersion)
	}
	if m.Config == nil {
		return nil, fmt.Errorf("%s: no config", manifestPath(dir))
	}
	m.Config.Raw = []byte(m.ConfigYAML)
	if m.Models == nil {
		m.Models = map[string]ModelInfo{}
	}
	if m.Datasets == nil {
		m.Datasets = map[string]DatasetInfo{}
	}
	if m.Tasks == nil {
		m.Tasks = map[string]string{}
	}
	return &m, nil
}

func (m *Manifest) write(dir string) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(manifestPath(dir), append(b, '\n'))
}

func newManifest(cfg *Config, revision string) *Manifest {
	m := &Manifest{
		SchemaVersion: ManifestVersion,
		ConfigHash:    cfg.Hash(),
		Config:        cfg,
		ConfigYAML:    string(cfg.Raw),
		Tasks:         map[string]string{},
		Models:        map[string]ModelInfo{},
		Datasets:      map[string]DatasetInfo{},
		Revision:      revision,
	}
	for _, k := range allTasks(cfg) {
		m.Tasks[k.String()] = cfg.TaskHash(k.Model, k.Dataset, k.Decoding)
	}
	return m
}

func allTasks(cfg *Config) []TaskKey {
	var out []TaskKey
	for _, m := range cfg.Models {
		for _, d := range cfg.Datasets {
			for _, dec := range cfg.Decoding {
				out = append(out, TaskKey{m.Name, d.Name, dec.Name})
			}
		}
	}
	return out
}

// ErrConfigChanged is returned when a results directory holds samples of a different config, model or
// dataset file.
var ErrConfigChanged = errors.New("results directory was written with a different config, model or dataset (use --force to discard the stale samples)")

// reconcile compares an existing manifest with the current config. Tasks present in both must have the
// same identity: a changed one is an error listing them, unless force, which removes the changed tasks'
// sample files. Added tasks (a new model, dataset or decoding) are simply recorded, and removed ones are
// remembered (their hash stays in the manifest), so re-adding them with other settings is caught too.
// Recorded model and dataset hashes are kept either way.
func reconcile(dir string, old *Manifest, cfg *Config, revision string, force bool) (*Manifest, error) {
	cur := newManifest(cfg, revision)
	var changed []string
	for k, h := range old.Tasks {
		if now, ok := cur.Tasks[k]; ok && now != h {
			changed = append(changed, k)
		}
	}
	sort.Strings(changed)
	if len(changed) > 0 && !force {
		return nil, fmt.Errorf("%s: %w: changed: %s", dir, ErrConfigChanged, strings.Join(changed, ", "))
	}
	for _, k := range changed {
		parts := strings.SplitN(k, "/", 3)
		if len(parts) == 3 {
			if err := os.Remove(SamplesPath(dir, TaskKey{parts[0], parts[1], parts[2]})); err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, err
			}
		}
	}
	for k, h := range old.Tasks {
		if _, ok := cur.Tasks[k]; !ok {
			cur.Tasks[k] = h
		}
	}
	for name, mi := range old.Models {
		cur.Models[name] = mi
	}
	for name, di := range old.Datasets {
		cur.Datasets[name] = di
	}
	cur.Shards = old.Shards
	if old.Revision != "" {
		cur.Revision = old.Revision
	}
	return cur, nil
}

// checkModel records a model's sha256 or checks it against the recorded one. With force, a changed model
// discards that model's samples.
func (m *Manifest) checkModel(dir, name string, info ModelInfo, force bool) (changed bool, err error) {
	old, ok := m.Models[name]
	// A manifest written before data_sha256 existed records none: the graph's hash is all it can check.
	dataChanged := old.DataSHA256 != "" && old.DataSHA256 != info.DataSHA256
	if ok && (old.SHA256 != info.SHA256 || dataChanged) {
		if !force {
			if old.SHA256 == info.SHA256 {
				return false, fmt.Errorf("%s: %w: model %q: external weights (%s) sha256 %s, recorded %s", dir, ErrConfigChanged, name, changedDataFiles(old, info), short(info.DataSHA256), short(old.DataSHA256))
			}
			graph := info.Graph
			if graph == "" {
				graph = "model.onnx"
			}
			return false, fmt.Errorf("%s: %w: model %q: %s sha256 %s, recorded %s", dir, ErrConfigChanged, name, graph, short(info.SHA256), short(old.SHA256))
		}
		if err := os.RemoveAll(filepath.Join(dir, "samples", name)); err != nil {
			return false, err
		}
		changed = true
	}
	if !ok || changed || !reflect.DeepEqual(old, info) {
		m.Models[name] = info
		changed = true
	}
	return changed, nil
}

// changedDataFiles names the external weight files whose sha256 differs from the record (all of them
// when the record has no per-file hashes).
func changedDataFiles(old, cur ModelInfo) string {
	var names []string
	for loc, sum := range cur.DataFiles {
		if o, ok := old.DataFiles[loc]; !ok || o != sum {
			names = append(names, loc)
		}
	}
	for loc := range old.DataFiles {
		if _, ok := cur.DataFiles[loc]; !ok {
			names = append(names, loc+" (gone)")
		}
	}
	if len(names) == 0 {
		return "the files the graph reads"
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// checkDataset is checkModel for a dataset file.
func (m *Manifest) checkDataset(dir, name string, info DatasetInfo, models []string, force bool) (changed bool, err error) {
	old, ok := m.Datasets[name]
	if ok && old.SHA256 != info.SHA256 {
		if !force {
			return false, fmt.Errorf("%s: %w: dataset %q: sha256 %s, recorded %s", dir, ErrConfigChanged, name, short(info.SHA256), short(old.SHA256))
		}
		for _, mn := range models {
			if err := os.RemoveAll(filepath.Join(dir, "samples", mn, name)); err != nil {
				return false, err
			}
		}
		changed = true
	}
	if !ok || changed || old != info {
		m.Datasets[name] = info
		changed = true
	}
	return changed, nil
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
