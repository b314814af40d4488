package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	iofs "io/fs"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/acoer/acoer-bench/datasets"
)

const datasetsUsage = `usage: acoer-bench datasets SUBCOMMAND [flags]

subcommands:
  list       the known datasets: name, kind, records, sha256, cached?, source
  download   fetch datasets into the cache (sha256-checked, atomic)
  verify     check the cached files' sha256 and record counts
  show       print a dataset's problems as JSON lines (optionally rendered with a prompt template)
  templates  the built-in prompt templates

examples:
  acoer-bench datasets list
  acoer-bench datasets download gsm8k math500
  acoer-bench datasets download all --cache /data/acoer
  acoer-bench datasets verify
  acoer-bench datasets show math500 --limit 3
  acoer-bench datasets show mine --path my.jsonl --kind jsonl --question-field prompt --answer-field target
  acoer-bench datasets show gsm8k --limit 1 --template gsm8k-fewshot

The cache is $ACOER_DATASETS_CACHE, else $XDG_CACHE_HOME/acoer-bench/datasets, else
~/.cache/acoer-bench/datasets (--cache overrides all three).
`

// cmdDatasets lists, downloads, verifies and shows benchmark datasets.
func cmdDatasets(ctx context.Context, e env) error {
	if len(e.args) == 0 {
		fmt.Fprint(e.stderr, datasetsUsage)
		return badInputf("datasets: missing subcommand (list, download, verify, show, templates)")
	}
	sub, rest := e.args[0], env{args: e.args[1:], stdin: e.stdin, stdout: e.stdout, stderr: e.stderr}
	switch sub {
	case "-h", "--help", "help":
		fmt.Fprint(e.stderr, datasetsUsage)
		return errHelp
	case "list":
		return datasetsList(rest)
	case "download":
		return datasetsDownload(ctx, rest)
	case "verify":
		return datasetsVerify(rest)
	case "show":
		return datasetsShow(ctx, rest)
	case "templates":
		return datasetsTemplates(rest)
	}
	return badInputf("datasets: unknown subcommand %q (list, download, verify, show, templates)", sub)
}

// datasetsParse parses flags that may come before, between or after positional arguments, and
// returns the positional arguments.
func datasetsParse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// datasetsEntries resolves names ("all" = every known dataset) to registry entries.
func datasetsEntries(names []string) ([]datasets.Entry, error) {
	if len(names) == 0 || (len(names) == 1 && names[0] == "all") {
		return datasets.Known(), nil
	}
	var out []datasets.Entry
	for _, n := range names {
		e, ok := datasets.Lookup(n)
		if !ok {
			var known []string
			for _, k := range datasets.Known() {
				known = append(known, k.Name)
			}
			return nil, badInputf("unknown dataset %q (known: %s, or all)", n, strings.Join(known, ", "))
		}
		out = append(out, e)
	}
	return out, nil
}

func datasetsList(e env) error {
	fs := newFlags("datasets list", "[--cache DIR] [--json]", "  acoer-bench datasets list\n  acoer-bench datasets list --json", e.stderr)
	cache := fs.String("cache", "", "cache directory (default: see acoer-bench datasets --help)")
	asJSON := fs.Bool("json", false, "print JSON lines instead of a table")
	pos, err := datasetsParse(fs, e.args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return badInputf("datasets list: unexpected argument %q", pos[0])
	}
	d := &datasets.Downloader{CacheDir: *cache}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	if !*asJSON {
		fmt.Fprintln(tw, "NAME\tKIND\tRECORDS\tSHA256\tCACHED\tTEMPLATE\tSOURCE")
	}
	enc := json.NewEncoder(e.stdout)
	for _, x := range datasets.Known() {
		path, ok, cerr := d.Cached(x)
		cached := "yes"
		switch {
		case errors.Is(cerr, iofs.ErrNotExist):
			cached = "no"
		case cerr != nil:
			cached = "error"
		case !ok:
			cached = "MISMATCH"
		}
		if *asJSON {
			if err := enc.Encode(map[string]any{
				"name": x.Name, "kind": x.Kind, "records": x.Records, "sha256": x.SHA256, "cached": cached,
				"path": path, "template": x.Template, "source": x.Source(), "url": x.URL(""), "license": x.License,
				"description": x.Description,
			}); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", x.Name, x.Kind, x.Records, x.SHA256, cached, x.Template, x.Source())
	}
	return tw.Flush()
}

func datasetsDownload(ctx context.Context, e env) error {
	fs := newFlags("datasets download", "[--cache DIR] [--base-url URL] [--timeout D] NAME...|all",
		"  acoer-bench datasets download gsm8k math500\n  acoer-bench datasets download all --cache /data/acoer", e.stderr)
	cache := fs.String("cache", "", "cache directory (default: see acoer-bench datasets --help)")
	base := fs.String("base-url", "", "download from this mirror (same repo/commit/path layout) instead of "+datasets.DefaultBaseURL)
	timeout := fs.Duration("timeout", 5*time.Minute, "limit for each download")
	names, err := datasetsParse(fs, e.args)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return badInputf("datasets download: name the datasets (or all)")
	}
	entries, err := datasetsEntries(names)
	if err != nil {
		return err
	}
	d := &datasets.Downloader{Client: &http.Client{Timeout: *timeout}, BaseURL: *base, CacheDir: *cache}
	var failed []string
	for _, x := range entries {
		if path, ok, _ := d.Cached(x); ok {
			fmt.Fprintf(e.stdout, "%s\t%s\tcached\n", x.Name, path)
			continue
		}
		fmt.Fprintf(e.stderr, "downloading %s (%d records) from %s\n", x.Name, x.Records, x.URL(*base))
		path, err := d.Fetch(ctx, x)
		if err != nil {
			fmt.Fprintf(e.stderr, "acoer-bench datasets download: %v\n", err)
			failed = append(failed, x.Name)
			continue
		}
		fmt.Fprintf(e.stdout, "%s\t%s\tdownloaded\n", x.Name, path)
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d downloads failed: %s", len(failed), len(entries), strings.Join(failed, ", "))
	}
	return nil
}

func datasetsVerify(e env) error {
	fs := newFlags("datasets verify", "[--cache DIR] [NAME...]",
		"  acoer-bench datasets verify\n  acoer-bench datasets verify gsm8k --cache /data/acoer", e.stderr)
	cache := fs.String("cache", "", "cache directory (default: see acoer-bench datasets --help)")
	names, err := datasetsParse(fs, e.args)
	if err != nil {
		return err
	}
	entries, err := datasetsEntries(names)
	if err != nil {
		return err
	}
	dir := *cache
	if dir == "" {
		dir = datasets.DefaultCacheDir()
	}
	d := &datasets.Downloader{CacheDir: dir}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATUS\tRECORDS\tPATH")
	var bad []string
	for _, x := range entries {
		path, ok, cerr := d.Cached(x)
		status, records := "ok", "-"
		switch {
		case errors.Is(cerr, iofs.ErrNotExist):
			status = "missing"
			if len(names) > 0 {
				bad = append(bad, x.Name)
			}
		case cerr != nil:
			status = "error: " + cerr.Error()
			bad = append(bad, x.Name)
		case !ok:
			status = "SHA256 MISMATCH"
			bad = append(bad, x.Name)
		default:
			ps, _, err := datasets.Load(datasets.Spec{Name: x.Name, CacheDir: dir, Offline: true})
			switch {
			case err != nil:
				status = "error: " + err.Error()
				bad = append(bad, x.Name)
			case len(ps) != x.Records:
				status = fmt.Sprintf("RECORDS %d, want %d", len(ps), x.Records)
				bad = append(bad, x.Name)
			}
			records = fmt.Sprint(len(ps))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", x.Name, status, records, path)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(bad) > 0 {
		return fmt.Errorf("verification failed for %s (run acoer-bench datasets download %s)", strings.Join(bad, ", "), strings.Join(bad, " "))
	}
	return nil
}

// datasetsShowLine is one line of `datasets show`: the problem, plus the rendered prompt when a
// template was asked for.
type datasetsShowLine struct {
	datasets.Problem
	Template string `json:"template,omitempty"`
	System   string `json:"system,omitempty"`
	Prompt   string `json:"prompt,omitempty"`
	Chat     *bool  `json:"chat,omitempty"`
}

func datasetsShow(ctx context.Context, e env) error {
	fs := newFlags("datasets show", "NAME [--path FILE] [--kind KIND] [--limit N] [--seed S] [--template T] [field flags]",
		`  acoer-bench datasets show math500 --limit 3
  acoer-bench datasets show gsm8k --limit 5 --seed 1 --template gsm8k-zeroshot
  acoer-bench datasets show mine --path my.jsonl --kind jsonl --question-field prompt --answer-field target --meta-fields level,topic`, e.stderr)
	path := fs.String("path", "", "read this local JSONL file instead of the cache/download")
	kind := fs.String("kind", "", "loader kind: "+strings.Join(datasets.Kinds(), ", ")+" (default: the known dataset's)")
	cache := fs.String("cache", "", "cache directory (default: see acoer-bench datasets --help)")
	offline := fs.Bool("offline", false, "never download: use --path or the cache only")
	base := fs.String("base-url", "", "download from this mirror (same repo/commit/path layout) instead of "+datasets.DefaultBaseURL)
	timeout := fs.Duration("timeout", 5*time.Minute, "limit for a download")
	limit := fs.Int("limit", 0, "at most N problems (0 = all)")
	seed := fs.Uint64("seed", 0, "with --limit: choose a seeded random subset instead of the first N")
	tmpl := fs.String("template", "", "render each problem's prompt with this template (see datasets templates)")
	qf := fs.String("question-field", "", "jsonl kind: the question field (default question)")
	af := fs.String("answer-field", "", "jsonl kind: the answer field (default answer)")
	idf := fs.String("id-field", "", "jsonl kind: the id field (default id; else the line index)")
	mf := fs.String("meta-fields", "", "jsonl kind: comma-separated fields copied into meta")
	ex := fs.String("extract", "", `jsonl kind: answer post-processing: "boxed" or "gsm8k"`)
	names, err := datasetsParse(fs, e.args)
	if err != nil {
		return err
	}
	if len(names) != 1 {
		return badInputf("datasets show: name exactly one dataset (got %d)", len(names))
	}
	seedSet := false
	fs.Visit(func(f *flag.Flag) { seedSet = seedSet || f.Name == "seed" })
	if *limit < 0 {
		return badInputf("datasets show: --limit must be >= 0")
	}
	spec := datasets.Spec{Name: names[0], Kind: *kind, Path: *path, CacheDir: *cache, Offline: *offline,
		Downloader: &datasets.Downloader{Client: &http.Client{Timeout: *timeout}, BaseURL: *base},
		Fields:     datasets.FieldMap{Question: *qf, Answer: *af, ID: *idf, Extract: *ex}}
	if *mf != "" {
		for _, m := range strings.Split(*mf, ",") {
			if m = strings.TrimSpace(m); m != "" {
				spec.Fields.Meta = append(spec.Fields.Meta, m)
			}
		}
	}
	var tpl *datasets.PromptTemplate
	if *tmpl != "" {
		t, err := datasets.Template(*tmpl)
		if err != nil {
			return badInput(err)
		}
		tpl = &t
	}
	ps, info, err := datasets.LoadContext(ctx, spec)
	if err != nil {
		var pe *datasets.ParseError
		var de *datasets.DownloadError
		switch {
		case errors.As(err, &de):
			return err // network: runtime failure
		case errors.As(err, &pe), errors.Is(err, datasets.ErrUnknown), errors.Is(err, datasets.ErrBadSpec),
			errors.Is(err, datasets.ErrNotCached), errors.Is(err, iofs.ErrNotExist):
			return badInput(err)
		}
		return err
	}
	var sp *uint64
	if seedSet {
		sp = seed
	}
	ps = datasets.Select(ps, *limit, sp)
	fmt.Fprintf(e.stderr, "%s: %d of %d problems from %s (%s, sha256 %s)\n", info.Name, len(ps), info.Count, info.Path, info.Source, info.SHA256)
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	for _, p := range ps {
		line := datasetsShowLine{Problem: p}
		if tpl != nil {
			text, err := tpl.Render(p)
			if err != nil {
				return badInput(err)
			}
			chat := tpl.Chat
			line.Template, line.Prompt, line.Chat = tpl.Name, text, &chat
			if tpl.Chat {
				line.System = tpl.System
			}
		}
		if err := enc.Encode(line); err != nil {
			return err
		}
	}
	return nil
}

func datasetsTemplates(e env) error {
	fs := newFlags("datasets templates", "[--json]", "  acoer-bench datasets templates\n  acoer-bench datasets templates --json", e.stderr)
	asJSON := fs.Bool("json", false, "print the templates in full as JSON lines")
	pos, err := datasetsParse(fs, e.args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return badInputf("datasets templates: unexpected argument %q", pos[0])
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		for _, t := range datasets.Templates() {
			if err := enc.Encode(t); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tCHAT\tSHOTS\tDESCRIPTION")
	for _, t := range datasets.Templates() {
		fmt.Fprintf(tw, "%s\t%v\t%d\t%s\n", t.Name, t.Chat, len(t.Shots), t.Description)
	}
	return tw.Flush()
}
