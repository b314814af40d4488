package bench

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/acoer/acoer-bench/datasets"
)

// Shard is a deterministic slice of the problems: problem i of every dataset's plan belongs to shard
// i mod Count. The zero value (Count 0) is unsharded.
type Shard struct {
	Index, Count int
}

func (s Shard) String() string {
	if s.Count <= 1 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// Dir is the shard's subdirectory of an output directory ("" when unsharded).
func (s Shard) Dir() string {
	if s.Count <= 1 {
		return ""
	}
	return fmt.Sprintf("shard-%d-of-%d", s.Index, s.Count)
}

func (s Shard) has(i int) bool { return s.Count <= 1 || i%s.Count == s.Index }

// ParseShard parses "i/n" (0 <= i < n), "auto" or "auto/n". auto takes the index from
// JOB_COMPLETION_INDEX (Kubernetes Indexed Job) or SLURM_ARRAY_TASK_ID minus SLURM_ARRAY_TASK_MIN
// (Slurm array), and the count from "/n", else ACOER_SHARDS, else SLURM_ARRAY_TASK_COUNT. getenv is
// os.Getenv when nil.
func ParseShard(s string, getenv func(string) string) (Shard, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if s == "" {
		return Shard{}, nil
	}
	idxS, cntS, hasCount := strings.Cut(s, "/")
	var idx, cnt int
	var err error
	if idxS == "auto" {
		switch {
		case getenv("JOB_COMPLETION_INDEX") != "":
			idx, err = strconv.Atoi(getenv("JOB_COMPLETION_INDEX"))
			if err != nil {
				return Shard{}, fmt.Errorf("--shard auto: JOB_COMPLETION_INDEX=%q is not a number", getenv("JOB_COMPLETION_INDEX"))
			}
		case getenv("SLURM_ARRAY_TASK_ID") != "":
			idx, err = strconv.Atoi(getenv("SLURM_ARRAY_TASK_ID"))
			if err != nil {
				return Shard{}, fmt.Errorf("--shard auto: SLURM_ARRAY_TASK_ID=%q is not a number", getenv("SLURM_ARRAY_TASK_ID"))
			}
			if m := getenv("SLURM_ARRAY_TASK_MIN"); m != "" {
				min, err := strconv.Atoi(m)
				if err != nil {
					return Shard{}, fmt.Errorf("--shard auto: SLURM_ARRAY_TASK_MIN=%q is not a number", m)
				}
				idx -= min
			}
		default:
			return Shard{}, fmt.Errorf("--shard auto: neither JOB_COMPLETION_INDEX nor SLURM_ARRAY_TASK_ID is set")
		}
		if !hasCount {
			cntS = getenv("ACOER_SHARDS")
			if cntS == "" {
				cntS = getenv("SLURM_ARRAY_TASK_COUNT")
			}
			if cntS == "" {
				return Shard{}, fmt.Errorf("--shard auto: give the shard count as auto/N (or set ACOER_SHARDS)")
			}
		}
	} else {
		if !hasCount {
			return Shard{}, fmt.Errorf("--shard %q: want i/n, auto or auto/n", s)
		}
		idx, err = strconv.Atoi(idxS)
		if err != nil {
			return Shard{}, fmt.Errorf("--shard %q: want i/n, auto or auto/n", s)
		}
	}
	cnt, err = strconv.Atoi(cntS)
	if err != nil || cnt < 1 {
		return Shard{}, fmt.Errorf("--shard %q: shard count %q must be a positive number", s, cntS)
	}
	if idx < 0 || idx >= cnt {
		return Shard{}, fmt.Errorf("--shard %q: index %d out of range 0..%d", s, idx, cnt-1)
	}
	return Shard{Index: idx, Count: cnt}, nil
}

// SampleSeed derives the sampling seed of one sample from the run (or decoding) seed, the dataset, the
// problem id and the sample index. The model is not an input, so a baseline and a candidate draw with
// the same seeds.
func SampleSeed(runSeed uint64, dataset, problemID string, sample int) uint64 {
	h := sha256.New()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], runSeed)
	h.Write(b[:])
	h.Write([]byte(dataset))
	h.Write([]byte{0})
	h.Write([]byte(problemID))
	h.Write([]byte{0})
	binary.LittleEndian.PutUint64(b[:], uint64(sample))
	h.Write(b[:])
	return binary.LittleEndian.Uint64(h.Sum(nil)[:8])
}

// planned is a problem with its plan index.
type planned struct {
	Index   int
	Problem datasets.Problem
}

// selectProblems applies the config's limit/seed (a seeded random subset keeps file order), then the
// run's --limit (a prefix of that plan), then the shard.
func selectProblems(all []datasets.Problem, d DatasetSpec, runLimit int, shard Shard) ([]planned, error) {
	seen := make(map[string]bool, len(all))
	for _, p := range all {
		if seen[p.ID] {
			return nil, fmt.Errorf("dataset %q: duplicate problem id %q", d.Name, p.ID)
		}
		seen[p.ID] = true
	}
	idx := make([]int, len(all))
	for i := range idx {
		idx[i] = i
	}
	if d.Limit > 0 && d.Limit < len(all) {
		if d.Seed != nil {
			r := rand.New(rand.NewPCG(*d.Seed, 0x61636f6572))
			r.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
			idx = idx[:d.Limit]
			sort.Ints(idx)
		} else {
			idx = idx[:d.Limit]
		}
	}
	if runLimit > 0 && runLimit < len(idx) {
		idx = idx[:runLimit]
	}
	var out []planned
	for i, j := range idx {
		if shard.has(i) {
			out = append(out, planned{Index: i, Problem: all[j]})
		}
	}
	return out, nil
}
