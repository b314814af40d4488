package ort

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDiscoverExplicitMissingIsError(t *testing.T) {
	_, err := Discover(filepath.Join(t.TempDir(), "nope.so"))
	if err == nil || !strings.Contains(err.Error(), "--ort-lib") {
		t.Fatalf("want an error naming --ort-lib, got %v", err)
	}
}

func TestDiscoverEnv(t *testing.T) {
	f := filepath.Join(t.TempDir(), "lib.so")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvVar, f)
	got, err := Discover("")
	if err != nil || got != f {
		t.Fatalf("Discover = %q, %v; want %q", got, err, f)
	}
}

func TestInitAndVersion(t *testing.T) {
	p, err := Discover("")
	if errors.Is(err, ErrNotFound) {
		t.Skip("ONNX Runtime not installed: run `make setup`")
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := Init(p); err != nil {
		t.Fatal(err)
	}
	if err := Init(p); err != nil {
		t.Fatalf("second Init with the same path: %v", err)
	}
	if err := Init(p + ".other"); err == nil {
		t.Fatal("Init with a different path must fail")
	}
	if v := RuntimeVersion(); v != Version {
		t.Fatalf("RuntimeVersion = %q, want %q", v, Version)
	}
}
