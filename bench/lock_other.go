//go:build !unix

package bench

// lockDir is a no-op where flock is not available: do not point two runs at one directory.
func lockDir(dir string) (func(), error) { return func() {}, nil }
