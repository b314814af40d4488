package main

import (
	"context"
	"fmt"
	"runtime"
)

func cmdVersion(ctx context.Context, e env) error {
	fs := newFlags("version", "", "  acoer-bench version", e.stderr)
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "acoer-bench %s (%s, %s/%s)\n", revision(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
