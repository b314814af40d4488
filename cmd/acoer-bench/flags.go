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

// parseFlags parses args, mapping -h to errHelp (the usage is printed) and other flag errors to one
// usage error line (exit 2) that points at --help, instead of the error, the whole usage and the error again.
func parseFlags(fs *flag.FlagSet, args []string) error {
	usage, out := fs.Usage, fs.Output()
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	err := parseInterspersed(fs, args)
	fs.Usage = usage
	fs.SetOutput(out)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.Usage()
			return errHelp
		}
		return badInputf("%v (see acoer-bench %s --help)", err, fs.Name())
	}
	return nil
}

// parseInterspersed parses flags that come before, between or after the positional arguments (`compare
// A B --format md` as well as `compare --format md A B`); fs.Args() is then the positional arguments.
// A "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) error {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	return fs.Parse(append([]string{"--"}, pos...))
}

// variantUsage is the help of --variant (inspect, generate, perf).
const variantUsage = "the decoder graph among the directory's variants: fp16, q4, q4f16, int8, uint8, quantized (q8), bnb4, ... " +
	"(onnx/model_<variant>.onnx, decoder_model_merged_<variant>.onnx, ...), or the graph's file name; default: the plain model.onnx (fp32)"
