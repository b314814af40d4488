// Package ort owns the ONNX Runtime lifecycle for the whole process: it finds the shared library (what
// `make setup` installed, or an explicit path from --ort-lib / ACOER_ORT_LIB), initializes the one
// environment a process may have, and reports the runtime's version.
//
// ONNX Runtime's environment is process-global by nature; this package is the only place that touches
// it, behind a mutex.
package ort

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	ortgo "github.com/yalue/onnxruntime_go"
)

// Version is the ONNX Runtime version `make setup` installs and this package expects by default.
const Version = "1.29.0"

// EnvVar names the environment variable that overrides the library path.
const EnvVar = "ACOER_ORT_LIB"

// libName is the file name of the CPU library inside an install folder.
const libName = "libonnxruntime.so.1"

// installDir is where `make setup` puts the library, relative to the repository root.
var installDir = filepath.Join(".deps", "onnxruntime-"+Version, "lib")

var (
	mu      sync.Mutex
	libPath string // the library the environment was initialized with; "" before Init
)

// ErrNotFound is returned by Discover when no ONNX Runtime library can be found.
var ErrNotFound = errors.New("ONNX Runtime library not found")

// Discover returns the path of the ONNX Runtime shared library to load. In order: explicit (a flag),
// $ACOER_ORT_LIB, the project install next to the executable (bin/../.deps/...), the project install
// in the working directory or any parent (for `go test`). An explicit or environment path that does
// not exist is an error, never silently replaced by another.
func Discover(explicit string) (string, error) {
	for _, c := range []struct{ path, from string }{{explicit, "--ort-lib"}, {os.Getenv(EnvVar), EnvVar}} {
		if c.path == "" {
			continue
		}
		if _, err := os.Stat(c.path); err != nil {
			return "", fmt.Errorf("%s=%s: %w", c.from, c.path, err)
		}
		return c.path, nil
	}
	var cands []string
	if exe, err := os.Executable(); err == nil {
		if exe, err = filepath.EvalSymlinks(exe); err == nil {
			d := filepath.Dir(exe)
			cands = append(cands, filepath.Join(d, "..", installDir, libName), filepath.Join(d, installDir, libName))
		}
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			cands = append(cands, filepath.Join(d, installDir, libName))
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	for _, c := range cands {
		if _, err := os.Stat(c); err == nil {
			return filepath.Clean(c), nil
		}
	}
	return "", fmt.Errorf("%w: run `make setup` in the acoer-bench checkout, or pass --ort-lib PATH / set %s to a libonnxruntime.so", ErrNotFound, EnvVar)
}

// Init initializes the process's ONNX Runtime environment from the library at path (see Discover).
// Calling it again with the same path is a no-op; with a different path it is an error, because a
// process can load only one ONNX Runtime.
func Init(path string) error {
	mu.Lock()
	defer mu.Unlock()
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	if libPath != "" {
		if libPath != abs {
			return fmt.Errorf("ONNX Runtime already loaded from %s; cannot also load %s", libPath, abs)
		}
		return nil
	}
	ortgo.SetSharedLibraryPath(abs)
	if err := ortgo.InitializeEnvironment(ortgo.WithLogLevelError()); err != nil {
		return fmt.Errorf("loading ONNX Runtime from %s: %w", abs, err)
	}
	libPath = abs
	return nil
}

// InitDefault discovers the library (see Discover) and initializes it.
func InitDefault(explicit string) error {
	p, err := Discover(explicit)
	if err != nil {
		return err
	}
	return Init(p)
}

// LibraryPath returns the path of the loaded library, or "" before Init.
func LibraryPath() string {
	mu.Lock()
	defer mu.Unlock()
	return libPath
}

// RuntimeVersion returns the loaded ONNX Runtime's own version string, or "" before Init.
func RuntimeVersion() string {
	if LibraryPath() == "" {
		return ""
	}
	return ortgo.GetVersion()
}
