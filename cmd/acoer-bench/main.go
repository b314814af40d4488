// Command acoer-bench benchmarks exported reasoning-model checkpoints (ONNX decoders with KV cache)
// on math benchmarks: accuracy, tokens generated, token reduction against a baseline, and latency.
//
// It is a thin CLI: each subcommand parses its flags, calls one function in bench, runner, datasets
// or metrics, and maps the error to an exit code (0 ok, 1 a gate failed, 2 bad usage or bad input,
// 3 runtime failure).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"
)

// gitRevision is set at build time by the Makefile (-ldflags "-X main.gitRevision=...").
var gitRevision string

// Exit codes.
const (
	exitOK      = 0
	exitGate    = 1
	exitUsage   = 2
	exitRuntime = 3
)

// env is what a subcommand gets: its arguments and the process's streams.
type env struct {
	args   []string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, e env) error
}

func commands() map[string]command {
	return map[string]command{
		"run":         {"generate, grade and store results for every model x dataset in a config", cmdRun},
		"report":      {"render results as a table, Markdown, CSV, JSON, LaTeX or HTML", cmdReport},
		"compare":     {"compare two results (or two models in one results dir)", cmdCompare},
		"gate":        {"exit 1 when a token or accuracy gate fails (for CI)", cmdGate},
		"merge":       {"merge shard outputs into one results directory", cmdMerge},
		"generate":    {"generate a completion from a model directory", cmdGenerate},
		"inspect":     {"print a model's decoder I/O contract and metadata", cmdInspect},
		"perf":        {"measure one model's prefill and decode speed, latency and memory", cmdPerf},
		"doctor":      {"check the ONNX Runtime install, providers and GPUs", cmdDoctor},
		"tokenize":    {"encode/decode JSON lines with a Hugging Face tokenizer.json", cmdTokenize},
		"grade":       {"grade JSON lines of responses against gold answers", cmdGrade},
		"datasets":    {"list, download and verify benchmark datasets", cmdDatasets},
		"build-model": {"build a test ONNX decoder (seeded weights or a llama2.c checkpoint)", cmdBuildModel},
		"convert":     {"convert a llama2.c checkpoint + tokenizer into a model directory", cmdConvert},
		"version":     {"print version information", cmdVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(runMain(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func runMain(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr, cmds)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "acoer-bench: unknown command %q (see acoer-bench --help)\n", args[0])
		return exitUsage
	}
	err := c.run(ctx, env{args: args[1:], stdin: stdin, stdout: stdout, stderr: stderr})
	return exitCode(stderr, args[0], err)
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: acoer-bench COMMAND [flags]   (acoer-bench COMMAND --help for a command's flags)")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, `
examples:
  acoer-bench doctor                                         # is ONNX Runtime (and CUDA) usable?
  acoer-bench run --config my-bench.yaml --out results/exp1  # generate, grade, store (resumable)
  acoer-bench report --results results/exp1 --format md      # tables: table, md, csv, json, latex, html
  acoer-bench gate --results results/exp1                    # exit 1 when a gate fails (CI)`)
	fmt.Fprintln(w, "\nexit codes: 0 ok, 1 a gate failed, 2 bad usage or bad input, 3 runtime failure")
}

// usageError marks bad usage or bad input (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// badInput wraps err as a usage/input error (exit 2).
func badInput(err error) error {
	if err == nil {
		return nil
	}
	return usageError{err}
}

// badInputf formats a usage/input error (exit 2).
func badInputf(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// errGateFailed is returned by commands whose gate did not hold (exit 1); they print the details.
var errGateFailed = errors.New("gate failed")

func exitCode(stderr io.Writer, name string, err error) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, errGateFailed) {
		return exitGate
	}
	if errors.Is(err, errHelp) {
		return exitOK
	}
	// "acoer-bench merge: merge: ..." says the command twice: drop the error's own copy of the name.
	fmt.Fprintf(stderr, "acoer-bench %s: %s\n", name, strings.TrimPrefix(err.Error(), name+": "))
	var u usageError
	if errors.As(err, &u) {
		return exitUsage
	}
	return exitRuntime
}

// revision is the git revision the binary was built from ("unknown" when not recorded).
func revision() string {
	if gitRevision != "" {
		return gitRevision
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", ""
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "-dirty"
				}
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" {
			return rev + dirty
		}
	}
	return "unknown"
}
