package bench

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// Dir is a results directory read back: its manifest, results.json and samples.
type Dir struct {
	Path     string
	Manifest *Manifest
	Results  *Results
	Samples  map[TaskKey][]Sample
	// Tokenizer loads the tokenizer token ids are decoded with when results are recomputed (nil:
	// LoadTokenizer, the model directory the manifest names).
	Tokenizer TokenizerLoader
}

// OpenDir reads a results directory. results.json is optional when the manifest and samples are there
// (an interrupted run); the samples are optional when results.json is there (a copied results file). A
// results.json of another schema version is set aside when the samples are there (Results is nil, so
// Recompute rebuilds it) and an error otherwise.
func OpenDir(path string) (*Dir, error) {
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &notFoundError{path}
		}
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a results directory", path)
	}
	d := &Dir{Path: path, Samples: map[TaskKey][]Sample{}}
	d.Results, err = ReadResults(path)
	oldResults := errors.Is(err, ErrResultsVersion)

	if err != nil && !errors.Is(err, os.ErrNotExist) && !oldResults {
		return nil, err
	}
	resultsErr := err
	d.Manifest, err = ReadManifest(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if oldResults && d.Manifest == nil {
		// Another schema and no samples to recompute it from.
		return nil, resultsErr
	}
	if d.Manifest == nil && d.Results == nil {
		return nil, fmt.Errorf("%s: no results.json or manifest.json (not a results directory)", path)
	}
	if d.Manifest != nil {
		for _, k := range allTasks(d.Manifest.Config) {
			s, err := ReadSamplesFile(SamplesPath(path, k))
			if err != nil {
				return nil, err
			}
			if len(s) > 0 {
				sortSamples(s)
				d.Samples[k] = s
			}
		}
	}
	return d, nil
}

// Stale reports whether results.json is of an older schema than this binary writes while the samples
// are there to recompute it (report and compare then recompute, so the newer analyses appear).
func (d *Dir) Stale() bool {
	return d.Results != nil && d.Results.SchemaVersion < ResultsVersion && d.Manifest != nil && d.HasSamples()
}

// HasSamples reports whether the directory's samples were found.
func (d *Dir) HasSamples() bool { return len(d.Samples) > 0 }

// Recompute aggregates the directory's samples again, against baseline when it is not "" (a model name
// of the config). Provenance (revision, host, time, shards) is taken from results.json when present.
func (d *Dir) Recompute(baseline string) (*Results, error) {
	if d.Manifest == nil || !d.HasSamples() {
		if d.Results != nil && (baseline == "" || baseline == d.Results.Baseline) {
			return d.Results, nil
		}
		return nil, fmt.Errorf("%s: no samples to recompute from", d.Path)
	}
	cfg := *d.Manifest.Config
	if baseline != "" {
		if _, ok := cfg.Model(baseline); !ok {
			return nil, fmt.Errorf("baseline %q is not a model of %s (models: %s)", baseline, d.Path, strings.Join(cfg.ModelNames(), ", "))
		}
		cfg.Baseline = baseline
	}
	man := *d.Manifest
	man.Config = &cfg
	in := aggInput{Manifest: &man, Samples: d.Samples, Revision: d.Manifest.Revision, Shards: d.Manifest.Shards, Tokenizer: d.Tokenizer}
	if d.Results != nil {
		p := d.Results.Provenance
		in.Revision, in.Host, in.Created, in.Shards = p.Revision, p.Host, p.CreatedAt, p.Shards
	}
	if d.Results == nil {
		// An interrupted run: no plan on record. A task is called complete when it has as many problems
		// as the most complete task of its dataset, times k.
		most := map[string]int{}
		for k, s := range d.Samples {
			most[k.Dataset] = max(most[k.Dataset], countProblems(s))
		}
		in.Expected = map[TaskKey]int{}
		for k := range d.Samples {
			dec, _ := cfg.DecodingByName(k.Decoding)
			in.Expected[k] = most[k.Dataset] * dec.Samples
		}
	}
	res, err := aggregate(in)
	if err != nil {
		return nil, err
	}
	if d.Results != nil {
		res.Provenance.RunLimit = d.Results.Provenance.RunLimit
		// Keep the completeness the run recorded (it knew the plan).
		for i := range res.Tasks {
			if old, ok := d.Results.Task(res.Tasks[i].Model, res.Tasks[i].Dataset, res.Tasks[i].Decoding); ok {
				res.Tasks[i].Complete = old.Complete && old.Samples == res.Tasks[i].Samples
			}
		}
	}
	return res, nil
}

// notFoundError is a results directory that is not there; it matches os.ErrNotExist.
type notFoundError struct{ path string }

func (e *notFoundError) Error() string {
	return fmt.Sprintf("results directory %s not found (give the --out of a run)", e.path)
}
func (e *notFoundError) Unwrap() error { return os.ErrNotExist }
