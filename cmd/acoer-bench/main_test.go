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
}
