package bench

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// MergeOptions are the merge flags.
type MergeOptions struct {
	// AllowPartial merges even when some shards of an i/n split are missing.
	AllowPartial bool
	Revision     string
	Host         string
	Now          func() time.Time
}

// ExpandShardDirs replaces a directory that holds shard-I-of-N subdirectories (what `run --shard` writes
// under --out) with those subdirectories.
func ExpandShardDirs(dirs []string) []string {
	var out []string
	for _, d := range dirs {
		if _, err := os.Stat(manifestPath(d)); err == nil {
			out = append(out, d)
			continue
		}
		m, _ := filepath.Glob(filepath.Join(d, "shard-*-of-*"))
		if len(m) == 0 {
			out = append(out, d)
			continue
		}
		sort.Strings(m)
		out = append(out, m...)
	}
	return out
}

// Merge combines shard outputs (or any results directories of the same config) into out: the samples of
// each task unioned, deduplicated and sorted as an unsharded run writes them, and results.json, report.md
// and report.html recomputed. Directories of different configs, models or datasets are refused, and so
// are missing shards unless AllowPartial.
func Merge(out string, dirs []string, opt MergeOptions) (*Results, error) {
	dirs = ExpandShardDirs(dirs)
	if len(dirs) == 0 {
		return nil, errors.New("merge: no input directories")
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Host == "" {
		opt.Host, _ = os.Hostname()
	}
	outAbs, _ := filepath.Abs(out)
	var mans []*Manifest
	var results []*Results
	for _, d := range dirs {
		if a, _ := filepath.Abs(d); a == outAbs {
			return nil, fmt.Errorf("merge: the output %s is also an input", out)
		}
		m, err := ReadManifest(d)
		if err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
		mans = append(mans, m)
		r, err := ReadResults(d)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("merge: %w", err)
		}
		results = append(results, r)
	}
	if _, err := os.Stat(manifestPath(out)); err == nil {
		return nil, fmt.Errorf("merge: %s already holds results; merge into a new directory", out)
	}
	base := mans[0]
	merged := &Manifest{SchemaVersion: ManifestVersion, ConfigHash: base.ConfigHash, Config: base.Config,
		ConfigYAML: base.ConfigYAML, Tasks: base.Tasks, Models: map[string]ModelInfo{}, Datasets: map[string]DatasetInfo{},
		Revision: base.Revision}
	shardCount := map[int]map[int]bool{}
	for i, m := range mans {
		if m.ConfigHash != base.ConfigHash {
			return nil, fmt.Errorf("merge: %s was run with a different config than %s (config sha256 %s vs %s)", dirs[i], dirs[0], short(m.ConfigHash), short(base.ConfigHash))
		}
		for n, mi := range m.Models {
			if old, ok := merged.Models[n]; ok && old.SHA256 != mi.SHA256 {
				return nil, fmt.Errorf("merge: model %q differs between inputs (model.onnx sha256 %s vs %s)", n, short(old.SHA256), short(mi.SHA256))
			}
			if old, ok := merged.Models[n]; ok && old.DataSHA256 != mi.DataSHA256 {
				return nil, fmt.Errorf("merge: model %q differs between inputs (external weights sha256 %s vs %s)", n, short(old.DataSHA256), short(mi.DataSHA256))
			}
			if _, ok := merged.Models[n]; !ok {
				merged.Models[n] = mi
			}
		}
		for n, di := range m.Datasets {
			if old, ok := merged.Datasets[n]; ok && old.SHA256 != di.SHA256 {
				return nil, fmt.Errorf("merge: dataset %q differs between inputs (sha256 %s vs %s)", n, short(old.SHA256), short(di.SHA256))
			}
			if _, ok := merged.Datasets[n]; !ok {
				merged.Datasets[n] = di
			}
		}
		for _, s := range m.Shards {
			idx, cnt, ok := parseShardLabel(s)
			if !ok {
				continue
			}
			if shardCount[cnt] == nil {
				shardCount[cnt] = map[int]bool{}
			}
			shardCount[cnt][idx] = true
		}
	}
	if len(shardCount) > 1 {
		return nil, fmt.Errorf("merge: inputs come from different shard splits")
	}
	for cnt, have := range shardCount {
		if len(have) != cnt && !opt.AllowPartial {
			var missing []string
			for i := 0; i < cnt; i++ {
				if !have[i] {
					missing = append(missing, fmt.Sprintf("%d/%d", i, cnt))
				}
			}
			return nil, fmt.Errorf("merge: missing shard(s) %s (use --allow-partial to merge anyway)", strings.Join(missing, ", "))
		}
	}
	// Union the samples.
	samples := map[TaskKey][]Sample{}
	for _, k := range allTasks(base.Config) {
		byKey := map[pairKey][]byte{}
		var all []Sample
		for _, d := range dirs {
			s, err := ReadSamplesFile(SamplesPath(d, k))
			if err != nil {
				return nil, fmt.Errorf("merge: %w", err)
			}
			for _, x := range s {
				b, _ := json.Marshal(x)
				if prev, ok := byKey[x.key()]; ok {
					if !bytes.Equal(prev, b) {
						return nil, fmt.Errorf("merge: %s problem %q sample %d differs between inputs", k, x.ProblemID, x.Sample)
					}
					continue
				}
				byKey[x.key()] = b
				all = append(all, x)
			}
		}
		if len(all) == 0 {
			continue
		}
		sortSamples(all)
		samples[k] = all
		if err := writeSamplesFile(SamplesPath(out, k), all); err != nil {
			return nil, err
		}
	}
	// The merged result covers what the unsharded run would: the union of the shards' shard labels is
	// dropped (an unsharded run has none) and recorded in provenance.
	var shards []string
	for _, m := range mans {
		shards = append(shards, m.Shards...)
	}
	sort.Strings(shards)
	merged.Shards = nil
	if err := merged.write(out); err != nil {
		return nil, err
	}
	res, err := aggregate(aggInput{Manifest: merged, Samples: samples, Revision: opt.Revision,
		Host: opt.Host, Created: opt.Now().UTC().Format(time.RFC3339), Shards: shards})
	if err != nil {
		return nil, err
	}
	// A task is complete when every input that ran it says so.
	for i := range res.Tasks {
		t := &res.Tasks[i]
		for _, r := range results {
			if r == nil {
				continue
			}
			if old, ok := r.Task(t.Model, t.Dataset, t.Decoding); ok && !old.Complete {
				t.Complete = false
			}
		}
	}
	if err := writeOutputs(out, res, samples); err != nil {
		return nil, err
	}
	return res, nil
}

func parseShardLabel(s string) (idx, cnt int, ok bool) {
	a, b, found := strings.Cut(s, "/")
	if !found {
		return 0, 0, false
	}
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	return i, n, err1 == nil && err2 == nil && n > 0
}
