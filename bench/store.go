package bench

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Sample is one graded completion: one line of a samples JSONL file.
type Sample struct {
	Model    string `json:"model"`
	Dataset  string `json:"dataset"`
	Decoding string `json:"decoding"`
	// ProblemID is the dataset's problem id; Index its position in the run plan (the dataset order after
	// the config's limit/seed), which orders the file.
	ProblemID string `json:"problem_id"`
	Index     int    `json:"index"`
	// Sample is the sample index (0..k-1) and Seed its sampling seed.
	Sample int    `json:"sample"`
	Seed   uint64 `json:"seed"`
	// Level and Subject come from the problem's Meta (for breakdowns).
	Level   string `json:"level,omitempty"`
	Subject string `json:"subject,omitempty"`

	Prompt           string `json:"prompt"`
	Completion       string `json:"completion"`
	PromptTokens     int    `json:"prompt_tokens"`
	CompletionTokens int    `json:"completion_tokens"`
	FinishReason     string `json:"finish_reason"`

	Gold        string `json:"gold"`
	Extracted   string `json:"extracted"`
	Correct     bool   `json:"correct"`
	Rule        string `json:"rule"`
	Reason      string `json:"reason,omitempty"`
	ThinkOpened bool   `json:"think_opened,omitempty"`
	ThinkClosed bool   `json:"think_closed,omitempty"`

	// PromptIDs and CompletionIDs are the token ids fed to the model and generated (the EOS id that
	// stopped the sequence included): budget curves, think/answer splits and first-correct positions are
	// computed on them, never on re-tokenised text. Samples written before they existed have none.
	PromptIDs     []int `json:"prompt_ids,omitempty"`
	CompletionIDs []int `json:"completion_ids,omitempty"`

	TTFTMs     float64 `json:"ttft_ms"`
	TotalMs    float64 `json:"total_ms"`
	PerTokenMs float64 `json:"per_token_ms"`
	// ShareWallMs, ShareDecodeSteps and SharePrefillTokens are this sample's part of the engine's work
	// (runner.Share: each decode step split among its rows, each prefill among the samples that share its
	// prompt). Summed over a task they give its wall time, decode steps and prefill tokens, exactly,
	// however its samples were scheduled, interrupted and resumed.
	ShareWallMs        float64 `json:"share_wall_ms,omitempty"`
	ShareDecodeSteps   float64 `json:"share_decode_steps,omitempty"`
	SharePrefillTokens float64 `json:"share_prefill_tokens,omitempty"`
	// BatchWallMs and BatchSize are what files written before the scheduler recorded instead: the wall
	// time of the static batch the sample was part of and its size (read, never written now).
	BatchWallMs float64 `json:"batch_wall_ms,omitempty"`
	BatchSize   int     `json:"batch_size,omitempty"`
}

// pairKey identifies a (problem, sample) pair within a task.
type pairKey struct {
	ID     string
	Sample int
}

func (s Sample) key() pairKey { return pairKey{s.ProblemID, s.Sample} }

// TaskKey names one model x dataset x decoding.
type TaskKey struct {
	Model, Dataset, Decoding string
}

func (k TaskKey) String() string { return k.Model + "/" + k.Dataset + "/" + k.Decoding }

// SamplesPath is where a task's samples live inside a results directory.
func SamplesPath(dir string, k TaskKey) string {
	return filepath.Join(dir, "samples", k.Model, k.Dataset, k.Decoding+".jsonl")
}

// ReadSamples reads a samples file. A last line that is incomplete (no newline, or not valid JSON: a
// write torn by a crash) is dropped and its byte offset returned as good, so an appender can truncate
// it; a bad line before the last is an error with its line number. Repeated (problem, sample) pairs
// keep the first record.
func ReadSamples(r io.Reader, name string) (samples []Sample, good int64, err error) {
	br := bufio.NewReaderSize(r, 1<<16)
	seen := map[pairKey]bool{}
	var off int64
	lineNo := 0
	var pending error
	for {
		line, rerr := br.ReadBytes('\n')
		if len(line) > 0 {
			lineNo++
			if pending != nil {
				// The bad line was not the last one: the file is damaged, not torn.
				return nil, 0, pending
			}
			complete := line[len(line)-1] == '\n'
			var s Sample
			body := bytes.TrimSpace(line)
			if !complete {
				break // torn tail: ignore
			}
			if len(body) == 0 {
				off += int64(len(line))
				continue
			}
			if jerr := decodeSample(body, &s); jerr != nil {
				pending = fmt.Errorf("%s:%d: bad sample record: %v", name, lineNo, jerr)
				continue
			}
			if !seen[s.key()] {
				seen[s.key()] = true
				samples = append(samples, s)
			}
			off += int64(len(line))
		}
		if rerr != nil {
			if errors.Is(rerr, io.EOF) {
				break
			}
			return nil, 0, fmt.Errorf("%s: %w", name, rerr)
		}
	}
	// pending set and nothing after it: a torn last line that happened to end with a newline is not
	// possible with our writer (records are written whole, newline last), but a line with a newline and
	// bad JSON at the very end is treated as torn too.
	return samples, off, nil
}

func decodeSample(b []byte, s *Sample) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(s); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data")
	}
	if s.ProblemID == "" {
		return errors.New("no problem_id")
	}
	if s.Sample < 0 {
		return errors.New("negative sample index")
	}
	return nil
}

// ReadSamplesFile reads a samples file (missing = none).
func ReadSamplesFile(path string) ([]Sample, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s, _, err := ReadSamples(f, path)
	return s, err
}

// appender appends sample records to one task's file as they come. Each record is written whole in one
// write (a killed process loses nothing written); fsync runs at most once per syncEvery and on close, so
// that a machine crash loses at most that much work, which a resumed run generates again.
type appender struct {
	f        *os.File
	path     string
	lastSync time.Time
}

// syncEvery bounds how long appended samples may wait for an fsync.
const syncEvery = time.Second

// openAppender opens a task's file for appending, first reading what is there and cutting a torn tail.
func openAppender(path string) (*appender, []Sample, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, nil, err
	}
	removeStaleTemps(path)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, err
	}
	samples, good, err := ReadSamples(f, path)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if st.Size() != good {
		if err := f.Truncate(good); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("%s: cutting a torn last line: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, nil, err
		}
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, err
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		f.Close()
		return nil, nil, err
	}
	return &appender{f: f, path: path, lastSync: time.Now()}, samples, nil
}

// append writes the records in one write, and fsyncs when the last fsync is syncEvery old.
func (a *appender) append(samples []Sample) error {
	var buf bytes.Buffer
	for _, s := range samples {
		if err := encodeSample(&buf, s); err != nil {
			return err
		}
	}
	if _, err := a.f.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("%s: %w", a.path, err)
	}
	if time.Since(a.lastSync) < syncEvery {
		return nil
	}
	a.lastSync = time.Now()
	return a.f.Sync()
}

// close fsyncs and closes the file (again: a no-op).
func (a *appender) close() error {
	if a.f == nil {
		return nil
	}
	err := a.f.Sync()
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	a.f = nil
	return err
}

// removeStaleTemps removes the temp files a run killed while rewriting path (sortFile) left behind: the
// file itself is whole (the rename had not happened, or had).
func removeStaleTemps(path string) {
	ents, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		return
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "."+filepath.Base(path)+".tmp") {
			os.Remove(filepath.Join(filepath.Dir(path), e.Name()))
		}
	}
}

// tidySamplesFile removes a task file's stale temp files and puts it in plan order (missing: nothing
// to do).
func tidySamplesFile(path string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	removeStaleTemps(path)
	return sortFile(path)
}

// sortFile rewrites a task's file in plan order (atomically: a crash leaves the old file or the new
// one), so that a finished task's file does not depend on the order in which its samples finished.
func sortFile(path string) error {
	s, err := ReadSamplesFile(path)
	if err != nil {
		return err
	}
	if slices.IsSortedFunc(s, planOrder) {
		return nil
	}
	sortSamples(s)
	return writeSamplesFile(path, s)
}

// sortSamples orders records by plan index, then sample index (the order of an uninterrupted run).
func sortSamples(s []Sample) { slices.SortStableFunc(s, planOrder) }

func planOrder(a, b Sample) int {
	if c := cmp.Compare(a.Index, b.Index); c != 0 {
		return c
	}
	if c := cmp.Compare(a.ProblemID, b.ProblemID); c != 0 {
		return c
	}
	return cmp.Compare(a.Sample, b.Sample)
}

// writeSamplesFile writes records atomically (merge).
func writeSamplesFile(path string, samples []Sample) error {
	var buf bytes.Buffer
	for _, s := range samples {
		if err := encodeSample(&buf, s); err != nil {
			return err
		}
	}
	return writeFileAtomic(path, buf.Bytes())
}

// writeFileAtomic writes data to a temp file in the same directory, fsyncs it and renames it over path.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !strings.Contains(err.Error(), "invalid argument") {
		return err
	}
	return nil
}

// encodeSample writes one record and a newline. Model text is written as is, not HTML-escaped, so the
// files read and grep as the model wrote them ("</think>", not "\u003c/think\u003e").
func encodeSample(buf *bytes.Buffer, s Sample) error {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	return enc.Encode(s)
}
