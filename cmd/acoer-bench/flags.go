package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// errHelp is returned when a command printed its --help (exit 0).
var errHelp = errors.New("help shown")

// newFlags returns a FlagSet for a subcommand whose --help prints the usage line, the examples and the
// flags to w.
func newFlags(name, usageLine, examples string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(w)
	fs.Usage = func() {
		fmt.Fprintln(w, strings.TrimRight("usage: acoer-bench "+name+" "+usageLine, " "))
		if examples != "" {
			fmt.Fprintf(w, "\nexamples:\n%s\n", strings.TrimRight(examples, "\n"))
		}
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintln(w, "\nflags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags parses args, mapping -h to errHelp and other flag errors to usage errors (exit 2).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return badInput(err)
	}
	return nil
}
