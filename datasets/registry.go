package datasets

import (
	"fmt"
	"sort"
	"strings"
)

// DefaultBaseURL is where Entry files are fetched from unless a Downloader says otherwise. A URL is
// BaseURL + "/" + Repo + "/" + Commit + "/" + Path (the layout of GitHub's raw file host, so a mirror
// with the same layout can stand in for it).
const DefaultBaseURL = "https://raw.githubusercontent.com"

// Entry is one known public dataset file: where it lives, what it must hash to, and how to read it.
type Entry struct {
	// Name is the dataset's name on the command line and in configs ("gsm8k", "math500", ...).
	Name string
	// Kind selects the loader (the same as Name for the built-in sets).
	Kind string
	// Records is the number of problems the file holds.
	Records int
	// SHA256 is the lowercase hex sha256 of the file's bytes.
	SHA256 string
	// Repo, Commit and Path locate the file in a public GitHub repository.
	Repo, Commit, Path string
	// License is the licence of the source repository.
	License string
	// Template is the default prompt template for the dataset (see Template).
	Template string
	// Description says what the set is, in a few words.
	Description string
}

// URL returns the file's download address under base ("" means DefaultBaseURL).
func (e Entry) URL(base string) string {
	if base == "" {
		base = DefaultBaseURL
	}
	return strings.TrimRight(base, "/") + "/" + e.Repo + "/" + e.Commit + "/" + e.Path
}

// Source returns "repo@commit:path", the provenance string recorded in results.
func (e Entry) Source() string { return e.Repo + "@" + e.Commit + ":" + e.Path }

// registry is the table of known datasets. It is data, not code: adding a set is adding a row (and a
// loader kind when its fields differ from every kind we have).
var registry = []Entry{
	{
		Name: "gsm8k", Kind: KindGSM8K, Records: 1319,
		SHA256: "3730d312f6e3440559ace48831e51066acaca737f6eabec99bccb9e4b3c39d14",
		Repo:   "openai/grade-school-math", Commit: "3101c7d5072418e28b9008a6636bde82a006892c", Path: "grade_school_math/data/test.jsonl",
		License: "MIT", Template: "deepseek-r1",
		Description: "GSM8K test split: grade-school word problems, integer answers",
	},
	{
		Name: "math500", Kind: KindMATH500, Records: 500,
		SHA256: "35dc41080a3680858b27fa7e0533d2d547825316fc5dafe5d316f4ccc5a06132",
		Repo:   "hkust-nlp/simpleRL-reason", Commit: "cf1c7858bfc145a27aa733e75d930d34f0d318a6", Path: "examples/simplelr_math_eval/data/math500/test.jsonl",
		License: "MIT", Template: "deepseek-r1",
		Description: "MATH-500 (PRM800K test subset of MATH), with level and subject",
	},
	{
		Name: "math", Kind: KindMATH, Records: 5000,
		SHA256: "3371949f33dd702d04b43fddd7d53a028de0aaca0e76abb1b875a050297b3aa4",
		Repo:   "ZubinGou/math-evaluation-harness", Commit: "db77bc6bb2a17c90ed2d63e88ebd8c40a82858c5", Path: "data/math/test.jsonl",
		License: "MIT", Template: "deepseek-r1",
		Description: "MATH test split (Hendrycks et al.), all 5000; gold = last \\boxed{} of the solution",
	},
	{
		Name: "aime24", Kind: KindAIME24, Records: 30,
		SHA256: "af2b8bd2aa911b6333ad0df32f3ca05c7ae8ed10f1731f4372c8ae26990bf7ac",
		Repo:   "QwenLM/Qwen2.5-Math", Commit: "a45202bd16f1ec06f433442dc1152d0074773465", Path: "evaluation/data/aime24/test.jsonl",
		License: "MIT", Template: "deepseek-r1",
		Description: "AIME 2024 I and II, integer answers 0-999",
	},
	{
		Name: "aime25", Kind: KindAIME25, Records: 30,
		SHA256: "b4e273c02d3e7fe1b74b59eae768fc8230bfb0f79539890cb56f4361caac0331",
		Repo:   "inclusionAI/AReaL", Commit: "ea12141f2b18fbcd130c6460e8a141c1913354de", Path: "evaluation/data/aime25/test.jsonl",
		License: "Apache-2.0", Template: "deepseek-r1",
		Description: "AIME 2025 I (ids 0-14) and II (ids 15-29), integer answers 0-999",
	},
	{
		Name: "amc23", Kind: KindAMC23, Records: 40,
		SHA256: "43707e1ca784602d8479de24ee8ce36609dbebc46dd152b0b12a46611aa898a4",
		Repo:   "QwenLM/Qwen2.5-Math", Commit: "a45202bd16f1ec06f433442dc1152d0074773465", Path: "evaluation/data/amc23/test.jsonl",
		License: "MIT", Template: "deepseek-r1",
		Description: "AMC 2023 (12A/12B), numeric answers",
	},
}

// Known returns the registry of known datasets, sorted by name (a copy: callers may not change it).
func Known() []Entry {
	out := append([]Entry(nil), registry...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup returns the known dataset called name.
func Lookup(name string) (Entry, bool) {
	for _, e := range registry {
		if e.Name == name {
			return e, true
		}
	}
	return Entry{}, false
}

// lookupBySHA returns the known dataset whose file hashes to sum.
func lookupBySHA(sum string) (Entry, bool) {
	for _, e := range registry {
		if e.SHA256 == sum {
			return e, true
		}
	}
	return Entry{}, false
}

// knownNames lists the registry's names for error messages.
func knownNames() string {
	names := make([]string, 0, len(registry))
	for _, e := range Known() {
		names = append(names, e.Name)
	}
	return strings.Join(names, ", ")
}

// DefaultTemplate returns the default prompt template name for a dataset name or kind ("deepseek-r1"
// for every built-in set: the instruction to reason step by step and box the final answer, in the user
// turn, which suits reasoning models and is what the graders extract first; "raw" for other sets).
func DefaultTemplate(nameOrKind string) string {
	if e, ok := Lookup(nameOrKind); ok {
		return e.Template
	}
	for _, e := range registry {
		if e.Kind == nameOrKind {
			return e.Template
		}
	}
	return "raw"
}

// errUnknown is the message for a name that is neither known nor given a path.
func errUnknown(name string) error {
	return fmt.Errorf("%w %q (known: %s; or give a local path and a kind)", ErrUnknown, name, knownNames())
}
