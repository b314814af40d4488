package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

func TestExitCodes(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"no args is usage", nil, exitUsage},
		{"help", []string{"--help"}, exitOK},
		{"unknown command", []string{"frobnicate"}, exitUsage},
		{"version", []string{"version"}, exitOK},
		{"version help", []string{"version", "-h"}, exitOK},
		{"bad flag", []string{"version", "--nope"}, exitUsage},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if got := runMain(context.Background(), c.args, strings.NewReader(""), &out, &errb); got != c.want {
				t.Fatalf("exit %d, want %d; stderr: %s", got, c.want, errb.String())
			}
		})
	}
}

func TestExitCodeMapping(t *testing.T) {
	var errb bytes.Buffer
	for _, c := range []struct {
		err  error
		want int
	}{
		{nil, exitOK},
		{errGateFailed, exitGate},
		{badInputf("config.yaml: line 3: unknown field %q", "x"), exitUsage},
		{errors.New("session failed"), exitRuntime},
	} {
		if got := exitCode(&errb, "t", c.err); got != c.want {
			t.Errorf("exitCode(%v) = %d, want %d", c.err, got, c.want)
		}
	}
	if !strings.Contains(errb.String(), "config.yaml: line 3") {
		t.Errorf("error message not printed: %q", errb.String())
	}
	errb.Reset()
	exitCode(&errb, "merge", badInputf("merge: missing shard(s) 1/2"))
	if got := errb.String(); got != "acoer-bench merge: missing shard(s) 1/2\n" {
		t.Errorf("command named twice: %q", got)
	}
}

// TestEveryCommandHelp checks that each command's --help exits 0 and shows examples and, where the
// command has flags, their list with readable argument names (no "-ort-lib make setup").
func TestEveryCommandHelp(t *testing.T) {
	for name := range commands() {
		t.Run(name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if got := runMain(context.Background(), []string{name, "--help"}, strings.NewReader(""), &out, &errb); got != exitOK {
				t.Fatalf("exit %d, want 0; stderr: %s", got, errb.String())
			}
			h := errb.String()
			if !strings.Contains(h, "examples:") {
				t.Errorf("--help shows no examples:\n%s", h)
			}
			if strings.Contains(h, "make setup\n") || strings.Contains(h, "flags:\n\n") || strings.HasSuffix(strings.TrimRight(h, " "), "flags:\n") {
				t.Errorf("--help has an odd flag list:\n%s", h)
			}
			if strings.Contains(h, "usage: ") && strings.Contains(strings.SplitN(h, "\n", 2)[0], "  ") && strings.HasSuffix(strings.SplitN(h, "\n", 2)[0], " ") {
				t.Errorf("usage line ends in a space: %q", strings.SplitN(h, "\n", 2)[0])
			}
		})
	}
	var top bytes.Buffer
	if runMain(context.Background(), []string{"--help"}, strings.NewReader(""), &bytes.Buffer{}, &top) != exitOK || !strings.Contains(top.String(), "examples:") {
		t.Errorf("acoer-bench --help shows no examples:\n%s", top.String())
	}
	// convert's flags are those of its only format, llama2c.
	var out, errb bytes.Buffer
	runMain(context.Background(), []string{"convert", "--help"}, strings.NewReader(""), &out, &errb)
	if !strings.Contains(errb.String(), "-checkpoint") {
		t.Errorf("convert --help does not list --checkpoint:\n%s", errb.String())
	}
}

// A bad flag is one line on stderr (exit 2), not the error, the whole usage and the error again.
func TestBadFlagOneLine(t *testing.T) {
	for _, args := range [][]string{{"grade", "--timeout", "x"}, {"report", "--nope"}, {"version", "--nope"}, {"convert", "llama2c", "--nope"}} {
		var out, errb bytes.Buffer
		if got := runMain(context.Background(), args, strings.NewReader(""), &out, &errb); got != exitUsage {
			t.Errorf("%v: exit %d, want 2", args, got)
		}
		if s := strings.TrimRight(errb.String(), "\n"); strings.Count(s, "\n") != 0 || !strings.Contains(s, "--help") {
			t.Errorf("%v: stderr is not one line pointing at --help:\n%s", args, s)
		}
	}
}

// Flags may follow the positional arguments, as compare's --help example writes them; "--" ends the flags.
func TestFlagsAfterArguments(t *testing.T) {
	fs := newFlags("x", "", "", &bytes.Buffer{})
	format := fs.String("format", "table", "")
	n := fs.Int("n", 0, "")
	if err := parseFlags(fs, []string{"--n", "2", "a", "b", "--format", "md"}); err != nil {
		t.Fatal(err)
	}
	if *format != "md" || *n != 2 || strings.Join(fs.Args(), ",") != "a,b" {
		t.Errorf("format %q n %d args %q", *format, *n, fs.Args())
	}
	fs = newFlags("x", "", "", &bytes.Buffer{})
	format = fs.String("format", "table", "")
	if err := parseFlags(fs, []string{"a", "--", "--format", "md"}); err != nil {
		t.Fatal(err)
	}
	if *format != "table" || strings.Join(fs.Args(), ",") != "a,--format,md" {
		t.Errorf("after --: format %q args %q", *format, fs.Args())
	}
}
