package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/acoer/acoer-bench/bench"
	"io"
	"strings"
	"time"

	"github.com/acoer/acoer-bench/metrics"
)

const gradeExamples = `  # grade one response
  echo '{"benchmark":"math","response":"... so the answer is \\boxed{\\frac12}.","gold":"0.5"}' | acoer-bench grade
  # re-grade generations from another engine (one JSON object per line, same order out)
  acoer-bench grade < vllm_outputs.jsonl > verdicts.jsonl
  # lines without a "benchmark" field use --benchmark
  acoer-bench grade --benchmark gsm8k < gsm8k_outputs.jsonl`

// gradeInputLine is one input line; gold may be a JSON string or number (AMC golds are floats).
type gradeInputLine struct {
	Benchmark string          `json:"benchmark"`
	Response  *string         `json:"response"`
	Gold      json.RawMessage `json:"gold"`
}

// gradeOutputLine is one output line.
type gradeOutputLine struct {
	Correct   bool   `json:"correct"`
	Extracted string `json:"extracted"`
	Rule      string `json:"rule"`
	Reason    string `json:"reason,omitempty"`
}

// cmdGrade reads JSON lines {"benchmark", "response", "gold"} on stdin and writes one verdict line
// {"correct", "extracted", "rule"[, "reason"]} per input line, in order. Blank lines are skipped.
// A bad line stops the command with its line number (exit 2); the lines before it are written.
func cmdGrade(ctx context.Context, e env) error {
	fs := newFlags("grade", "[--benchmark NAME] [--timeout D] < responses.jsonl > verdicts.jsonl", gradeExamples, e.stderr)
	bench := fs.String("benchmark", "", "benchmark for lines without a \"benchmark\" field: gsm8k|math|math500|aime|aime24|aime25|amc|amc23")
	timeout := fs.Duration("timeout", metrics.DefaultGradeTimeout, "time limit for grading one line (a line over it is incorrect with reason \"timeout\")")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return badInputf("unexpected arguments %q (input is read from stdin)", fs.Args())
	}
	if *bench != "" {
		if _, ok := metrics.CanonicalBenchmark(*bench); !ok {
			return badInputf("--benchmark: unknown benchmark %q (want gsm8k|math|math500|aime|aime24|aime25|amc|amc23)", *bench)
		}
	}
	if *timeout <= 0 {
		return badInputf("--timeout must be positive, got %v", *timeout)
	}
	return gradeStream(ctx, e.stdin, e.stdout, *bench, *timeout)
}

func gradeStream(ctx context.Context, in io.Reader, out io.Writer, defaultBench string, timeout time.Duration) error {
	r := bufio.NewReaderSize(in, 1<<16)
	w := bufio.NewWriter(out)
	defer w.Flush()
	for lineNo := 1; ; lineNo++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		line, readErr := r.ReadBytes('\n')
		if readErr != nil && !errors.Is(readErr, io.EOF) {
			return fmt.Errorf("stdin: line %d: %w", lineNo, readErr)
		}
		if trimmed := bytes.TrimSpace(line); len(trimmed) > 0 {
			res, err := gradeLine(ctx, trimmed, defaultBench, timeout)
			if err != nil {
				if ferr := w.Flush(); ferr != nil {
					return ferr
				}
				return badInputf("stdin: line %d: %v", lineNo, err)
			}
			enc, err := json.Marshal(res)
			if err != nil {
				return err
			}
			enc = append(enc, '\n')
			if _, err := w.Write(enc); err != nil {
				return err
			}
		}
		if errors.Is(readErr, io.EOF) {
			return w.Flush()
		}
	}
}

func gradeLine(ctx context.Context, line []byte, defaultBench string, timeout time.Duration) (gradeOutputLine, error) {
	var in gradeInputLine
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&in); err != nil {
		return gradeOutputLine{}, errors.New(bench.JSONErrorText(err))
	}
	if dec.More() {
		return gradeOutputLine{}, errors.New("invalid JSON: more than one value on the line")
	}
	bench := in.Benchmark
	if bench == "" {
		bench = defaultBench
	}
	if bench == "" {
		return gradeOutputLine{}, errors.New(`missing "benchmark" (or pass --benchmark)`)
	}
	if _, ok := metrics.CanonicalBenchmark(bench); !ok {
		return gradeOutputLine{}, fmt.Errorf("unknown benchmark %q (want gsm8k|math|math500|aime|aime24|aime25|amc|amc23)", bench)
	}
	if in.Response == nil {
		return gradeOutputLine{}, errors.New(`missing "response" (a string)`)
	}
	gold, err := gradeGoldField(in.Gold)
	if err != nil {
		return gradeOutputLine{}, err
	}
	lctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	v := metrics.GradeContext(lctx, bench, *in.Response, gold)
	return gradeOutputLine{Correct: v.Correct, Extracted: v.Extracted, Rule: v.Rule, Reason: v.Reason}, nil
}

// gradeGoldField accepts a JSON string or number.
func gradeGoldField(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", errors.New(`missing "gold" (a string or number)`)
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf(`"gold": %v`, err)
		}
		if strings.TrimSpace(s) == "" {
			return "", errors.New(`"gold" is empty`)
		}
		return s, nil
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return "", fmt.Errorf(`"gold": %v`, err)
		}
		return n.String(), nil
	}
	return "", fmt.Errorf(`"gold" must be a string or number, got %s`, gradeShort(raw))
}

func gradeShort(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}
