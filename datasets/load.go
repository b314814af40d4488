package datasets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Loader kinds (Spec.Kind).
const (
	KindGSM8K   = "gsm8k"   // question; gold = text after the final "#### " of answer, commas removed
	KindMATH500 = "math500" // problem, answer; meta level, subject, unique_id (also the ID)
	KindMATH    = "math"    // problem; gold = last \boxed{} of solution; meta level, level_raw, subject, type, idx
	KindAIME24  = "aime24"  // id (int), problem, answer (string); meta year, url
	KindAIME25  = "aime25"  // id (string), problem, answer (int); meta year, exam, number
	KindAMC23   = "amc23"   // id (int), problem, answer (float); meta year, url
	KindJSONL   = "jsonl"   // any JSONL file, read through a FieldMap
)

// Kinds lists the loader kinds.
func Kinds() []string {
	return []string{KindGSM8K, KindMATH500, KindMATH, KindAIME24, KindAIME25, KindAMC23, KindJSONL}
}

// FieldMap says which fields of a JSONL file (kind jsonl) hold what. Empty names take the defaults
// shown.
type FieldMap struct {
	// Question is the field with the problem text (default "question").
	Question string `json:"question,omitempty" yaml:"question,omitempty"`
	// Answer is the field with the gold answer: a string, an integer or a float (default "answer").
	Answer string `json:"answer,omitempty" yaml:"answer,omitempty"`
	// ID is the field with a unique id, a string or an integer (default "id"; when the file has no such
	// field, a record's id is its 0-based line index).
	ID string `json:"id,omitempty" yaml:"id,omitempty"`
	// Meta lists fields copied into Problem.Meta under the same names (when present).
	Meta []string `json:"meta,omitempty" yaml:"meta,omitempty"`
	// Extract post-processes the answer field: "" (as is), "boxed" (the last \boxed{} of it, as for
	// MATH solutions) or "gsm8k" (the text after the final "#### ", commas removed).
	Extract string `json:"extract,omitempty" yaml:"extract,omitempty"`
}

func (f FieldMap) withDefaults() FieldMap {
	if f.Question == "" {
		f.Question = "question"
	}
	if f.Answer == "" {
		f.Answer = "answer"
	}
	if f.ID == "" {
		f.ID = "id"
	}
	return f
}

// Errors a caller may want to tell apart (besides *ParseError and *DownloadError).
var (
	// ErrUnknown: the name is not a known dataset and no path was given.
	ErrUnknown = errors.New("unknown dataset")
	// ErrBadSpec: the Spec itself is wrong (no name, no or unknown kind).
	ErrBadSpec = errors.New("bad dataset spec")
	// ErrNotCached: downloads are off and the cache has no good copy.
	ErrNotCached = errors.New("not in the cache")
)

// Spec says which dataset to load and from where.
type Spec struct {
	// Name is the dataset's name: a known one (see Known) or any label for a local file.
	Name string
	// Kind selects the loader; "" means the known dataset's kind (Name's).
	Kind string
	// Path is a local JSONL file; "" means the cache, then a download.
	Path string
	// CacheDir overrides the cache directory ("" = DefaultCacheDir()).
	CacheDir string
	// Fields maps the fields of a jsonl-kind file.
	Fields FieldMap
	// Offline forbids downloading: a dataset missing from the cache is an error.
	Offline bool
	// Downloader fetches missing files (nil = a Downloader with default settings).
	Downloader *Downloader
}

// Info records where the problems came from, for provenance in results.
type Info struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Path   string `json:"path"`   // the file read
	SHA256 string `json:"sha256"` // of the file's bytes
	Count  int    `json:"count"`  // problems loaded
	// Source is "path" (an explicit local file), "cache" or "download" (fetched now into the cache).
	Source string `json:"source"`
	// Origin is the public origin ("repo@commit:path") when the file is a known dataset's (by sha256).
	Origin string `json:"origin,omitempty"`
	// Verified is true when the file's sha256 matches the registry's for a known dataset.
	Verified bool `json:"verified"`
}

// Load loads a dataset: Spec.Path when given, else the cached file of a known dataset (its sha256
// checked), else a download into the cache (unless Spec.Offline). See LoadContext.
func Load(spec Spec) ([]Problem, Info, error) {
	return LoadContext(context.Background(), spec)
}

// LoadContext is Load with a context for the download.
func LoadContext(ctx context.Context, spec Spec) ([]Problem, Info, error) {
	kind := spec.Kind
	if spec.Name == "" && spec.Path == "" {
		spec.Name = kind // Spec{Kind: "gsm8k"} means the known gsm8k set
	}
	entry, known := Lookup(spec.Name)
	if kind == "" {
		if !known {
			if spec.Name == "" {
				return nil, Info{}, fmt.Errorf("%w: neither a name nor a kind given", ErrBadSpec)
			}
			if spec.Path != "" {
				return nil, Info{}, fmt.Errorf("%w: dataset %q: no kind given for %s (kinds: %s)", ErrBadSpec, spec.Name, spec.Path, strings.Join(Kinds(), ", "))
			}
			return nil, Info{}, errUnknown(spec.Name)
		}
		kind = entry.Kind
	}
	if !validKind(kind) {
		return nil, Info{}, fmt.Errorf("%w: dataset %q: unknown kind %q (kinds: %s)", ErrBadSpec, spec.Name, kind, strings.Join(Kinds(), ", "))
	}
	info := Info{Name: spec.Name, Kind: kind}
	var data []byte
	switch {
	case spec.Path != "":
		b, err := os.ReadFile(spec.Path)
		if err != nil {
			return nil, info, fmt.Errorf("dataset %q: %w", spec.Name, err)
		}
		data, info.Path, info.Source = b, spec.Path, "path"
	case !known:
		return nil, info, errUnknown(spec.Name)
	default:
		dir := spec.CacheDir
		if dir == "" {
			dir = DefaultCacheDir()
		}
		path := CachePath(dir, entry.Name)
		b, err := os.ReadFile(path)
		if err == nil && sha256Hex(b) != entry.SHA256 {
			if spec.Offline {
				return nil, info, fmt.Errorf("dataset %q: %w: cached file %s has sha256 %s, want %s (run `acoer-bench datasets download %s` to fetch it again)", entry.Name, ErrNotCached, path, sha256Hex(b), entry.SHA256, entry.Name)
			}
			err = os.ErrNotExist // stale or damaged: fetch it again (the rename replaces it)
		}
		info.Source = "cache"
		if errors.Is(err, os.ErrNotExist) && !spec.Offline {
			d := spec.Downloader
			if d == nil {
				d = &Downloader{}
			}
			d2 := *d
			d2.CacheDir = dir
			if _, err = d2.Fetch(ctx, entry); err != nil {
				return nil, info, err
			}
			b, err = os.ReadFile(path)
			info.Source = "download"
		}
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, info, fmt.Errorf("dataset %q: %w (%s) and downloads are off; run `acoer-bench datasets download %s` or give a local path", entry.Name, ErrNotCached, path, entry.Name)
			}
			return nil, info, fmt.Errorf("dataset %q: %w", entry.Name, err)
		}
		data, info.Path = b, path
	}
	info.SHA256 = sha256Hex(data)
	if e, ok := lookupBySHA(info.SHA256); ok {
		info.Origin = e.Source()
		info.Verified = !known || e.Name == entry.Name
	}
	ps, err := Parse(kind, info.Path, data, spec.Fields)
	if err != nil {
		return nil, info, err
	}
	info.Count = len(ps)
	return ps, info, nil
}

func validKind(k string) bool {
	for _, x := range Kinds() {
		if x == k {
			return true
		}
	}
	return false
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Parse reads JSONL bytes with the loader of kind; file names the data in errors. Every error is a
// *ParseError with the file and line number.
func Parse(kind, file string, data []byte, fields FieldMap) ([]Problem, error) {
	if file == "" {
		file = "<input>"
	}
	recs, err := splitRecords(file, data)
	if err != nil {
		return nil, err
	}
	conv, err := converter(kind, fields)
	if err != nil {
		return nil, &ParseError{file, 0, err}
	}
	out := make([]Problem, 0, len(recs))
	seen := make(map[string]int, len(recs))
	for _, r := range recs {
		p, err := conv(r)
		if err != nil {
			return nil, &ParseError{file, r.line, err}
		}
		if p.ID == "" {
			p.ID = fmt.Sprint(r.line - 1)
		}
		if strings.TrimSpace(p.Question) == "" {
			return nil, &ParseError{file, r.line, errors.New("empty question")}
		}
		if strings.TrimSpace(p.Gold) == "" {
			return nil, &ParseError{file, r.line, errors.New("empty gold answer")}
		}
		if prev, dup := seen[p.ID]; dup {
			return nil, &ParseError{file, r.line, fmt.Errorf("duplicate id %q (first on line %d)", p.ID, prev)}
		}
		seen[p.ID] = r.line
		out = append(out, p)
	}
	return out, nil
}

// converter returns the record-to-Problem function of kind.
func converter(kind string, fields FieldMap) (func(record) (Problem, error), error) {
	switch kind {
	case KindGSM8K:
		return convGSM8K, nil
	case KindMATH500:
		return convMATH500, nil
	case KindMATH:
		return convMATH, nil
	case KindAIME24:
		return convAIME24, nil
	case KindAIME25:
		return convAIME25, nil
	case KindAMC23:
		return convAMC23, nil
	case KindJSONL:
		f := fields.withDefaults()
		switch f.Extract {
		case "", "boxed", "gsm8k":
		default:
			return nil, fmt.Errorf("unknown answer extraction %q (want \"\", \"boxed\" or \"gsm8k\")", f.Extract)
		}
		return func(r record) (Problem, error) { return convJSONL(r, f) }, nil
	}
	return nil, fmt.Errorf("unknown kind %q (kinds: %s)", kind, strings.Join(Kinds(), ", "))
}

// GSM8KGold returns the final answer of a GSM8K solution: the text after the last "####", trimmed,
// with thousands separators (every ",") removed.
func GSM8KGold(answer string) (string, bool) {
	i := strings.LastIndex(answer, "####")
	if i < 0 {
		return "", false
	}
	g := strings.TrimSpace(strings.ReplaceAll(answer[i+len("####"):], ",", ""))
	return g, g != ""
}

func convGSM8K(r record) (Problem, error) {
	q, err := r.text("question")
	if err != nil {
		return Problem{}, err
	}
	a, err := r.text("answer")
	if err != nil {
		return Problem{}, err
	}
	g, ok := GSM8KGold(a)
	if !ok {
		return Problem{}, errors.New(`field "answer" has no final "#### N"`)
	}
	p := Problem{Question: q, Gold: g}
	if r.has("id") {
		if p.ID, err = r.id("id"); err != nil {
			return Problem{}, err
		}
	}
	return p, nil
}

func convMATH500(r record) (Problem, error) {
	q, err := r.text("problem")
	if err != nil {
		return Problem{}, err
	}
	g, err := r.str("answer")
	if err != nil {
		return Problem{}, err
	}
	p := Problem{Question: q, Gold: strings.TrimSpace(g), Meta: map[string]string{}}
	if r.has("unique_id") {
		if p.ID, err = r.id("unique_id"); err != nil {
			return Problem{}, err
		}
		p.Meta["unique_id"] = p.ID
	}
	if r.has("level") {
		if p.Meta["level"], err = r.str("level"); err != nil {
			return Problem{}, err
		}
	}
	if r.has("subject") {
		if p.Meta["subject"], err = r.text("subject"); err != nil {
			return Problem{}, err
		}
	}
	return p, nil
}

var levelRE = regexp.MustCompile(`^Level (\S+)$`)

func convMATH(r record) (Problem, error) {
	q, err := r.text("problem")
	if err != nil {
		return Problem{}, err
	}
	sol, err := r.text("solution")
	if err != nil {
		return Problem{}, err
	}
	g, ok := LastBoxed(sol)
	if !ok {
		return Problem{}, errors.New(`field "solution" has no \boxed{...}`)
	}
	p := Problem{Question: q, Gold: strings.TrimSpace(g), Meta: map[string]string{}}
	if r.has("level") {
		lv, err := r.str("level")
		if err != nil {
			return Problem{}, err
		}
		p.Meta["level_raw"] = lv
		if m := levelRE.FindStringSubmatch(lv); m != nil {
			lv = m[1]
		}
		p.Meta["level"] = lv
	}
	if r.has("type") {
		t, err := r.text("type")
		if err != nil {
			return Problem{}, err
		}
		p.Meta["type"], p.Meta["subject"] = t, t
	}
	if r.has("idx") {
		if p.ID, err = r.integer("idx"); err != nil {
			return Problem{}, err
		}
		p.Meta["idx"] = p.ID
	}
	return p, nil
}

// convContest reads the AIME/AMC layout: id, problem, answer, optional url.
func convContest(r record, year string) (Problem, error) {
	q, err := r.text("problem")
	if err != nil {
		return Problem{}, err
	}
	g, err := r.str("answer")
	if err != nil {
		return Problem{}, err
	}
	p := Problem{Question: q, Gold: strings.TrimSpace(g), Meta: map[string]string{"year": year}}
	if r.has("id") {
		if p.ID, err = r.id("id"); err != nil {
			return Problem{}, err
		}
	}
	if r.has("url") {
		if p.Meta["url"], err = r.text("url"); err != nil {
			return Problem{}, err
		}
	}
	return p, nil
}

func convAIME24(r record) (Problem, error) { return convContest(r, "2024") }
func convAMC23(r record) (Problem, error)  { return convContest(r, "2023") }

// convAIME25 adds exam ("I" for ids 0-14, "II" for 15-29, the order of the source file) and the
// problem number within the exam.
func convAIME25(r record) (Problem, error) {
	p, err := convContest(r, "2025")
	if err != nil {
		return p, err
	}
	var n int
	if _, err := fmt.Sscanf(p.ID, "%d", &n); err == nil && fmt.Sprint(n) == p.ID && n >= 0 && n < 30 {
		p.Meta["exam"], p.Meta["number"] = "I", fmt.Sprint(n+1)
		if n >= 15 {
			p.Meta["exam"], p.Meta["number"] = "II", fmt.Sprint(n-14)
		}
	}
	return p, nil
}

func convJSONL(r record, f FieldMap) (Problem, error) {
	q, err := r.text(f.Question)
	if err != nil {
		return Problem{}, err
	}
	g, err := r.str(f.Answer)
	if err != nil {
		return Problem{}, err
	}
	switch f.Extract {
	case "boxed":
		b, ok := LastBoxed(g)
		if !ok {
			return Problem{}, fmt.Errorf(`field %q has no \boxed{...}`, f.Answer)
		}
		g = b
	case "gsm8k":
		b, ok := GSM8KGold(g)
		if !ok {
			return Problem{}, fmt.Errorf(`field %q has no final "#### N"`, f.Answer)
		}
		g = b
	}
	p := Problem{Question: q, Gold: strings.TrimSpace(g)}
	if r.has(f.ID) {
		if p.ID, err = r.id(f.ID); err != nil {
			return Problem{}, err
		}
	}
	for _, m := range f.Meta {
		if v, ok := r.metaValue(m); ok {
			if p.Meta == nil {
				p.Meta = map[string]string{}
			}
			p.Meta[m] = v
		}
	}
	return p, nil
}
