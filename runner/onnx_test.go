package runner

import "testing"

// writeTinyModelDir writes a model directory around the tiny decoder (the tokenizer files are
// placeholders: tests pass a fake tokenizer loader).
func writeTinyModelDir(t testing.TB, s TinyDecoder, context int, eos int) string {
	t.Helper()
	dir := t.TempDir()
	if err := s.WriteDir(dir, context, eos); err != nil {
		t.Fatal(err)
	}
	return dir
}
